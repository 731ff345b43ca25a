//! The operator tool against a real local D1 (through the project's wrangler): what it prints,
//! and exit codes a script can rely on.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Runs `userlog-admin` from the repository root with `stdin` as its input.
fn admin(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_userlog-admin"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command refused for its arguments exits without reading its input, so the write may
    // meet a closed pipe; what the command answered is what the tests look at.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn accounts_are_saved_and_revoked_and_a_missing_account_is_an_error() {
    let state = root().join(format!("target/admin-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let migrated = Command::new("node_modules/.bin/wrangler")
        .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
        .arg(&state)
        .current_dir(root())
        .env("CI", "true")
        .output()
        .unwrap();
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    let persist = state.to_str().unwrap();

    let saved = admin(
        &[
            "upsert-account",
            "--account-id",
            "cli-a",
            "--id-number",
            "110105199001011234",
            "--iterations",
            "1000",
            "--persist-to",
            persist,
        ],
        "a password",
    );
    let revoked = admin(
        &[
            "revoke-tokens",
            "--account-id",
            "cli-a",
            "--persist-to",
            persist,
        ],
        "",
    );
    let missing = admin(
        &[
            "revoke-tokens",
            "--account-id",
            "cli-b",
            "--persist-to",
            persist,
        ],
        "",
    );
    let no_password = admin(
        &[
            "upsert-account",
            "--account-id",
            "cli-c",
            "--id-number",
            "1",
            "--persist-to",
            persist,
        ],
        "",
    );

    assert!(saved.status.success(), "{}", stderr(&saved));
    assert!(stderr(&saved).contains(r#"saved account "cli-a" (token generation 0)"#));
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    assert!(stderr(&revoked).contains("tokens below generation 1 are now refused"));
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains(r#"no account "cli-b"; nothing was revoked"#));
    assert_eq!(
        no_password.status.code(),
        Some(1),
        "{}",
        stderr(&no_password)
    );
    let _ = std::fs::remove_dir_all(&state);
}

#[test]
fn every_command_has_help_and_a_bad_argument_exits_with_2() {
    for command in [
        "hash-password",
        "upsert-account",
        "revoke-tokens",
        "mint-token",
    ] {
        let help = admin(&[command, "--help"], "");

        assert!(help.status.success(), "{command}");
        assert!(
            String::from_utf8_lossy(&help.stdout).contains("Usage:"),
            "{command}"
        );
    }
    assert_eq!(
        admin(&["revoke-tokens", "--no-such-flag"], "")
            .status
            .code(),
        Some(2)
    );
    // An iteration count the Worker would refuse at every sign-in is a usage error.
    for iterations in ["10", "2000001"] {
        let refused = admin(&["hash-password", "--iterations", iterations], "pw");
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{iterations}: {}",
            stderr(&refused)
        );
    }
}
