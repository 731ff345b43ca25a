//! History that writes itself: triggers on `accounts` log every change of a logged column, and
//! the `modification_log_entry` view takes times as ISO text (migration 0006); REPLACE can
//! neither change an account unlogged nor rewrite a log row (migration 0007).

use serde_json::Value;

use crate::helpers::{app, test_hash, Req};
use crate::history::{afters, members};

fn kinds(logs: &[Value]) -> Vec<&str> {
    members(logs, "data_type")
}

#[test]
fn plain_sql_updates_of_logged_columns_appear_in_the_history() {
    let app = app();
    let token = app.seed_account("capture-sql", "110105199001011234", "pw");

    app.sql(
        "UPDATE accounts SET nickname = 'Ann', email = 'ann@example.com' WHERE id = 'capture-sql';",
    );
    app.sql("UPDATE accounts SET nickname = 'Ann Lee' WHERE id = 'capture-sql';");
    // Writing the same value again, and changing what is never logged, record nothing.
    app.sql("UPDATE accounts SET nickname = 'Ann Lee' WHERE id = 'capture-sql';");
    app.sql("UPDATE accounts SET token_generation = 1 WHERE id = 'capture-sql';");
    app.sql("UPDATE accounts SET token_generation = 0 WHERE id = 'capture-sql';");
    app.set_password_hash("capture-sql", "$pbkdf2-sha256$i=1000,l=32$c2FsdA$aGFzaA");
    app.set_password_hash("capture-sql", &test_hash("pw"));
    app.sql("UPDATE accounts SET phone_number = '13800000001' WHERE id = 'capture-sql';");
    app.sql("UPDATE accounts SET id_number = '110105199001015678' WHERE id = 'capture-sql';");

    let logs = Req::with_credentials(&token, "pw").send().logs();

    assert_eq!(kinds(&logs[..3]), ["id_number", "phone_number", "nickname"]);
    assert_eq!(
        afters(&logs[..3]),
        ["110***********5678", "13800000001", "Ann Lee"]
    );
    assert_eq!(logs[0]["data_before_modification"], "110***********1234");
    assert_eq!(logs[2]["data_before_modification"], "Ann");
    // One statement changed two columns: two rows of the same instant, in either order.
    let mut first = afters(&logs[3..]);
    first.sort_unstable();
    assert_eq!(first, ["Ann", "ann@example.com"]);
    assert_eq!(logs[3]["modification_time"], logs[4]["modification_time"]);
    assert!(logs[3..]
        .iter()
        .all(|item| item["data_before_modification"] == ""));
    // The ID number shown as user_id is the new one, masked.
    assert_eq!(logs[4]["user_id"], "110***********5678");
    let written = app.query(
        "SELECT changed_at_ms FROM modification_log WHERE account_id = 'capture-sql' \
         ORDER BY id DESC LIMIT 1;",
    );
    let at = written[0]["changed_at_ms"].as_i64().unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    assert!((now - at).abs() < 120_000, "captured at {at}, now {now}");
}

#[test]
fn text_times_in_any_iso_form_order_by_instant() {
    let app = app();
    let token = app.seed_account("capture-times", "110105199001011234", "pw");
    let times = [
        "2024-05-01 09:00:00",
        "2024-05-01T08:30:00.5Z",
        "2024-05-01T10:00:00+02:00",
        "2024-04-30T07:00:00.5Z",
        "2024-04-30T07:00:00.50000001Z",
    ];
    for (number, time) in times.iter().enumerate() {
        app.sql(&format!(
            "INSERT INTO modification_log_entry (account_id, data_type, value_before, value_after, changed_at)
             VALUES ('capture-times', 'nickname', NULL, '{}', '{time}');",
            number + 1
        ));
    }

    let logs = Req::with_credentials(&token, "pw").send().logs();

    assert_eq!(afters(&logs), ["1", "2", "3", "5", "4"]);
    let shown: Vec<&str> = logs
        .iter()
        .map(|item| item["modification_time"].as_str().unwrap())
        .collect();
    assert_eq!(
        shown,
        [
            "2024-05-01T09:00:00",
            "2024-05-01T08:30:00",
            "2024-05-01T08:00:00",
            "2024-04-30T07:00:00",
            "2024-04-30T07:00:00"
        ]
    );
}

#[test]
fn a_text_time_that_is_no_time_is_refused_and_writes_nothing() {
    let app = app();
    app.seed_account("capture-bad-time", "110105199001011234", "pw");

    for bad in [
        "'yesterday'",
        "'2024-13-01 00:00:00'",
        "'2024-05-01'",
        "1714554000000",
        "'now'",
        // Shapes unixepoch() would read, moving them to another instant or ignoring the tail.
        "'2026-02-30 00:00:00'",
        "'2026-04-31T12:00:00Z'",
        "'2026-01-01T24:00:00Z'",
        "'2026-01-01T10:00:00   '",
        "'2026-01-01T10:00:00' || char(0)",
        "'2026-01-01T10:00:00Z+00:00'",
        "'2026-01-01T10:00:00+25:00'",
        "'1969-12-31 23:59:59'",
        "'9999-12-31T23:00:00-05:00'",
    ] {
        let error = app
            .try_query(&format!(
                "INSERT INTO modification_log_entry (account_id, data_type, value_after, changed_at)
                 VALUES ('capture-bad-time', 'nickname', 'x', {bad});"
            ))
            .expect_err(bad);
        assert!(error.contains("not an ISO 8601 time"), "{bad}: {error}");
    }
    let rows = app
        .query("SELECT count(*) AS n FROM modification_log WHERE account_id = 'capture-bad-time';");
    assert_eq!(rows[0]["n"], 0);
}

