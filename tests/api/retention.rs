//! Retention (README, "Retention"): the scheduled job deletes rows older than the policy, in
//! batches, and is the only way rows leave the log. Runs against [`Variant::Retention`], whose
//! database no other test uses.

use serde_json::Value;

use crate::helpers::{app, Req, Variant, RETENTION_DAYS};

const DAY_MS: i64 = 86_400_000;

/// Held by each test here: the Retention Worker's database has no traffic lock of its own, and
/// its job must not run while another test writes.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn sql(statement: &str) -> Vec<Value> {
    app()
        .retention_sql(statement)
        .unwrap_or_else(|error| panic!("SQL failed: {statement}\n{error}"))
}

/// The change times, in days before now (rounded down), of the account's rows, oldest first.
fn ages_in_days(account: &str, now_ms: i64) -> Vec<i64> {
    sql(&format!(
        "SELECT changed_at_ms FROM modification_log WHERE account_id = '{account}'
         ORDER BY changed_at_ms;"
    ))
    .iter()
    .map(|row| (now_ms - row["changed_at_ms"].as_i64().unwrap()) / DAY_MS)
    .collect()
}

/// Runs the Cron Trigger once, through the local runtime's handler for it.
fn run_job() {
    let response = Req::post()
        .method("GET")
        .path("/__scheduled?cron=17+3+*+*+*")
        .send_to(Variant::Retention);
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
}

#[test]
fn the_job_deletes_only_rows_past_the_policy_and_nothing_else_can_delete_rows() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let now_ms = chrono::Utc::now().timestamp_millis();
    let at = |days: i64| now_ms - days * DAY_MS;
    sql("INSERT INTO accounts (id, id_number, password_hash) VALUES ('ret', '1', 'x');");
    sql(&format!(
        "INSERT INTO modification_log (account_id, data_type, value_before, value_after, changed_at_ms)
         VALUES ('ret', 'email', NULL, 'a', {}), ('ret', 'email', 'a', 'b', {}),
                ('ret', 'email', 'b', 'c', {}), ('ret', 'email', 'c', 'd', {});",
        at(400),
        at(i64::from(RETENTION_DAYS) + 2),
        at(i64::from(RETENTION_DAYS) - 2),
        at(1)
    ));
    // 1,200 more rows from the 1970s: more than one batch of the job.
    sql(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
         INSERT INTO modification_log (account_id, data_type, value_before, value_after, changed_at_ms)
         SELECT 'ret', 'nickname', NULL, 'old', i * 1000 FROM n;",
    );

    let before_policy =
        app().retention_sql("DELETE FROM modification_log WHERE changed_at_ms < 5000;");
    assert!(
        before_policy.is_err(),
        "a DELETE before any policy was accepted"
    );
    assert_eq!(ages_in_days("ret", now_ms).len(), 1_204);

    run_job();

    let kept = ages_in_days("ret", now_ms);
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(
        kept.iter().all(|&age| age < i64::from(RETENTION_DAYS)),
        "{kept:?}"
    );
    let careless = app().retention_sql("DELETE FROM modification_log;");
    assert!(careless.is_err(), "a DELETE of young rows was accepted");
    assert_eq!(
        ages_in_days("ret", now_ms).len(),
        2,
        "the refused DELETE removed rows"
    );

    let line = retention_log_line();
    assert_eq!(line["deleted"], 1_202, "{line}");
    assert_eq!(line["keep_days"], RETENTION_DAYS, "{line}");
}

/// The job's JSON log line.
fn retention_log_line() -> Value {
    let lines = app().wait_for_log_lines(&[r#""job":"retention""#]);
    serde_json::from_str(&lines[0]).unwrap()
}

#[test]
fn times_are_shown_at_the_configured_display_offset() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let phc = crate::helpers::test_hash("offset pw");
    sql(&format!(
        "INSERT INTO accounts (id, id_number, password_hash) VALUES ('offset', '1', '{phc}');"
    ));
    // 10:00 and 20:30 UTC two days ago, within the retention: at +08:00 the second is the next
    // day.
    let midnight = (chrono::Utc::now().timestamp_millis() / DAY_MS - 2) * DAY_MS;
    let (morning, evening) = (
        midnight + 10 * 3_600_000,
        midnight + 20 * 3_600_000 + 1_800_000,
    );
    sql(&format!(
        "INSERT INTO modification_log (account_id, data_type, value_before, value_after, changed_at_ms)
         VALUES ('offset', 'email', NULL, 'a', {morning}), ('offset', 'email', 'a', 'b', {evening});"
    ));
    let day = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap()
            .format("%Y-%m-%d")
    };
    let expected = [
        format!("{}T04:30:00", day(midnight + DAY_MS)),
        format!("{}T18:00:00", day(midnight)),
    ];
    let token = crate::helpers::token_for("offset");

    let response = Req::with_credentials(&token, "offset pw").send_to(Variant::Retention);

    assert_eq!(response.header("x-display-utc-offset"), Some("+08:00"));
    let times: Vec<String> = response
        .logs()
        .iter()
        .map(|item| item["modification_time"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(times, expected);
}
