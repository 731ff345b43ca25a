//! Times PBKDF2-HMAC-SHA256 natively, for `bench/run.mjs`: this project's core and the plain
//! `pbkdf2` crate, each run several times in turn, and prints one JSON line per implementation
//! with every run's milliseconds and their median.
//!
//! ```text
//! cargo run --release -p user-info-log-bench [--features portable] -- ITERATIONS RUNS
//! ```
//!
//! With `--features portable`, sha2 uses its portable code instead of the CPU's SHA extensions.

use std::time::Instant;

use sha2::Sha256;
use user_info_log::auth::kdf::pbkdf2_hmac_sha256;

/// One implementation under test: fills the 32-byte output.
type Derive<'a> = &'a dyn Fn(&mut [u8; 32]);

fn main() {
    let mut args = std::env::args().skip(1);
    let iterations: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(600_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let code = if cfg!(feature = "portable") {
        "portable"
    } else {
        "cpu-extensions"
    };

    let project =
        |out: &mut [u8; 32]| pbkdf2_hmac_sha256(b"bench password", b"bench salt", iterations, out);
    let crate_path = |out: &mut [u8; 32]| {
        pbkdf2::pbkdf2_hmac::<Sha256>(b"bench password", b"bench salt", iterations, out)
    };
    let implementations: [(&str, Derive); 2] =
        [("project core", &project), ("pbkdf2 crate", &crate_path)];

    // Alternate the implementations run by run, so a noisy moment on a shared machine hits both.
    let mut timings = vec![Vec::new(); implementations.len()];
    let mut outputs = vec![[0u8; 32]; implementations.len()];
    for _ in 0..runs {
        for (index, (_, derive)) in implementations.iter().enumerate() {
            let started = Instant::now();
            derive(&mut outputs[index]);
            timings[index].push(started.elapsed().as_secs_f64() * 1_000.0);
        }
    }
    assert!(
        outputs.windows(2).all(|pair| pair[0] == pair[1]),
        "the implementations disagree"
    );

    for ((name, _), mut runs) in implementations.iter().zip(timings) {
        let all = runs.clone();
        runs.sort_by(f64::total_cmp);
        let line = serde_json::json!({
            "implementation": name,
            "code": code,
            "iterations": iterations,
            "median_ms": runs[runs.len() / 2],
            "runs_ms": all,
        });
        println!("{line}");
    }
}
