//! The one JSON line the Worker writes per request (README, "Logs").

use user_info_log::auth::password::{hash_password, Password};

use crate::helpers::{app, Req};

#[test]
fn each_request_logs_one_line_with_its_outcome_and_request_id() {
    let app = app();
    let token = app.seed_account("logging-line", "110000000000001234", "secret pw 42");

    let with_ray = Req::with_credentials(&token, "secret pw 42")
        .header("cf-ray", b"10661e0000000001-TST")
        .send();
    Req::with_credentials(&token, "wrong pw 42")
        .header("cf-ray", b"10661e0000000002-TST")
        .send();
    // A cf-ray that is not of Cloudflare's form is client text, and is not logged.
    let unlike_a_ray = Req::with_credentials(&token, "secret pw 42")
        .path("/logging/unlike-a-ray")
        .header("cf-ray", token.as_bytes())
        .send();

    let lines = app.wait_for_log_lines(&[
        "10661e0000000001-TST",
        "10661e0000000002-TST",
        r#""path":"/logging/unlike-a-ray""#,
    ]);
    let first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    let second: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    let third: serde_json::Value = serde_json::from_str(&lines[2]).unwrap();
    assert_eq!(
        (first["status"].as_u64(), first["code"].as_str()),
        (Some(200), Some("10000"))
    );
    assert_eq!(
        (second["status"].as_u64(), second["code"].as_str()),
        (Some(401), Some("10004"))
    );
    assert_eq!(first["method"], "POST");
    // The history was read in a D1 session, whose bookmark names the state it saw.
    assert!(
        first["d1_bookmark"].as_str().is_some_and(|b| !b.is_empty()),
        "{first}"
    );
    assert!(second["d1_bookmark"].is_null(), "{second}");
    assert_eq!(first["request_id"], "10661e0000000001-TST");
    let generated = third["request_id"].as_str().unwrap();
    assert!(
        generated.len() == 36 && !generated.contains("eyJ"),
        "{third}"
    );
    // The response names the same id as the log line, so the two can be matched.
    assert_eq!(
        with_ray.header("x-request-id"),
        Some("10661e0000000001-TST")
    );
    assert_eq!(unlike_a_ray.header("x-request-id"), Some(generated));
    assert!(first["duration_ms"].is_u64(), "{first}");
    for line in &lines {
        assert!(
            !line.contains("pw 42") && !line.contains(&token),
            "a secret was logged: {line}"
        );
    }
}

#[test]
fn passwords_are_checked_by_webcrypto_up_to_its_cap_and_by_the_wasm_core_above() {
    let app = app();
    // WEBCRYPTO_MAX_ITERATIONS is 100,000 by default; the hashes are made natively, by the
    // pbkdf2 crate, so each path must derive exactly what it derives.
    let cases = [("kdf-webcrypto", 100_000, 0xa), ("kdf-wasm", 100_001, 0xb)];
    let mut markers = Vec::new();
    for (account, iterations, ray) in cases {
        let token = app.seed_account(account, "110000000000001234", "kdf password");
        let phc = hash_password(
            &Password::new("kdf password"),
            iterations,
            b"kdf-salt-16bytes",
        );
        app.set_password_hash(account, &phc.unwrap());

        let right_ray = format!("{ray:x}000000000000001-TST");
        let wrong_ray = format!("{ray:x}000000000000002-TST");
        let right = Req::with_credentials(&token, "kdf password")
            .header("cf-ray", right_ray.as_bytes())
            .send();
        let wrong = Req::with_credentials(&token, "kdf passwore")
            .header("cf-ray", wrong_ray.as_bytes())
            .send();

        assert_eq!(right.status, 200, "{account}: {:?}", right.json());
        wrong.assert_error(401, "10004", "Password is incorrect");
        markers.push(right_ray);
        markers.push(wrong_ray);
    }

    let markers: Vec<&str> = markers.iter().map(String::as_str).collect();
    let lines = app.wait_for_log_lines(&markers);
    let kdfs: Vec<String> = lines
        .iter()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["kdf"].to_string())
        .collect();
    assert_eq!(
        kdfs,
        [r#""webcrypto""#, r#""webcrypto""#, r#""wasm""#, r#""wasm""#]
    );
}
