//! The `Authorization` header parser and the token verifier, on any bytes.
#![no_main]

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use user_info_log::auth::token::{BearerToken, SigningSecret, TokenPolicy, TokenVerifier};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let secret = SigningSecret::new(b"fuzzing-secret-of-at-least-32-bytes!!".to_vec());
    let policy = TokenPolicy {
        leeway_secs: 60,
        issuer: Some("accounts".into()),
        audience: Some("userlog".into()),
    };
    let verifier = TokenVerifier::new(&secret, &policy);
    let now = DateTime::from_timestamp(1_790_000_000, 0).unwrap();

    if let Ok(token) = BearerToken::from_header(Some(text)) {
        let _ = verifier.verify(&token, now);
    }
    let _ = verifier.verify(&BearerToken::new(text), now);
});
