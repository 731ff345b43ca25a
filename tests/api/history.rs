//! What the log answers: only the caller's rows, newest first with a stable order for equal
//! times, empty values for NULLs, and masked ID numbers (`docs/API.md`, "Response envelope").

use serde_json::Value;

use user_info_log::modification_log::{LOG_PAGE_OF_TYPE_QUERY, LOG_PAGE_QUERY};

use crate::helpers::{app, Req, TestApp};

pub fn insert(app: &TestApp, account: &str, rows: &[(&str, Option<&str>, Option<&str>, i64)]) {
    let values: Vec<String> = rows
        .iter()
        .map(|(data_type, before, after, at)| {
            let text = |v: &Option<&str>| v.map_or("NULL".to_owned(), crate::helpers::literal);
            format!(
                "('{account}', '{data_type}', {}, {}, {at})",
                text(before),
                text(after)
            )
        })
        .collect();
    app.sql(&format!(
        "INSERT INTO modification_log (account_id, data_type, value_before, value_after, changed_at_ms)
         VALUES {};",
        values.join(", ")
    ));
}

/// One member of every log item, in the answer's order.
pub fn members<'a>(logs: &'a [Value], name: &str) -> Vec<&'a str> {
    logs.iter()
        .map(|item| item[name].as_str().unwrap())
        .collect()
}

pub fn afters(logs: &[Value]) -> Vec<&str> {
    members(logs, "data_after_modification")
}

#[test]
fn rows_come_newest_first_and_equal_times_newest_recorded_first() {
    let app = app();
    let token = app.seed_account("history-order", "110000000000001234", "pw");
    insert(
        app,
        "history-order",
        &[
            ("nickname", None, Some("oldest"), 1_000_000),
            ("email", None, Some("tie-1"), 5_000_000),
            ("email", None, Some("tie-2"), 5_000_000),
            ("email", None, Some("tie-3"), 5_000_000),
            ("nickname", None, Some("newest"), 9_000_000),
            ("nickname", None, Some("middle"), 3_000_000),
        ],
    );

    let first = Req::with_credentials(&token, "pw").send().logs();
    let second = Req::with_credentials(&token, "pw").send().logs();

    assert_eq!(
        afters(&first),
        ["newest", "tie-3", "tie-2", "tie-1", "middle", "oldest"]
    );
    assert_eq!(first, second);
}

#[test]
fn equal_times_keep_their_order_without_the_list_index() {
    let app = app();
    let token = app.seed_account("history-no-index", "110000000000001234", "pw");
    insert(
        app,
        "history-no-index",
        &[
            ("email", None, Some("tie-1"), 7_000_000),
            ("email", None, Some("tie-2"), 7_000_000),
            ("email", None, Some("tie-3"), 7_000_000),
        ],
    );
    let with_index = Req::with_credentials(&token, "pw").send().logs();

    let _exclusive = app.exclusive();
    app.sql("DROP INDEX modification_log_by_account_time;");
    let without_index = Req::with_credentials(&token, "pw").send().logs();
    app.sql(
        "CREATE INDEX modification_log_by_account_time ON modification_log (account_id, changed_at_ms);",
    );

    assert_eq!(afters(&with_index), ["tie-3", "tie-2", "tie-1"]);
    assert_eq!(with_index, without_index);
}

#[test]
fn page_queries_use_their_index_in_its_order_with_no_sort_step() {
    let app = app();

    for (query, index) in [
        (LOG_PAGE_QUERY, "modification_log_by_account_time"),
        (
            LOG_PAGE_OF_TYPE_QUERY,
            "modification_log_by_account_type_time",
        ),
    ] {
        let bound = query
            .replace("?1", "'someone'")
            .replace("?2", "0")
            .replace("?3", "1771840800000")
            .replace("?4", "77")
            .replace("?5", "51")
            .replace("?6", "'email'");
        let plan = app.query(&format!("EXPLAIN QUERY PLAN {bound}"));

        let details: Vec<&str> = plan
            .iter()
            .filter_map(|row| row["detail"].as_str())
            .collect();
        assert!(
            details
                .iter()
                .any(|d| d.contains(&format!("USING INDEX {index} ("))),
            "{details:?}"
        );
        assert!(
            !details.iter().any(|d| d.contains("TEMP B-TREE")),
            "{details:?}"
        );
    }
}

#[test]
fn another_accounts_rows_never_appear() {
    let app = app();
    let token = app.seed_account("history-mine", "110000000000001234", "pw");
    app.seed_account("history-theirs", "220000000000005678", "pw");
    insert(
        app,
        "history-mine",
        &[("nickname", Some("a"), Some("mine"), 2_000)],
    );
    insert(
        app,
        "history-theirs",
        &[("nickname", Some("b"), Some("theirs"), 3_000)],
    );

    let logs = Req::with_credentials(&token, "pw").send().logs();

    assert_eq!(afters(&logs), ["mine"]);
    assert_eq!(logs[0]["user_id"], "110***********1234");
}

#[test]
fn empty_history_is_success_with_an_empty_list() {
    let app = app();
    let token = app.seed_account("history-empty", "110000000000001234", "pw");

    let response = Req::with_credentials(&token, "pw").send();

    assert_eq!(
        response.json(),
        serde_json::json!({
            "status": 200,
            "code": "10000",
            "result": "Get user info modification log successfully",
            "data": {"modification_logs": [], "next_cursor": null}
        })
    );
}

#[test]
fn null_values_are_empty_strings() {
    let app = app();
    let token = app.seed_account("history-null", "110000000000001234", "pw");
    insert(
        app,
        "history-null",
        &[("email", None, Some("new@example.com"), 1_771_840_800_000)],
    );
    insert(
        app,
        "history-null",
        &[("email", Some("new@example.com"), None, 1_771_840_900_000)],
    );

    let logs = Req::with_credentials(&token, "pw").send().logs();

    assert_eq!(
        logs,
        [
            serde_json::json!({
                "user_id": "110***********1234",
                "data_type": "email",
                "data_before_modification": "new@example.com",
                "data_after_modification": "",
                "modification_time": "2026-02-23T10:01:40"
            }),
            serde_json::json!({
                "user_id": "110***********1234",
                "data_type": "email",
                "data_before_modification": "",
                "data_after_modification": "new@example.com",
                "modification_time": "2026-02-23T10:00:00"
            }),
        ]
    );
}

#[test]
fn id_numbers_are_masked_by_character() {
    let app = app();

    for (account, id_number, masked) in [
        ("history-mask-x", "11000000000000123X", "110***********123X"),
        ("history-mask-short", "1234567", "*******"),
        (
            "history-mask-cjk",
            "身份证号码一二三四五",
            "身份证***二三四五",
        ),
    ] {
        let token = app.seed_account(account, id_number, "pw");
        insert(app, account, &[("nickname", None, Some("n"), 0)]);

        let logs = Req::with_credentials(&token, "pw").send().logs();

        assert_eq!(logs[0]["user_id"], masked, "{id_number}");
    }
}

#[test]
fn log_rows_cannot_be_updated() {
    let app = app();
    let token = app.seed_account("history-append-only", "110000000000001234", "pw");
    insert(
        app,
        "history-append-only",
        &[("email", Some("a@x"), Some("b@x"), 1_000)],
    );

    let update = app.try_query(
        "UPDATE modification_log SET value_after = 'forged' WHERE account_id = 'history-append-only';",
    );

    let error = update.expect_err("the update was allowed");
    assert!(error.contains("append-only"), "{error}");
    let logs = Req::with_credentials(&token, "pw").send().logs();
    assert_eq!(afters(&logs), ["b@x"]);
}
