//! Browser access: an allow-list of origins, a preflight answer, no wildcard (`docs/API.md`,
//! "CORS").

use crate::helpers::{app, Req, ALLOWED_ORIGIN};

fn preflight(origin: &str) -> Req {
    Req::post()
        .method("OPTIONS")
        .without("Content-Type")
        .header("Origin", origin.as_bytes())
        .header("Access-Control-Request-Method", b"POST")
        .header(
            "Access-Control-Request-Headers",
            b"authorization, content-type",
        )
}

#[test]
fn preflight_from_an_allowed_origin_is_answered() {
    let response = preflight(ALLOWED_ORIGIN).send();

    assert_eq!(response.status, 204);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some(ALLOWED_ORIGIN)
    );
    assert_eq!(
        response.header("access-control-allow-methods"),
        Some("POST")
    );
    assert_eq!(
        response.header("access-control-allow-headers"),
        Some("Authorization, Content-Type")
    );
    assert_eq!(response.header("vary"), Some("Origin"));
    assert!(response.body.is_empty());
}

#[test]
fn preflight_from_any_other_origin_gets_no_cors_headers() {
    for origin in [
        "https://evil.example.test",
        "*",
        "null",
        "https://app.example.test.evil",
    ] {
        let response = preflight(origin).send();

        response.assert_error(405, "10008", "Method not allowed");
        assert_eq!(
            response.header("access-control-allow-origin"),
            None,
            "{origin}"
        );
    }
}

#[test]
fn answers_carry_the_allowed_origin_only() {
    let app = app();
    let token = app.seed_account("cors-post", "110000000000001234", "pw");

    let allowed = Req::with_credentials(&token, "pw")
        .header("Origin", ALLOWED_ORIGIN.as_bytes())
        .send();
    let other = Req::with_credentials(&token, "pw")
        .header("Origin", b"https://evil.example.test")
        .send();
    let wrong = Req::with_credentials(&token, "nope")
        .header("Origin", ALLOWED_ORIGIN.as_bytes())
        .send();

    assert_eq!(allowed.logs().len(), 0);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some(ALLOWED_ORIGIN)
    );
    // A page on that origin may read the request id, a lockout's wait and the display offset.
    assert_eq!(
        allowed.header("access-control-expose-headers"),
        Some("Retry-After, X-Request-Id, X-Display-UTC-Offset")
    );
    assert_eq!(other.status, 200);
    assert_eq!(other.header("access-control-allow-origin"), None);
    wrong.assert_error(401, "10004", "Password is incorrect");
    assert_eq!(
        wrong.header("access-control-allow-origin"),
        Some(ALLOWED_ORIGIN)
    );
}
