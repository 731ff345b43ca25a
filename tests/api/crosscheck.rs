//! Hashes and tokens made by independent implementations are accepted, and tampered variants
//! are not: Node's PBKDF2 and the `jose` JWT library, run through `tests/support/independent.mjs`.

use std::process::Command;

use crate::helpers::{app, private_jwk, Req, ED25519_KID, P256_KID, SECRET};

fn independent(command: &str, input: serde_json::Value) -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let output = Command::new("node")
        .current_dir(root)
        .args(["tests/support/independent.mjs", command, &input.to_string()])
        .output()
        .expect("node must be on PATH");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let made = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    crate::helpers::remember_secret(&made);
    made
}

fn jose(input: serde_json::Value) -> String {
    independent("jwt", input)
}

/// Changes one character of the base64 part of `text` that starts after the last `$` or `.`
/// boundary at index `from`.
fn flip_char(text: &str, at: usize) -> String {
    let mut bytes = text.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

#[test]
fn node_pbkdf2_hash_at_the_production_cost_is_accepted_and_tampered_one_refused() {
    let app = app();
    let token = app.seed_account(
        "cross-node-hash",
        "110000000000001234",
        "replaced-by-node-hash",
    );
    let phc = independent(
        "pbkdf2",
        serde_json::json!({"password": "caf\u{e9} ünïcode", "iterations": 600000}),
    );
    assert!(phc.starts_with("$pbkdf2-sha256$i=600000,l=32$"), "{phc}");
    app.set_password_hash("cross-node-hash", &phc);

    // The same password typed with a decomposed accent still matches: both sides use NFC.
    let accepted = Req::with_credentials(&token, "cafe\u{301} ünïcode").send();
    let wrong = Req::with_credentials(&token, "cafe ünïcode").send();

    assert_eq!(accepted.logs(), Vec::<serde_json::Value>::new());
    wrong.assert_error(401, "10004", "Password is incorrect");

    let tampered = flip_char(&phc, phc.len() - 10);
    app.set_password_hash("cross-node-hash", &tampered);
    let after_tampering = Req::with_credentials(&token, "caf\u{e9} ünïcode").send();

    after_tampering.assert_error(401, "10004", "Password is incorrect");
}

#[test]
fn jose_token_is_accepted_and_tampered_or_foreign_ones_refused() {
    let app = app();
    app.seed_account("cross-jose", "110000000000001234", "pw");
    let good = jose(
        serde_json::json!({"secret": SECRET, "sub": "cross-jose", "alg": "HS256", "exp_in_secs": 600}),
    );

    let accepted = Req::with_credentials(&good, "pw").send();

    assert_eq!(accepted.logs(), Vec::<serde_json::Value>::new());

    let payload_at = good.find('.').unwrap() + 5;
    let signature_at = good.rfind('.').unwrap() + 5;
    let refused = [
        ("payload changed", flip_char(&good, payload_at)),
        ("signature changed", flip_char(&good, signature_at)),
        (
            "signature removed",
            good[..good.rfind('.').unwrap() + 1].to_owned(),
        ),
        (
            "HS512 with the same secret",
            jose(
                serde_json::json!({"secret": SECRET, "sub": "cross-jose", "alg": "HS512", "exp_in_secs": 600}),
            ),
        ),
        (
            "no exp",
            jose(serde_json::json!({"secret": SECRET, "sub": "cross-jose", "alg": "HS256"})),
        ),
        (
            "expired beyond the leeway",
            jose(
                serde_json::json!({"secret": SECRET, "sub": "cross-jose", "alg": "HS256", "exp_in_secs": -120}),
            ),
        ),
        (
            "another secret",
            jose(
                serde_json::json!({"secret": "x".repeat(40), "sub": "cross-jose", "alg": "HS256", "exp_in_secs": 600}),
            ),
        ),
    ];

    for (case, token) in refused {
        let response = Req::with_credentials(&token, "pw").send();
        assert_eq!(response.status, 401, "{case}: {:?}", response.json());
        response.assert_error(401, "10001", "Token expired or invalid");
    }
}

#[test]
fn jose_token_expired_within_the_leeway_is_accepted() {
    let app = app();
    app.seed_account("cross-leeway", "110000000000001234", "pw");
    let token = jose(
        serde_json::json!({"secret": SECRET, "sub": "cross-leeway", "alg": "HS256", "exp_in_secs": -20}),
    );

    let response = Req::with_credentials(&token, "pw").send();

    assert_eq!(response.logs(), Vec::<serde_json::Value>::new());
}

#[test]
fn jose_eddsa_and_es256_tokens_are_accepted_and_a_swapped_kid_refused() {
    let app = app();
    app.seed_account("cross-jose-public", "110000000000001234", "pw");
    let sign = |alg: &str, key_kid: &str, header_kid: &str| {
        jose(serde_json::json!({
            "jwk": private_jwk(key_kid), "kid": header_kid, "alg": alg,
            "sub": "cross-jose-public", "exp_in_secs": 600
        }))
    };

    for (alg, kid) in [("EdDSA", ED25519_KID), ("ES256", P256_KID)] {
        let response = Req::with_credentials(&sign(alg, kid, kid), "pw").send();
        assert_eq!(response.logs().len(), 0, "{alg}");
    }

    let swapped = Req::with_credentials(&sign("EdDSA", ED25519_KID, P256_KID), "pw").send();
    swapped.assert_error(401, "10001", "Token expired or invalid");
}

#[test]
fn hashes_written_by_django_passlib_and_werkzeug_sign_in_through_the_worker() {
    let app = app();
    let fixtures: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../fixtures/foreign-hashes.json")).unwrap();

    for (index, fixture) in fixtures.iter().enumerate() {
        let (library, password) = (&fixture["library"], fixture["password"].as_str().unwrap());
        let account = format!("cross-foreign-{index}");
        let token = app.seed_account(&account, "110000000000001234", "replaced");
        app.set_password_hash(&account, fixture["hash"].as_str().unwrap());

        let right = Req::with_credentials(&token, password).send();
        let wrong = Req::with_credentials(&token, &format!("{password}!")).send();

        assert_eq!(right.status, 200, "{library}: {:?}", right.json());
        wrong.assert_error(401, "10004", "Password is incorrect");
        // The successful sign-in replaced the foreign hash with the project's form, which
        // still takes the same password.
        let stored = app.query(&format!(
            "SELECT password_hash FROM accounts WHERE id = '{account}';"
        ));
        let phc = stored[0]["password_hash"].as_str().unwrap().to_owned();
        crate::helpers::remember_secret(&phc);
        assert!(
            phc.starts_with("$pbkdf2-sha256$i=1000,l=32$"),
            "{library}: {phc}"
        );
        assert_eq!(
            Req::with_credentials(&token, password).send().status,
            200,
            "{library}"
        );
    }
}
