//! Every response the suite receives is checked against `docs/openapi.json`: its status must be
//! one the description lists for the operation, its body must match that response's schema, and
//! the headers it marks as required must be there with the values it allows.
//!
//! [`crate::helpers::Req::send_to`] calls [`check`] for every request, so a change to the
//! Worker's answers that the description does not follow fails whichever test first sees it.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

use crate::helpers::{Response, PATH};

/// The description, read once.
fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");
        let text = std::fs::read_to_string(path).expect("docs/openapi.json is readable");
        serde_json::from_str(&text).expect("docs/openapi.json is JSON")
    })
}

/// Follows a local `$ref` (`#/components/...`) if `value` is one.
fn resolve(value: &Value) -> &Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(pointer) => spec()
            .pointer(pointer.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("docs/openapi.json: {pointer} does not resolve")),
        None => value,
    }
}

/// Checks `response` to `method path` against the description; panics with the reason when it
/// does not conform.
pub fn check(method: &str, path: &str, response: &Response) {
    // The local runtime's own routes (the scheduled-event trigger) are not the Worker's API.
    if path.starts_with("/cdn-cgi/") || path.starts_with("/__scheduled") {
        return;
    }

    let route = path.split('?').next().unwrap_or_default();
    // The history page's files (public/) are not the API either.
    if route != PATH && response.status == 200 && is_page_file(route) {
        return;
    }
    let declared = match (route == PATH, spec().pointer(&operation_pointer(method))) {
        (true, Some(operation)) => {
            let status = response.status.to_string();
            operation["responses"].get(&status).unwrap_or_else(|| {
                panic!("{method} {path}: status {status} is not in docs/openapi.json")
            })
        }
        // The description lists only POST; a preflight and every other method have shared
        // responses of their own.
        (true, None) if method == "OPTIONS" && response.status == 204 => {
            &spec()["components"]["responses"]["Preflight"]
        }
        (true, None) => &spec()["components"]["responses"]["MethodNotAllowed"],
        (false, _) => &spec()["components"]["responses"]["NotFound"],
    };
    let declared = resolve(declared);

    check_headers(method, path, declared, response);
    if method == "HEAD" {
        return;
    }
    match declared.pointer("/content/application~1json/schema") {
        Some(schema) => check_body(method, path, schema, response),
        None => assert!(
            response.body.is_empty(),
            "{method} {path}: docs/openapi.json declares no body for {}",
            response.status
        ),
    }
}

fn is_page_file(route: &str) -> bool {
    let file = match route.trim_start_matches('/') {
        "" => "index.html",
        other => other,
    };
    !file.contains("..")
        && std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("public")
            .join(file)
            .is_file()
}

fn operation_pointer(method: &str) -> String {
    format!(
        "/paths/{}/{}",
        PATH.replace('~', "~0").replace('/', "~1"),
        method.to_ascii_lowercase()
    )
}

fn check_headers(method: &str, path: &str, declared: &Value, response: &Response) {
    let Some(headers) = declared.get("headers").and_then(Value::as_object) else {
        return;
    };

    for (name, header) in headers {
        let header = resolve(header);
        let actual = response.header(&name.to_ascii_lowercase());
        if header["required"] == true {
            assert!(
                actual.is_some(),
                "{method} {path}: {} lacks required header {name}",
                response.status
            );
        }
        if let (Some(actual), Some(allowed)) = (actual, header.pointer("/schema/const")) {
            assert_eq!(
                Some(actual),
                allowed.as_str(),
                "{method} {path}: header {name}"
            );
        }
    }
}

fn check_body(method: &str, path: &str, schema: &Value, response: &Response) {
    let body: Value = serde_json::from_slice(&response.body).unwrap_or_else(|_| {
        panic!(
            "{method} {path}: {} body is not JSON: {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        )
    });

    let errors: Vec<String> = with_validator(schema, |validator| {
        validator
            .iter_errors(&body)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect()
    });
    assert!(
        errors.is_empty(),
        "{method} {path}: {} body breaks docs/openapi.json: {errors:?}\n{body}",
        response.status
    );
}

/// Runs `use_it` with a validator for `schema`, compiled once per schema. The validator's root
/// is the whole description, so the schema's `#/components/...` references resolve.
fn with_validator<T>(schema: &Value, use_it: impl FnOnce(&jsonschema::Validator) -> T) -> T {
    static VALIDATORS: OnceLock<Mutex<HashMap<String, jsonschema::Validator>>> = OnceLock::new();

    let key = schema.to_string();
    let mut validators = VALIDATORS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let validator = validators.entry(key).or_insert_with(|| {
        let mut root = spec().clone();
        let object = root.as_object_mut().unwrap();
        object.remove("$schema");
        for (keyword, value) in schema.as_object().expect("a schema is an object") {
            object.insert(keyword.clone(), value.clone());
        }
        jsonschema::draft202012::new(&root).expect("docs/openapi.json holds valid schemas")
    });
    use_it(validator)
}

#[test]
fn the_description_lists_every_error_code_with_its_status_and_text() {
    use user_info_log::error::ApiError;

    let schemas = &spec()["components"]["schemas"];
    let errors = [
        ApiError::InvalidToken("any"),
        ApiError::EndpointClosed,
        ApiError::InvalidRequest("any"),
        ApiError::WrongPassword,
        ApiError::TooManyAttempts {
            retry_after_secs: 1,
        },
        ApiError::Internal("any".into()),
        ApiError::NotFound,
        ApiError::MethodNotAllowed,
    ];

    for error in errors {
        let (code, status, text) = (error.code(), error.status(), error.result_text());
        let found = schemas.as_object().unwrap().values().any(|schema| {
            schema.pointer("/properties/code/const") == Some(&Value::from(code))
                && schema.pointer("/properties/status/const") == Some(&Value::from(status))
                && schema.pointer("/properties/result/const") == Some(&Value::from(text))
        });
        assert!(found, "{code} is not described as {status} {text:?}");
    }
}
