//! The `Authorization` header (`docs/API.md`, "Tokens"): what is accepted, and that every
//! malformed form is `10001` without disturbing requests that arrive alongside it.

use std::sync::Barrier;

use jwt_compact::alg::{Ed25519, Es256, Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt, Claims, Header, TimeOptions};
use user_info_log::auth::token::{mint, subject, SigningSecret, TokenClaims};

use crate::helpers::{app, ed25519_key, p256_key, remember_secret, Req, ED25519_KID};
use crate::helpers::{NEXT_SECRET, NEXT_SECRET_KID, P256_KID, SECRET};

/// Claims for `account` valid for the next hour.
fn claims_for(account: &str) -> Claims<TokenClaims> {
    let now = chrono::Utc::now();
    let options = TimeOptions::new(chrono::Duration::zero(), move || now);
    Claims::new(subject(account)).set_duration_and_issuance(&options, chrono::Duration::hours(1))
}

/// A header naming `kid`.
fn with_kid(kid: &str) -> Header {
    Header::empty().with_key_id(kid)
}

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

#[test]
fn eddsa_and_es256_tokens_are_verified_with_the_public_key_their_kid_names() {
    let app = app();
    app.seed_account("auth-public-keys", "110000000000001234", "pw");
    let claims = claims_for("auth-public-keys");

    let eddsa = Ed25519
        .token(&with_kid(ED25519_KID), &claims, &ed25519_key())
        .unwrap();
    let es256 = Es256
        .token(&with_kid(P256_KID), &claims, &p256_key())
        .unwrap();
    let eddsa_without_kid = Ed25519
        .token(&Header::empty(), &claims, &ed25519_key())
        .unwrap();
    let eddsa_unknown_kid = Ed25519
        .token(&with_kid("ed-old"), &claims, &ed25519_key())
        .unwrap();
    for token in [&eddsa, &es256, &eddsa_without_kid, &eddsa_unknown_kid] {
        remember_secret(token);
    }

    assert_eq!(Req::with_credentials(&eddsa, "pw").send().logs().len(), 0);
    assert_eq!(Req::with_credentials(&es256, "pw").send().logs().len(), 0);
    assert_10001(
        Req::with_credentials(&eddsa_without_kid, "pw"),
        "EdDSA without kid",
    );
    assert_10001(
        Req::with_credentials(&eddsa_unknown_kid, "pw"),
        "EdDSA, unknown kid",
    );
}

#[test]
fn a_second_hmac_key_is_chosen_by_kid_so_keys_can_rotate() {
    let app = app();
    let current = app.seed_account("auth-rotation", "110000000000001234", "pw");
    let claims = claims_for("auth-rotation");
    let next_key = Hs256Key::new(NEXT_SECRET);

    let next = Hs256
        .token(&with_kid(NEXT_SECRET_KID), &claims, &next_key)
        .unwrap();
    let next_without_kid = Hs256.token(&Header::empty(), &claims, &next_key).unwrap();
    let current_under_next_kid = Hs256
        .token(&with_kid(NEXT_SECRET_KID), &claims, &Hs256Key::new(SECRET))
        .unwrap();
    for token in [&next, &next_without_kid, &current_under_next_kid] {
        remember_secret(token);
    }

    assert_eq!(Req::with_credentials(&current, "pw").send().logs().len(), 0);
    assert_eq!(Req::with_credentials(&next, "pw").send().logs().len(), 0);
    assert_10001(
        Req::with_credentials(&next_without_kid, "pw"),
        "next key, no kid",
    );
    assert_10001(
        Req::with_credentials(&current_under_next_kid, "pw"),
        "current key under the next kid",
    );
}

#[test]
fn hmac_over_a_public_key_and_unlisted_algorithms_are_10001() {
    let app = app();
    app.seed_account("auth-alg-confusion", "110000000000001234", "pw");
    let claims = claims_for("auth-alg-confusion");
    let ed_public = ed25519_key().verifying_key().to_bytes().to_vec();
    let ec_public = p256_key()
        .verifying_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec();

    let mut forged = Vec::new();
    for public in [&ed_public, &ec_public] {
        for header in [with_kid(ED25519_KID), with_kid(P256_KID), Header::empty()] {
            forged.push(
                Hs256
                    .token(&header, &claims, &Hs256Key::new(public))
                    .unwrap(),
            );
        }
    }
    let valid = Hs256
        .token(&Header::empty(), &claims, &Hs256Key::new(SECRET))
        .unwrap();
    let (_, payload_and_signature) = valid.split_once('.').unwrap();
    let (payload, _) = payload_and_signature.split_once('.').unwrap();
    // Headers {"alg":"none"}, {"alg":"HS512"} and {"alg":"RS256"} over a valid payload.
    for header in [
        "eyJhbGciOiJub25lIn0",
        "eyJhbGciOiJIUzUxMiJ9",
        "eyJhbGciOiJSUzI1NiJ9",
    ] {
        forged.push(format!("{header}.{payload}."));
        forged.push(format!("{header}.{payload_and_signature}"));
    }

    for (index, token) in forged.iter().enumerate() {
        remember_secret(token);
        assert_10001(
            Req::with_credentials(token, "pw"),
            &format!("forged token {index}"),
        );
    }
}
