//! Pages and filters: optional body members that leave a plain request as the contract has it
//! (`docs/API.md`, "Paging and filters").

use serde_json::{json, Value};

use crate::helpers::{app, Req};
use crate::history::{afters, insert};

/// Sends `body` (with the password added) and returns the list and `next_cursor`.
fn page(token: &str, mut body: Value) -> (Vec<Value>, Value) {
    body["user_password"] = json!("pw");
    let response = Req::with_credentials(token, "pw").json(&body).send();
    let logs = response.logs();
    (logs, response.json()["data"]["next_cursor"].clone())
}

/// Ten changes, one a minute from 2026-02-23T10:00:00Z, alternating nickname and email, the
/// values `v0` (oldest) to `v9`.
fn ten_changes(account: &str) -> String {
    let app = app();
    let token = app.seed_account(account, "110000000000001234", "pw");
    let rows: Vec<(String, String, i64)> = (0..10)
        .map(|i| {
            let kind = if i % 2 == 0 { "nickname" } else { "email" };
            (
                kind.to_owned(),
                format!("v{i}"),
                1_771_840_800_000 + i * 60_000,
            )
        })
        .collect();
    let rows: Vec<(&str, Option<&str>, Option<&str>, i64)> = rows
        .iter()
        .map(|(kind, value, at)| (kind.as_str(), None, Some(value.as_str()), *at))
        .collect();
    insert(app, account, &rows);
    token
}

/// `count` nickname changes, `n0` (oldest) to `n{count - 1}`, a second apart.
fn nickname_changes(account: &str, count: u32) {
    app().sql(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {count} - 1)
         INSERT INTO modification_log (account_id, data_type, value_before, value_after, changed_at_ms)
         SELECT '{account}', 'nickname', NULL, 'n' || i, 1700000000000 + i * 1000 FROM n;"
    ));
}

#[test]
fn cursors_walk_the_whole_history_in_order_without_repeats() {
    let token = ten_changes("paging-walk");

    let mut seen = Vec::new();
    let mut cursor = Value::Null;
    for _ in 0..4 {
        let (logs, next) = page(&token, json!({"page_size": 3, "cursor": cursor}));
        seen.extend(afters(&logs).into_iter().map(str::to_owned));
        if next.is_null() {
            break;
        }
        cursor = next;
    }

    let expected: Vec<String> = (0..10).rev().map(|i| format!("v{i}")).collect();
    assert_eq!(seen, expected);
    assert!(cursor.is_string());
}

#[test]
fn without_page_size_the_whole_history_comes_with_a_null_cursor() {
    let token = ten_changes("paging-whole");

    let (logs, next) = page(&token, json!({}));

    assert_eq!(logs.len(), 10);
    assert_eq!(next, Value::Null);
}

#[test]
fn without_page_size_an_answer_stops_at_the_cap_and_says_more_exist() {
    let app = app();
    let token = app.seed_account("paging-cap", "110000000000001234", "pw");
    nickname_changes("paging-cap", 1_001);

    let (first, next) = page(&token, json!({}));
    let (rest, last) = page(&token, json!({"cursor": next}));

    assert_eq!(first.len(), 1_000);
    assert_eq!(first[0]["data_after_modification"], "n1000");
    assert_eq!(afters(&rest), ["n0"]);
    assert_eq!(last, Value::Null);
}

#[test]
fn filters_choose_a_kind_and_a_half_open_time_range() {
    let token = ten_changes("paging-filter");

    let (emails, _) = page(&token, json!({"data_type": "email"}));
    let (range, _) = page(
        &token,
        json!({"since": "2026-02-23T10:02:00Z", "until": "2026-02-23T18:05:00+08:00"}),
    );
    let (emails_paged, next) = page(&token, json!({"data_type": "email", "page_size": 2}));
    let (emails_rest, _) = page(
        &token,
        json!({"data_type": "email", "page_size": 2, "cursor": next}),
    );

    assert_eq!(afters(&emails), ["v9", "v7", "v5", "v3", "v1"]);
    assert_eq!(afters(&range), ["v4", "v3", "v2"]);
    assert_eq!(afters(&emails_paged), ["v9", "v7"]);
    assert_eq!(afters(&emails_rest), ["v5", "v3"]);
}

#[test]
fn a_cursor_is_refused_when_changed_or_used_elsewhere() {
    let token = ten_changes("paging-tamper");
    let other = ten_changes("paging-tamper-other");
    let (_, cursor) = page(&token, json!({"page_size": 2}));
    let cursor = cursor.as_str().unwrap().to_owned();
    let mut changed = cursor.clone().into_bytes();
    changed[5] = if changed[5] == b'A' { b'B' } else { b'A' };
    let changed = String::from_utf8(changed).unwrap();

    for (who, body) in [
        (&token, json!({"user_password": "pw", "cursor": changed})),
        (&other, json!({"user_password": "pw", "cursor": cursor})),
        (
            &token,
            json!({"user_password": "pw", "cursor": cursor, "data_type": "email"}),
        ),
        (
            &token,
            json!({"user_password": "pw", "cursor": "not a cursor"}),
        ),
    ] {
        Req::with_credentials(who, "pw")
            .json(&body)
            .send()
            .assert_error(400, "10003", "Invalid request parameters");
    }
    let (logs, _) = page(&token, json!({"page_size": 2, "cursor": cursor}));
    assert_eq!(afters(&logs), ["v7", "v6"]);
}

#[test]
fn bad_paging_values_are_10003() {
    let token = ten_changes("paging-bad");

    for body in [
        json!({"page_size": 0}),
        json!({"page_size": 1001}),
        json!({"page_size": "5"}),
        json!({"page_size": 2.5}),
        json!({"data_type": ""}),
        json!({"data_type": 5}),
        json!({"since": "yesterday"}),
        json!({"until": "2026-02-30T00:00:00Z"}),
        json!({"since": "2026-03-01T00:00:00Z", "until": "2026-02-01T00:00:00Z"}),
    ] {
        let mut body = body;
        body["user_password"] = json!("pw");
        Req::with_credentials(&token, "pw")
            .json(&body)
            .send()
            .assert_error(400, "10003", "Invalid request parameters");
    }
}

#[test]
fn a_page_of_a_long_history_reads_only_its_own_rows() {
    let app = app();
    let token = app.seed_account("paging-long", "110000000000001234", "pw");
    nickname_changes("paging-long", 20_000);
    let (_, cursor) = page(&token, json!({"page_size": 50}));

    let (logs, _) = page(&token, json!({"page_size": 50, "cursor": cursor}));

    assert_eq!(logs.len(), 50);
    assert_eq!(logs[0]["data_after_modification"], "n19949");
    // The rows SQLite reads for a page, counted by D1 for the same query: the page and the one
    // row past it, not the account's 20,000.
    let rows_read = app.rows_read(
        "SELECT id FROM modification_log WHERE account_id = 'paging-long'
           AND changed_at_ms BETWEEN 0 AND 1700019949000 AND (changed_at_ms < 1700019949000 OR id < 9007199254740991)
         ORDER BY changed_at_ms DESC, id DESC LIMIT 51;",
    );
    assert!(rows_read <= 60, "a page read {rows_read} rows");
}
