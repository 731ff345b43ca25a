//! A battery of malformed requests, each with its documented answer, after which a valid
//! request still succeeds: no input may crash the Worker or get an undocumented answer.

use crate::helpers::{app, Req};

#[test]
fn forty_malformed_requests_get_their_documented_answers_and_the_worker_keeps_serving() {
    let app = app();
    let token = app.seed_account("malformed", "110000000000001234", "pw");
    let bearer = format!("Bearer {token}");
    let authed = || Req::post().bearer(&token);
    let body = |bytes: &[u8]| authed().body(bytes);
    // Nested far past serde_json's recursion limit, where the password should be.
    let deep = format!(
        r#"{{"user_password":{}"pw"{}}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let typed = |content_type: &[u8]| {
        authed()
            .without("Content-Type")
            .header("Content-Type", content_type)
            .body(br#"{"user_password":"pw"}"#)
    };
    let auth = |value: &[u8]| {
        Req::post()
            .header("Authorization", value)
            .body(br#"{"user_password":"pw"}"#)
    };

    let cases: Vec<(&str, Req, u16, &str)> = vec![
        ("empty body", body(b""), 400, "10003"),
        ("whitespace body", body(b" \n\t "), 400, "10003"),
        ("null", body(b"null"), 400, "10003"),
        ("true", body(b"true"), 400, "10003"),
        ("number", body(b"12345"), 400, "10003"),
        ("string", body(br#""pw""#), 400, "10003"),
        ("array", body(br#"["pw"]"#), 400, "10003"),
        ("empty object", body(b"{}"), 400, "10003"),
        (
            "password null",
            body(br#"{"user_password":null}"#),
            400,
            "10003",
        ),
        (
            "password number",
            body(br#"{"user_password":12345}"#),
            400,
            "10003",
        ),
        (
            "password bool",
            body(br#"{"user_password":true}"#),
            400,
            "10003",
        ),
        (
            "password array",
            body(br#"{"user_password":["pw"]}"#),
            400,
            "10003",
        ),
        (
            "password object",
            body(br#"{"user_password":{"v":"pw"}}"#),
            400,
            "10003",
        ),
        (
            "duplicate key",
            body(br#"{"user_password":"pw","user_password":"pw"}"#),
            400,
            "10003",
        ),
        (
            "escaped duplicate",
            body(br#"{"user_password":"pw","user\u005fpassword":"x"}"#),
            400,
            "10003",
        ),
        ("truncated", body(br#"{"user_password":"pw"#), 400, "10003"),
        (
            "trailing data",
            body(br#"{"user_password":"pw"}{}"#),
            400,
            "10003",
        ),
        (
            "trailing comma",
            body(br#"{"user_password":"pw",}"#),
            400,
            "10003",
        ),
        (
            "single quotes",
            body(b"{'user_password':'pw'}"),
            400,
            "10003",
        ),
        (
            "invalid utf-8",
            body(b"{\"user_password\":\"\xff\xfe\"}"),
            400,
            "10003",
        ),
        (
            "lone surrogate",
            body(br#"{"user_password":"\ud800"}"#),
            400,
            "10003",
        ),
        (
            "invalid utf-8 in an ignored member",
            body(b"{\"x\":\"\xff\",\"user_password\":\"pw\"}"),
            400,
            "10003",
        ),
        (
            "lone surrogate in an ignored member",
            body(br#"{"x":"\ud800","user_password":"pw"}"#),
            400,
            "10003",
        ),
        (
            "byte order mark",
            body(b"\xef\xbb\xbf{\"user_password\":\"pw\"}"),
            400,
            "10003",
        ),
        ("nested 5000 deep", body(deep.as_bytes()), 400, "10003"),
        (
            "body over 16 KiB",
            body(&vec![b' '; 17 * 1024]),
            400,
            "10003",
        ),
        (
            "password over 4 KiB",
            body(format!(r#"{{"user_password":"{}"}}"#, "p".repeat(5000)).as_bytes()),
            400,
            "10003",
        ),
        ("text/plain", typed(b"text/plain"), 400, "10003"),
        (
            "form content type",
            typed(b"application/x-www-form-urlencoded"),
            400,
            "10003",
        ),
        (
            "json suffix type",
            typed(b"application/problem+json"),
            400,
            "10003",
        ),
        ("jsonp", typed(b"application/jsonp"), 400, "10003"),
        (
            "two content types",
            typed(b"application/json, text/plain"),
            400,
            "10003",
        ),
        (
            "no content type",
            authed()
                .without("Content-Type")
                .body(br#"{"user_password":"pw"}"#),
            400,
            "10003",
        ),
        (
            "no authorization",
            Req::post().body(br#"{"user_password":"pw"}"#),
            401,
            "10001",
        ),
        ("empty authorization", auth(b""), 401, "10001"),
        ("scheme only", auth(b"Bearer"), 401, "10001"),
        (
            "basic scheme",
            auth(format!("Basic {token}").as_bytes()),
            401,
            "10001",
        ),
        (
            "tab after scheme",
            auth(format!("Bearer\t{token}").as_bytes()),
            401,
            "10001",
        ),
        (
            "token with padding",
            auth(format!("{bearer}=").as_bytes()),
            401,
            "10001",
        ),
        (
            "token with a fourth part",
            auth(format!("{bearer}.abc").as_bytes()),
            401,
            "10001",
        ),
        ("token of two parts", auth(b"Bearer abc.def"), 401, "10001"),
        (
            "non-ascii token",
            auth("Bearer t\u{f6}ken".as_bytes()),
            401,
            "10001",
        ),
        (
            "two authorizations",
            auth(bearer.as_bytes()).header("Authorization", bearer.as_bytes()),
            401,
            "10001",
        ),
        (
            "token in the body only",
            Req::post().body(format!(r#"{{"user_password":"pw","token":"{token}"}}"#).as_bytes()),
            401,
            "10001",
        ),
        (
            "unknown path",
            authed().path("/user/info/get_user_info_modification_logs"),
            404,
            "10007",
        ),
        (
            "encoded path",
            authed().path("/user/info/get%5Fuser%5Finfo%5Fmodification%5Flog"),
            404,
            "10007",
        ),
        (
            "upper-case path",
            authed().path("/USER/INFO/GET_USER_INFO_MODIFICATION_LOG"),
            404,
            "10007",
        ),
        ("GET", authed().method("GET"), 405, "10008"),
        ("PUT", authed().method("PUT"), 405, "10008"),
        ("DELETE", authed().method("DELETE"), 405, "10008"),
        (
            "OPTIONS preflight",
            Req::post()
                .method("OPTIONS")
                .header("Origin", b"https://example.com"),
            405,
            "10008",
        ),
    ];
    assert!(cases.len() >= 40);

    for (case, req, status, code) in cases {
        let response = req.send();
        let body = response.json();
        assert_eq!(
            (response.status, body["code"].as_str()),
            (status, Some(code)),
            "{case}: {body}"
        );
        assert_eq!(body["status"], status, "{case}");
        assert_eq!(body["data"], serde_json::json!({}), "{case}");
        response.assert_common_headers();
    }

    let after = Req::with_credentials(&token, "pw").send();
    assert_eq!(after.logs(), Vec::<serde_json::Value>::new());
}
