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

/// A new local D1 under target/, migrated, for one test; `name` keeps tests apart.
fn fresh_database(name: &str) -> PathBuf {
    let state = root().join(format!("target/admin-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let migrated = Command::new("node_modules/.bin/wrangler")
        .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
        .arg(&state)
        .current_dir(root())
        .env("CI", "true")
        .env("WRANGLER_SEND_METRICS", "false")
        .output()
        .unwrap();
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    state
}

/// The rows `sql` returns from the local D1 in `state`.
fn query(state: &Path, sql: &str) -> Vec<serde_json::Value> {
    let output = Command::new("node_modules/.bin/wrangler")
        .args(["d1", "execute", "DB", "--local", "--json", "--persist-to"])
        .arg(state)
        .args(["--command", sql])
        .current_dir(root())
        .env("CI", "true")
        .env("WRANGLER_SEND_METRICS", "false")
        .output()
        .unwrap();
    assert!(output.status.success(), "{sql}: {}", stderr(&output));
    let results: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    results[0]["results"].as_array().unwrap().clone()
}

/// The one number `sql` returns, as column `n`.
fn count(state: &Path, sql: &str) -> u64 {
    query(state, sql)[0]["n"].as_u64().unwrap()
}

/// Writes `lines` to a file in `state` and returns its path.
fn jsonl(state: &Path, name: &str, lines: &[String]) -> String {
    let path = state.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn accounts_are_saved_and_revoked_and_a_missing_account_is_an_error() {
    let state = fresh_database("upsert");
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
        "import",
        "seed",
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
    // Import needs at least one file; seed needs room for seed-0 .. seed-3.
    for args in [&["import"][..], &["seed", "--accounts", "3"]] {
        let refused = admin(args, "pw");
        assert_eq!(
            refused.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&refused)
        );
    }
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

#[test]
fn import_writes_the_valid_lines_refuses_the_rest_and_never_overwrites() {
    let state = fresh_database("import");
    let persist = state.to_str().unwrap();
    let hash = admin(&["hash-password", "--iterations", "1000"], "pw");
    let hash = String::from_utf8(hash.stdout).unwrap().trim().to_owned();
    let django = format!("pbkdf2_sha256$1000$djangosalt${}=", "Q".repeat(43));
    let passlib = format!("$pbkdf2-sha256$29000$c2FsdHNhbHQ${}", "Q".repeat(43));
    let werkzeug = format!("pbkdf2:sha256:260000$wsalt${}", "0f".repeat(32));
    let weak = hash.replace("i=1000,", "i=999,");
    // An account that exists before the import: it must come out unchanged, with no history.
    let existing = admin(
        &[
            "upsert-account",
            "--account-id",
            "imp-old",
            "--id-number",
            "1",
            "--iterations",
            "1000",
            "--persist-to",
            persist,
        ],
        "pw",
    );
    assert!(existing.status.success(), "{}", stderr(&existing));

    let account = |id: &str, hash: &str| {
        serde_json::json!({"id": id, "id_number": "110105199001011234", "password_hash": hash})
            .to_string()
    };
    let accounts = jsonl(
        &state,
        "accounts.jsonl",
        &[
            serde_json::json!({
                "id": "imp-a", "id_number": "110105199001011234", "password_hash": hash,
                "nickname": "secret-nick", "phone_number": "13800000000",
                "email": "a@example.com", "token_generation": 3,
            })
            .to_string(),
            account("imp-b", &django),
            account("imp-c", &passlib),
            serde_json::json!({
                "id": "imp-d", "id_number": "2", "password_hash": werkzeug,
                "nickname": null, "phone_number": null, "email": null,
            })
            .to_string(),
            account("imp-old", &hash),
            r#"{"id": "imp-e", "id_number": "1", "password_hash": "#.to_owned(),
            account("imp-f", &weak),
            account("", &hash),
            account("imp-a", &hash),
            String::new(),
            serde_json::json!({"id": "imp-g", "id_number": "1", "password_hash": hash,
                               "phone": "13800000000"})
            .to_string(),
        ],
    );
    let change = |account: &str, at: serde_json::Value| {
        serde_json::json!({
            "account_id": account, "data_type": "email", "before": "secret-before",
            "after": "x@example.com", "changed_at": at,
        })
        .to_string()
    };
    let history = jsonl(
        &state,
        "history.jsonl",
        &[
            change("imp-a", "2024-05-01T09:00:00Z".into()),
            change("imp-a", "2024-05-01T11:00:00.25+02:00".into()),
            change("imp-b", "2024-05-01 09:00:00".into()),
            change("imp-b", 1_714_554_000_123_i64.into()),
            change("nobody", "2024-05-01T09:00:00Z".into()),
            change("imp-a", "2024-05-01T25:00:00Z".into()),
            change("imp-old", "2024-05-01T09:00:00.5".into()),
            serde_json::json!({"account_id": "imp-d", "data_type": "nickname",
                               "changed_at": 0})
            .to_string(),
        ],
    );

    let imported = admin(
        &[
            "import",
            "--accounts",
            &accounts,
            "--history",
            &history,
            "--persist-to",
            persist,
        ],
        "",
    );

    let report = stderr(&imported);
    assert_eq!(imported.status.code(), Some(1), "{report}");
    assert!(imported.stdout.is_empty());
    assert!(
        report.contains("4 imported, 1 already present, 5 refused"),
        "{report}"
    );
    assert!(
        report.contains("6 imported, 0 already present, 2 refused"),
        "{report}"
    );
    for expected in [
        "line 5: an account with this `id` is already present",
        "line 6: not valid JSON",
        "line 7: `password_hash` has 999 iterations",
        "line 8: `id` has 0 characters",
        "line 9: repeats the `id` of line 1",
        "line 11: unknown member \"phone\"",
        "line 5: `account_id` names no account",
        "line 6: `changed_at` must be ISO 8601 text",
        "accounts: 5/5",
        "history: 7/7",
    ] {
        assert!(report.contains(expected), "{expected}: {report}");
    }
    for secret in [
        &hash,
        &django,
        "Q".repeat(43).as_str(),
        "secret-nick",
        "secret-before",
    ] {
        assert!(!report.contains(secret), "{report}");
    }

    let rows = query(
        &state,
        "SELECT id, id_number, password_hash, nickname, phone_number, email, token_generation \
         FROM accounts ORDER BY id",
    );
    let ids: Vec<&str> = rows.iter().map(|row| row["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["imp-a", "imp-b", "imp-c", "imp-d", "imp-old"]);
    assert_eq!(rows[0]["password_hash"], hash.as_str());
    assert_eq!(rows[0]["nickname"], "secret-nick");
    assert_eq!(rows[0]["email"], "a@example.com");
    assert_eq!(rows[0]["token_generation"], 3);
    assert_eq!(rows[1]["password_hash"], django.as_str());
    assert_eq!(rows[2]["password_hash"], passlib.as_str());
    assert_eq!(rows[3]["password_hash"], werkzeug.as_str());
    assert_eq!(rows[3]["nickname"], serde_json::Value::Null);
    assert_eq!(
        rows[4]["id_number"], "1",
        "an existing account was overwritten"
    );

    let log = query(
        &state,
        "SELECT account_id, data_type, value_before, value_after, changed_at_ms \
         FROM modification_log ORDER BY id",
    );
    let got: Vec<(&str, i64)> = log
        .iter()
        .map(|row| {
            (
                row["account_id"].as_str().unwrap(),
                row["changed_at_ms"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("imp-a", 1_714_554_000_000),
            ("imp-a", 1_714_554_000_250),
            ("imp-b", 1_714_554_000_000),
            ("imp-b", 1_714_554_000_123),
            ("imp-old", 1_714_554_000_500),
            ("imp-d", 0),
        ]
    );
    assert_eq!(log[0]["value_before"], "secret-before");
    assert_eq!(log[5]["value_before"], serde_json::Value::Null);

    // A file with nothing to refuse is a success.
    let clean = jsonl(&state, "clean.jsonl", &[change("imp-c", 1.into())]);
    let again = admin(
        &["import", "--history", &clean, "--persist-to", persist],
        "",
    );
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stderr(&again).contains("1 imported, 0 already present, 0 refused"));
    let _ = std::fs::remove_dir_all(&state);
}

#[test]
fn import_writes_many_statements_in_order_with_progress() {
    let state = fresh_database("batches");
    let persist = state.to_str().unwrap();
    let hash = admin(&["hash-password", "--iterations", "1000"], "pw");
    let hash = String::from_utf8(hash.stdout).unwrap().trim().to_owned();
    let accounts: Vec<String> = (0..1_050)
        .map(|i| {
            serde_json::json!({"id": format!("many-{i}"), "id_number": "1", "password_hash": hash})
                .to_string()
        })
        .collect();
    // All at one instant: the file's order must survive as the order of ids.
    let history: Vec<String> = (0..4_500)
        .map(|i| {
            serde_json::json!({
                "account_id": format!("many-{}", i % 7), "data_type": "nickname",
                "after": i.to_string(), "changed_at": "2024-05-01T09:00:00Z",
            })
            .to_string()
        })
        .collect();
    let accounts = jsonl(&state, "accounts.jsonl", &accounts);
    let history = jsonl(&state, "history.jsonl", &history);

    let imported = admin(
        &[
            "import",
            "--accounts",
            &accounts,
            "--history",
            &history,
            "--persist-to",
            persist,
        ],
        "",
    );

    let report = stderr(&imported);
    assert!(imported.status.success(), "{report}");
    assert!(report.contains("1050 imported"), "{report}");
    assert!(report.contains("4500 imported"), "{report}");
    // More than one wrangler call, each reported as it ends.
    assert!(
        report.contains("history: 4000/4500\nhistory: 4500/4500"),
        "{report}"
    );
    assert_eq!(
        count(
            &state,
            "SELECT count(*) AS n FROM accounts WHERE id LIKE 'many-%'"
        ),
        1_050
    );
    let after: Vec<String> = query(
        &state,
        "SELECT value_after FROM modification_log ORDER BY id",
    )
    .iter()
    .map(|row| row["value_after"].as_str().unwrap().to_owned())
    .collect();
    let expected: Vec<String> = (0..4_500).map(|i: i32| i.to_string()).collect();
    assert_eq!(after, expected);
    let _ = std::fs::remove_dir_all(&state);
}

#[test]
fn seed_makes_the_skewed_data_set_once() {
    let state = fresh_database("seed");
    let persist = state.to_str().unwrap();
    let seed = [
        "seed",
        "--accounts",
        "20",
        "--rows",
        "3000",
        "--persist-to",
        persist,
    ];

    let seeded = admin(&seed, "bench-password");

    let report = stderr(&seeded);
    assert!(seeded.status.success(), "{report}");
    assert!(seeded.stdout.is_empty());
    assert!(
        report.contains("seeded 20 accounts and 3000 rows (seed-0: 300, seed-1: 1000, seed-2: 10)"),
        "{report}"
    );
    let per_account = query(
        &state,
        "SELECT account_id, count(*) AS n, min(changed_at_ms) AS first, \
                max(changed_at_ms) AS last \
         FROM modification_log GROUP BY account_id ORDER BY n DESC, account_id",
    );
    assert_eq!(per_account.len(), 20);
    assert_eq!(per_account[0]["account_id"], "seed-1");
    assert_eq!(per_account[0]["n"], 1_000);
    assert_eq!(per_account[1]["account_id"], "seed-0");
    assert_eq!(per_account[1]["n"], 300);
    assert_eq!(per_account[19]["account_id"], "seed-2");
    assert_eq!(per_account[19]["n"], 10);
    // The other 17 share the remaining 1,690 as evenly as rows allow.
    for row in &per_account[2..19] {
        let n = row["n"].as_u64().unwrap();
        assert!((99..=100).contains(&n), "{row}");
    }
    // Spread over 2019 to 2024.
    for row in &per_account {
        assert!(row["first"].as_i64().unwrap() >= 1_546_300_800_000, "{row}");
        assert!(row["last"].as_i64().unwrap() < 1_735_689_600_000, "{row}");
        assert!(row["last"].as_i64().unwrap() - row["first"].as_i64().unwrap() > 86_400_000);
    }
    let kinds = query(
        &state,
        "SELECT data_type, count(*) AS n FROM modification_log GROUP BY data_type ORDER BY 1",
    );
    let kinds: Vec<&str> = kinds
        .iter()
        .map(|row| row["data_type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["email", "id_number", "nickname", "phone_number"]);

    let accounts = query(
        &state,
        "SELECT id, id_number, nickname, phone_number, email FROM accounts",
    );
    assert_eq!(accounts.len(), 20);
    for account in &accounts {
        let id_number = account["id_number"].as_str().unwrap();
        assert!(valid_id_number(id_number), "{account}");
        assert_eq!(
            account["phone_number"].as_str().unwrap().len(),
            11,
            "{account}"
        );
        assert!(
            account["email"].as_str().unwrap().contains("@"),
            "{account}"
        );
        assert!(
            !account["nickname"].as_str().unwrap().is_empty(),
            "{account}"
        );
    }
    let id_numbers = query(
        &state,
        "SELECT value_after AS v FROM modification_log \
         WHERE data_type = 'id_number' AND value_after IS NOT NULL",
    );
    assert!(!id_numbers.is_empty());
    for row in &id_numbers {
        assert!(valid_id_number(row["v"].as_str().unwrap()), "{row}");
    }

    // A second run would mix two data sets: refused, and nothing is added.
    let again = admin(&seed, "bench-password");
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(stderr(&again).contains("already holds 20 seed- accounts"));
    assert_eq!(
        count(&state, "SELECT count(*) AS n FROM modification_log"),
        3_000
    );
    let _ = std::fs::remove_dir_all(&state);
}

/// Whether `text` is 18 characters ending in the right ISO 7064 MOD 11-2 check character.
fn valid_id_number(text: &str) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let bytes = text.as_bytes();
    if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = bytes[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    bytes[17] == b"10X98765432"[(sum % 11) as usize]
}
