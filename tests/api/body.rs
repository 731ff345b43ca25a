//! The request body and its content type (`docs/API.md`, "Body" and "Content type").

use crate::helpers::{app, Req};

fn assert_10003(req: Req, case: &str) {
    let response = req.send();
    assert_eq!(response.status, 400, "{case}: {:?}", response.json());
    response.assert_error(400, "10003", "Invalid request parameters");
}

#[test]
fn json_content_type_with_parameters_or_capitals_is_accepted() {
    let app = app();
    let token = app.seed_account("body-content-type", "110000000000001234", "pw");

    for content_type in ["application/json; charset=utf-8", "Application/JSON"] {
        let response = Req::with_credentials(&token, "pw")
            .without("Content-Type")
            .header("Content-Type", content_type.as_bytes())
            .send();

        assert_eq!(
            response.status,
            200,
            "{content_type}: {:?}",
            response.json()
        );
    }
}

#[test]
fn other_content_types_are_10003() {
    let app = app();
    let token = app.seed_account("body-not-json", "110000000000001234", "pw");
    let req = || Req::with_credentials(&token, "pw").without("Content-Type");

    assert_10003(req(), "no content type");
    assert_10003(req().header("Content-Type", b"text/plain"), "text/plain");
    assert_10003(
        req().header("Content-Type", b"application/x-www-form-urlencoded"),
        "form",
    );
}

#[test]
fn bodies_outside_the_rules_are_10003() {
    let app = app();
    let token = app.seed_account("body-bad", "110000000000001234", "pw");

    for body in [
        &br#"{"user_password":null}"#[..],
        br#"{"user_password":12345}"#,
        br#"["pw"]"#,
        b"{}",
        b"",
        br#"{"user_password":"pw"#,
        br#"{"user_password":"pw","user_password":"pw"}"#,
        b"\xff\xfe",
    ] {
        assert_10003(
            Req::post().bearer(&token).body(body),
            &String::from_utf8_lossy(body),
        );
    }
}

#[test]
fn body_over_16_kib_is_10003() {
    let app = app();
    let token = app.seed_account("body-huge", "110000000000001234", "pw");
    let huge = serde_json::json!({ "user_password": "p".repeat(20 * 1024) });

    assert_10003(Req::post().bearer(&token).json(&huge), "20 KiB password");
}

#[test]
fn chunked_body_over_16_kib_without_a_length_is_10003_and_a_small_one_is_read() {
    let app = app();
    let token = app.seed_account("body-chunked", "110000000000001234", "pw");
    let padding = " ".repeat(20 * 1024);
    let huge = format!(r#"{{"user_password":"pw"}}{padding}"#);

    let small = Req::with_credentials(&token, "pw").chunked().send();

    assert_eq!(small.logs().len(), 0);
    assert_10003(
        Req::post().bearer(&token).body(huge.as_bytes()).chunked(),
        "chunked 20 KiB",
    );
}

#[test]
fn password_over_4_kib_is_10003() {
    let app = app();
    let token = app.seed_account("body-long-pw", "110000000000001234", "pw");

    let response = Req::with_credentials(&token, &"p".repeat(4 * 1024 + 1)).send();

    response.assert_error(400, "10003", "Invalid request parameters");
}

#[test]
fn password_with_nul_appended_is_a_wrong_password() {
    let app = app();
    let token = app.seed_account("body-nul-pw", "110000000000001234", "pw");

    // HMAC would pad "pw" with zero bytes and derive the same key for "pw\0".
    let response = Req::post()
        .bearer(&token)
        .body(br#"{"user_password":"pw\u0000"}"#)
        .send();

    response.assert_error(401, "10004", "Password is incorrect");
}

#[test]
fn empty_password_is_a_wrong_password() {
    let app = app();
    let token = app.seed_account("body-empty-pw", "110000000000001234", "pw");

    let response = Req::with_credentials(&token, "").send();

    response.assert_error(401, "10004", "Password is incorrect");
}

#[test]
fn another_accounts_id_in_the_body_changes_nothing() {
    let app = app();
    let token = app.seed_account("body-me", "110000000000001234", "pw");
    app.seed_account("body-victim", "220000000000005678", "pw");
    app.sql(
        "INSERT INTO modification_log (account_id, data_type, value_before, value_after, changed_at_ms)
         VALUES ('body-victim', 'email', 'a@victim', 'b@victim', 1000);",
    );

    let response = Req::post()
        .bearer(&token)
        .json(&serde_json::json!({
            "user_password": "pw",
            "user_id": "body-victim",
            "account_id": "body-victim",
            "sub": "body-victim"
        }))
        .send();

    assert_eq!(response.logs(), Vec::<serde_json::Value>::new());
}

#[test]
fn unauthenticated_caller_learns_nothing_about_the_body() {
    let response = Req::post()
        .without("Content-Type")
        .header("Content-Type", b"text/plain")
        .body(b"x")
        .send();

    response.assert_error(401, "10001", "Token expired or invalid");
}
