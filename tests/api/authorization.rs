//! The `Authorization` header (`docs/API.md`, "Tokens"): what is accepted, and that every
//! malformed form is `10001` without disturbing requests that arrive alongside it.

use std::sync::Barrier;

use user_info_log::auth::token::{mint, subject, SigningSecret, TokenClaims};

use crate::helpers::{app, Req, SECRET};

fn assert_10001(req: Req, case: &str) {
    let response = req.send();
    assert_eq!(response.status, 401, "{case}: {:?}", response.json());
    response.assert_error(401, "10001", "Token expired or invalid");
}

#[test]
fn scheme_in_any_case_and_extra_spaces_are_accepted() {
    let app = app();
    let token = app.seed_account("auth-forms", "110000000000001234", "pw");
    let body = br#"{"user_password":"pw"}"#;

    for value in [
        format!("bearer {token}"),
        format!("BEARER {token}"),
        format!("Bearer  {token}"),
    ] {
        let response = Req::post()
            .header("Authorization", value.as_bytes())
            .body(body)
            .send();

        assert_eq!(response.status, 200, "{value:.10}: {:?}", response.json());
    }
}

#[test]
fn malformed_authorization_is_10001() {
    let app = app();
    let token = app.seed_account("auth-malformed", "110000000000001234", "pw");
    let body = br#"{"user_password":"pw"}"#;
    let with = |value: &[u8]| Req::post().header("Authorization", value).body(body);

    assert_10001(Req::post().body(body), "no header");
    assert_10001(with(b"Bearer"), "scheme only");
    assert_10001(with(b"Bearer "), "scheme and a space");
    assert_10001(with(format!("Bearer {token}=").as_bytes()), "padding added");
    assert_10001(
        with(format!("Bearer {token}==").as_bytes()),
        "two padding characters",
    );
    assert_10001(with(format!("Basic {token}").as_bytes()), "Basic scheme");
    assert_10001(with(token.as_bytes()), "no scheme");
    assert_10001(with(b"Bearer not.a.token"), "garbage token");
    assert_10001(
        with(format!("Bearer {token}").as_bytes())
            .header("Authorization", format!("Bearer {token}").as_bytes()),
        "two Authorization headers",
    );
}

#[test]
fn expired_token_and_token_from_another_key_are_10001() {
    let app = app();
    app.seed_account("auth-expired", "110000000000001234", "pw");
    let secret = SigningSecret::new(SECRET.as_bytes().to_vec());
    let other = SigningSecret::new(b"some-other-secret-of-at-least-32-bytes".to_vec());
    let now = chrono::Utc::now();

    let expired = mint(
        &secret,
        subject("auth-expired"),
        now - chrono::Duration::hours(2),
        chrono::Duration::hours(1),
    );
    let foreign = mint(
        &other,
        subject("auth-expired"),
        now,
        chrono::Duration::hours(1),
    );

    assert_10001(Req::with_credentials(&expired, "pw"), "expired an hour ago");
    assert_10001(
        Req::with_credentials(&foreign, "pw"),
        "signed with another key",
    );
}

#[test]
fn non_ascii_bytes_after_the_scheme_are_10001_while_valid_requests_still_succeed() {
    let app = app();
    let token = app.seed_account("auth-non-ascii", "110000000000001234", "pw");
    let mut odd = b"Bearer\xc3\xa9".to_vec();
    odd.extend_from_slice(token.as_bytes());
    let empty = b"Bearer".to_vec();

    let barrier = Barrier::new(12);
    let answers: Vec<(bool, u16, serde_json::Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|i| {
                let (barrier, token, odd, empty) = (&barrier, &token, &odd, &empty);
                scope.spawn(move || {
                    let (valid, req) = match i % 3 {
                        0 => (true, Req::with_credentials(token, "pw")),
                        1 => (
                            false,
                            Req::post()
                                .header("Authorization", odd)
                                .body(br#"{"user_password":"pw"}"#),
                        ),
                        _ => (
                            false,
                            Req::post()
                                .header("Authorization", empty)
                                .body(br#"{"user_password":"pw"}"#),
                        ),
                    };
                    barrier.wait();
                    let response = req.send();
                    (valid, response.status, response.json())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    for (valid, status, body) in answers {
        if valid {
            assert_eq!(status, 200, "{body}");
        } else {
            assert_eq!(
                (status, body["code"].as_str()),
                (401, Some("10001")),
                "{body}"
            );
        }
    }
}

#[test]
fn raising_the_token_generation_revokes_older_tokens() {
    let app = app();
    let old_token = app.seed_account("auth-revoked", "110000000000001234", "pw");
    let secret = SigningSecret::new(SECRET.as_bytes().to_vec());
    let claims = TokenClaims {
        gen: Some(1),
        ..subject("auth-revoked")
    };
    let new_token = mint(
        &secret,
        claims,
        chrono::Utc::now(),
        chrono::Duration::hours(1),
    );
    assert_eq!(Req::with_credentials(&old_token, "pw").send().status, 200);

    app.sql("UPDATE accounts SET token_generation = 1 WHERE id = 'auth-revoked';");

    assert_10001(
        Req::with_credentials(&old_token, "pw"),
        "token of generation 0",
    );
    assert_eq!(
        Req::with_credentials(&new_token, "pw").send().logs().len(),
        0
    );
}

#[test]
fn token_over_8_kib_is_10001() {
    let long = format!("Bearer {}", "a".repeat(8 * 1024 + 1));

    assert_10001(
        Req::post()
            .header("Authorization", long.as_bytes())
            .body(br#"{"user_password":"pw"}"#),
        "9 KiB token",
    );
}