#[test]
fn fraction_digits_past_the_third_are_cut_not_rounded() {
    let app = app();
    app.seed_account("capture-fraction", "110105199001011234", "pw");

    app.sql(
        "INSERT INTO modification_log_entry (account_id, data_type, value_after, changed_at)
         VALUES ('capture-fraction', 'nickname', 'x', '2024-05-01T10:00:00.9999Z');",
    );

    let rows = app
        .query("SELECT changed_at_ms FROM modification_log WHERE account_id = 'capture-fraction';");
    assert_eq!(rows[0]["changed_at_ms"], 1_714_557_600_999_i64);
}

#[test]
fn replace_cannot_change_an_account_unlogged_but_an_upsert_is_logged() {
    let app = app();
    let token = app.seed_account("capture-replace", "110105199001011234", "pw");
    app.sql("UPDATE accounts SET nickname = 'Ann' WHERE id = 'capture-replace';");

    let error = app
        .try_query(
            "INSERT OR REPLACE INTO accounts (id, id_number, password_hash, nickname)
             SELECT id, id_number, password_hash, 'Silently Renamed' FROM accounts
             WHERE id = 'capture-replace';",
        )
        .expect_err("REPLACE of an account");
    assert!(error.contains("REPLACE would change an account"), "{error}");
    app.sql(
        "INSERT INTO accounts (id, id_number, password_hash, nickname)
         SELECT id, id_number, password_hash, 'Ann Lee' FROM accounts WHERE id = 'capture-replace'
         ON CONFLICT (id) DO UPDATE SET nickname = excluded.nickname;",
    );

    let logs = Req::with_credentials(&token, "pw").send().logs();
    assert_eq!(afters(&logs), ["Ann Lee", "Ann"]);
    assert_eq!(logs[0]["data_before_modification"], "Ann");
}

#[test]
fn replace_cannot_rewrite_a_log_row_and_ids_stay_exact_in_javascript() {
    let app = app();
    let token = app.seed_account("capture-rewrite", "110105199001011234", "pw");
    app.sql("UPDATE accounts SET email = 'ann@example.com' WHERE id = 'capture-rewrite';");
    let id = app.query("SELECT id FROM modification_log WHERE account_id = 'capture-rewrite';")[0]
        ["id"]
        .as_i64()
        .unwrap();

    for statement in ["REPLACE INTO", "INSERT OR IGNORE INTO"] {
        let error = app
            .try_query(&format!(
                "{statement} modification_log
                 (id, account_id, data_type, value_before, value_after, changed_at_ms)
                 VALUES ({id}, 'capture-rewrite', 'email', NULL, 'evil@example.com', 0);"
            ))
            .expect_err(statement);
        assert!(
            error.contains("a row id cannot be reused"),
            "{statement}: {error}"
        );
    }
    let error = app
        .try_query(
            "INSERT INTO modification_log
             (id, account_id, data_type, value_before, value_after, changed_at_ms)
             VALUES (9007199254740993, 'capture-rewrite', 'email', NULL, 'x', 0);",
        )
        .expect_err("an id past 2^53");
    assert!(error.contains("between 1 and 2^53 - 1"), "{error}");

    let logs = Req::with_credentials(&token, "pw").send().logs();
    assert_eq!(afters(&logs), ["ann@example.com"]);
}

#[test]
fn an_account_keeps_its_id_and_an_account_with_history_stays() {
    let app = app();
    let token = app.seed_account("capture-victim", "110105199001011234", "pw");
    app.seed_account("capture-intruder", "110105199001015678", "other pw");
    app.sql("UPDATE accounts SET nickname = 'Ann' WHERE id = 'capture-victim';");

    // REPLACE through the id would put the intruder's row, hash included, in the victim's place.
    let error = app
        .try_query(
            "UPDATE OR REPLACE accounts SET id = 'capture-victim' WHERE id = 'capture-intruder';",
        )
        .expect_err("UPDATE OR REPLACE of an id");
    assert!(error.contains("an account id cannot change"), "{error}");
    let error = app
        .try_query(
            "PRAGMA defer_foreign_keys = ON; DELETE FROM accounts WHERE id = 'capture-victim';",
        )
        .expect_err("deleting an account with history");
    assert!(
        error.contains("an account with history cannot be deleted"),
        "{error}"
    );

    let logs = Req::with_credentials(&token, "pw").send().logs();
    assert_eq!(afters(&logs), ["Ann"]);
    assert_eq!(logs[0]["user_id"], "110***********1234");
}
