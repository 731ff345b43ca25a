//! History that writes itself: triggers on `accounts` log every change of a logged column, and
//! the `modification_log_entry` view takes times as ISO text (migration 0006).

use serde_json::Value;

use crate::helpers::{app, test_hash, Req};
use crate::history::afters;

fn kinds(logs: &[Value]) -> Vec<&str> {
    logs.iter()
        .map(|item| item["data_type"].as_str().unwrap())
        .collect()
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
