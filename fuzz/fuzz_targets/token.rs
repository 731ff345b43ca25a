//! The `Authorization` header parser and the token verifier, on any bytes, against a key set that
//! holds every supported kind of key.
#![no_main]

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use user_info_log::auth::keys::{Algorithm, KeySet};
use user_info_log::auth::token::{BearerToken, TokenPolicy, TokenVerifier};

/// Public keys of fixed Ed25519 (`ed-1`) and P-256 (`ec-1`) key pairs.
const JWKS: &str = r#"{"keys":[
    {"kty":"OKP","crv":"Ed25519","kid":"ed-1","x":"6kpsY-KcUgq-9VB7Ey7F-ZVHdq6-vnuSQh7qaRRG0iw"},
    {"kty":"EC","crv":"P-256","kid":"ec-1","x":"cTX6T9k6Cdzpi79oG0v89Q58DWNU5ir7C_8qNClheGU",
     "y":"7UwfAt25Aj7lalV-UV1qncZsEfIglg3llDNN9Yh3ZyQ"}
]}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let keys = KeySet::new(
        &Algorithm::ALL,
        Some("fuzzing-secret-of-at-least-32-bytes!!"),
        Some(JWKS),
    )
    .expect("the fixed key set is valid");
    let policy = TokenPolicy {
        leeway_secs: 60,
        issuer: Some("accounts".into()),
        audience: Some("userlog".into()),
    };
    let verifier = TokenVerifier::new(&keys, &policy);
    let now = DateTime::from_timestamp(1_790_000_000, 0).unwrap();

    if let Ok(token) = BearerToken::from_header(Some(text)) {
        let _ = verifier.verify(&token, now);
    }
    let _ = verifier.verify(&BearerToken::new(text), now);
});
