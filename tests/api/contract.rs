//! One test per row of the result-code tables in `docs/API.md` ("Result codes"), each asserting
//! the HTTP status and the whole body.

use user_info_log::auth::password::{hash_password, Password};

use crate::helpers::{app, token_for, Req, Response, Variant};

fn assert_10006(response: &Response) {
    response.assert_error(
        500,
        "10006",
        "Failed to get user info modification log, server internal error",
    );
}

#[test]
fn success_10000() {
    let app = app();
    let token = app.seed_account("contract-ok", "110000000000001234", "right password");
    app.sql(
        "INSERT INTO modification_log (account_id, data_type, value_before, value_after, changed_at_ms)
         VALUES ('contract-ok', 'phone_number', '13800000000', '13800000001', 1771840800000);",
    );

    let response = Req::with_credentials(&token, "right password").send();

    assert_eq!(response.status, 200);
    response.assert_common_headers();
    assert_eq!(response.header("x-display-utc-offset"), Some("+00:00"));
    assert_eq!(
        response.json(),
        serde_json::json!({
            "status": 200,
            "code": "10000",
            "result": "Get user info modification log successfully",
            "data": {"modification_logs": [{
                "user_id": "110***********1234",
                "data_type": "phone_number",
                "data_before_modification": "13800000000",
                "data_after_modification": "13800000001",
                "modification_time": "2026-02-23T10:00:00"
            }], "next_cursor": null}
        })
    );
}

#[test]
fn invalid_token_10001() {
    // A well-signed token whose account does not exist.
    let response = Req::with_credentials(&token_for("contract-nobody"), "pw").send();

    response.assert_error(401, "10001", "Token expired or invalid");
}

#[test]
fn endpoint_closed_10002() {
    let app = app();
    let token = app.seed_account("contract-closed", "110000000000001234", "pw");

    let response = Req::with_credentials(&token, "pw").send_to(Variant::Closed);

    response.assert_error(403, "10002", "Server has not opened this endpoint");
}

#[test]
fn invalid_request_10003() {
    let app = app();
    let token = app.seed_account("contract-bad-body", "110000000000001234", "pw");

    let response = Req::post()
        .bearer(&token)
        .body(br#"{"user_password":null}"#)
        .send();

    response.assert_error(400, "10003", "Invalid request parameters");
}

#[test]
fn wrong_password_10004() {
    let app = app();
    let token = app.seed_account("contract-wrong-pw", "110000000000001234", "right password");

    let response = Req::with_credentials(&token, "wrong password").send();

    response.assert_error(401, "10004", "Password is incorrect");
}

#[test]
fn too_many_attempts_10005() {
    let app = app();
    let token = app.seed_account("contract-locked", "110000000000001234", "right password");

    for attempt in 1..=5 {
        let response = Req::with_credentials(&token, "wrong password").send();
        assert_eq!(
            response.status,
            401,
            "attempt {attempt}: {:?}",
            response.json()
        );
    }
    let locked = Req::with_credentials(&token, "wrong password").send();
    let right_but_locked = Req::with_credentials(&token, "right password").send();

    locked.assert_error(
        429,
        "10005",
        "Too many password attempts, please try again later",
    );
    let retry_after: u64 = locked
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(
        (1..=900).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    // The lockout answer does not depend on whether the password was right.
    right_but_locked.assert_error(
        429,
        "10005",
        "Too many password attempts, please try again later",
    );
}

#[test]
fn server_error_10006_from_a_real_database_failure() {
    let app = app();
    let token = app.seed_account("contract-db-down", "110000000000001234", "pw");
    let _exclusive = app.exclusive();

    app.sql("ALTER TABLE modification_log RENAME TO modification_log_away;");
    let response = Req::with_credentials(&token, "pw").send();
    app.sql("ALTER TABLE modification_log_away RENAME TO modification_log;");

    assert_10006(&response);
    // Fails after its deadline when the cause never reaches the log.
    app.wait_for_log_lines(&["no such table: modification_log"]);
}

#[test]
fn server_error_10006_from_an_empty_key_set() {
    let app = app();
    let token = app.seed_account("contract-no-keys", "110000000000001234", "pw");

    let response = Req::with_credentials(&token, "pw").send_to(Variant::NoKeys);

    assert_10006(&response);
}

#[test]
fn server_error_10006_from_a_corrupt_stored_hash() {
    let app = app();
    let token = app.seed_account("contract-bad-hash", "110000000000001234", "pw");
    app.set_password_hash("contract-bad-hash", "not a hash");

    let response = Req::with_credentials(&token, "pw").send();

    assert_10006(&response);
}

#[test]
fn server_error_10006_from_a_hash_outside_the_iteration_bounds() {
    let app = app();

    for (account, iterations) in [
        ("contract-cheap-hash", 10),
        ("contract-costly-hash", 3_000_000),
    ] {
        let token = app.seed_account(account, "110000000000001234", "pw");
        let phc = hash_password(&Password::new("pw"), iterations, b"integration-salt").unwrap();
        app.set_password_hash(account, &phc);

        let response = Req::with_credentials(&token, "pw").send();

        assert_10006(&response);
    }
}

#[test]
fn twenty_wrong_passwords_at_once_get_at_most_five_10004() {
    let app = app();
    let token = app.seed_account("contract-burst", "110000000000001234", "right password");
    let barrier = std::sync::Barrier::new(20);

    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..20)
            .map(|_| {
                let (barrier, token) = (&barrier, &token);
                scope.spawn(move || {
                    let req = Req::with_credentials(token, "wrong password");
                    barrier.wait();
                    req.send().status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let wrong = statuses.iter().filter(|&&s| s == 401).count();
    let locked = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!((wrong, locked), (5, 15), "{statuses:?}");
}
