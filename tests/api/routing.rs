//! Paths and methods other than `POST` to the endpoint (`docs/API.md`, "Routing").

use crate::helpers::{app, Req, Variant};

#[test]
fn unknown_path_is_10007() {
    for path in [
        "/",
        "/user/info",
        "/user/info/get_user_info_modification_log/",
        "/x?y=1",
    ] {
        let response = Req::post().path(path).send();

        response.assert_error(404, "10007", "Endpoint not found");
    }
}

#[test]
fn other_method_is_10008_with_allow_post() {
    for method in ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let response = Req::post().method(method).send();

        response.assert_error(405, "10008", "Method not allowed");
        assert_eq!(response.header("allow"), Some("POST"), "{method}");
    }
}

#[test]
fn query_string_does_not_change_the_route() {
    let app = app();
    let token = app.seed_account("routing-query", "110000000000001234", "pw");

    let response = Req::with_credentials(&token, "pw")
        .path("/user/info/get_user_info_modification_log?user_id=someone")
        .send();

    assert_eq!(response.logs(), Vec::<serde_json::Value>::new());
}

#[test]
fn the_history_page_is_served_while_page_enabled_and_other_files_are_10007() {
    let get = |path: &str| Req::post().method("GET").path(path);

    let index = get("/").send();
    let script = get("/app.js").send();
    let missing = get("/no-such-file.js").send();
    // A method the worker crate does not know reads as GET there; it must not reach the page.
    let unknown_method = get("/").method("PROPFIND").send();
    let closed = get("/").send_to(Variant::Closed);
    // A body on a GET means nothing; the file is still answered, and at once.
    let with_body = get("/").body(br#"{"a":1}"#).send();
    let script_with_body = get("/app.js").body(b"x").send();

    assert_eq!(index.status, 200);
    assert!(index
        .header("content-type")
        .unwrap_or_default()
        .starts_with("text/html"));
    assert!(String::from_utf8_lossy(&index.body).contains("Your information history"));
    assert_eq!(script.status, 200);
    assert!(index
        .header("x-request-id")
        .is_some_and(|id| !id.is_empty()));
    assert_eq!(index.header("x-frame-options"), Some("DENY"));
    assert_eq!(index.header("x-content-type-options"), Some("nosniff"));
    let policy = index.header("content-security-policy").unwrap_or_default();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(with_body.status, 200);
    assert!(String::from_utf8_lossy(&with_body.body).contains("Your information history"));
    assert_eq!(script_with_body.status, 200);
    missing.assert_error(404, "10007", "Endpoint not found");
    unknown_method.assert_error(404, "10007", "Endpoint not found");
    closed.assert_error(404, "10007", "Endpoint not found");
}
