//! Retention (README, "Retention"): the scheduled job deletes rows older than the policy, in
//! batches, and is the only way rows leave the log. Runs against [`Variant::Retention`], whose
//! database no other test uses.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{app, Req, Variant, RETENTION_DAYS};

const DAY_MS: i64 = 86_400_000;

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

/// The job's JSON log line, waiting for wrangler to flush it.
fn retention_log_line() -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let output = app().worker_output();
        let line = output
            .lines()
            .find(|line| line.contains(r#""job":"retention""#));
        if let Some(line) = line {
            let json = &line[line.find('{').unwrap()..=line.rfind('}').unwrap()];
            return serde_json::from_str(json).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "no retention log line in:\n{output}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
