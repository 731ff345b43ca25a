//! Every way a request can end other than success, and the response envelope for each.
//!
//! This is the only place that knows the documented status numbers, `code` strings and `result`
//! texts (the "Result codes" table in `docs/API.md`). Internal variants carry a detail string
//! for the log line; the client only ever sees the documented generic text.
//!
//! | code    | status | variant                          | integration test                          |
//! |---------|--------|----------------------------------|-------------------------------------------|
//! | `10000` | 200    | (success, not an error)          | `contract::success_10000`                 |
//! | `10001` | 401    | [`ApiError::InvalidToken`]       | `contract::invalid_token_10001`           |
//! | `10002` | 403    | [`ApiError::EndpointClosed`]     | `contract::endpoint_closed_10002`         |
//! | `10003` | 400    | [`ApiError::InvalidRequest`]     | `contract::invalid_request_10003`         |
//! | `10004` | 401    | [`ApiError::WrongPassword`]      | `contract::wrong_password_10004`          |
//! | `10005` | 429    | [`ApiError::TooManyAttempts`]    | `contract::too_many_attempts_10005`       |
//! | `10006` | 500    | [`ApiError::Internal`]           | `contract::server_error_10006_from_*`     |
//! | `10007` | 404    | [`ApiError::NotFound`]           | `routing::unknown_path_is_10007`          |
//! | `10008` | 405    | [`ApiError::MethodNotAllowed`]   | `routing::other_method_is_10008_with_allow_post` |

use std::fmt;

use serde::Serialize;

/// Shorthand for results whose error is an [`ApiError`].
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// A request that did not end in success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 401 / `10001`: the bearer token is missing, malformed, badly signed, expired, or names no
    /// account. The reason is kept for the log only, so a caller cannot tell these apart.
    InvalidToken(&'static str),
    /// 403 / `10002`: the operator has not switched the endpoint on.
    EndpointClosed,
    /// 400 / `10003`: the content type is not JSON, or the body is not an object with a single
    /// string `user_password`.
    InvalidRequest(&'static str),
    /// 401 / `10004`: the re-entered password does not match the account's.
    WrongPassword,
    /// 429 / `10005`: repeated wrong passwords have locked re-authentication for a while; the
    /// response's `Retry-After` header carries the whole seconds to wait.
    TooManyAttempts {
        /// Seconds until the account's attempt window closes.
        retry_after_secs: u64,
    },
    /// 500 / `10006`: the database, the configuration or a stored value failed us. The detail
    /// goes to the log and never into the response.
    Internal(String),
    /// 404 / `10007`: no endpoint at this path.
    NotFound,
    /// 405 / `10008`: the path exists but only answers `POST`.
    MethodNotAllowed,
}

impl ApiError {
    /// Wraps an internal failure, keeping `context` first and the cause after it, as in
    /// `read account: no such table`. The cause is folded onto one line so that each log
    /// record stays a single line.
    pub fn internal(context: &str, cause: impl fmt::Display) -> Self {
        let cause = cause.to_string();
        let cause: Vec<&str> = cause.split_whitespace().collect();
        Self::Internal(format!("{context}: {}", cause.join(" ")))
    }

    /// The HTTP status, which is also the envelope's `status` member.
    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidToken(_) | Self::WrongPassword => 401,
            Self::EndpointClosed => 403,
            Self::InvalidRequest(_) => 400,
            Self::TooManyAttempts { .. } => 429,
            Self::Internal(_) => 500,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
        }
    }

    /// The envelope's `code` member.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidToken(_) => "10001",
            Self::EndpointClosed => "10002",
            Self::InvalidRequest(_) => "10003",
            Self::WrongPassword => "10004",
            Self::TooManyAttempts { .. } => "10005",
            Self::Internal(_) => "10006",
            Self::NotFound => "10007",
            Self::MethodNotAllowed => "10008",
        }
    }

    /// The envelope's `result` member, exactly as documented.
    pub fn result_text(&self) -> &'static str {
        match self {
            Self::InvalidToken(_) => "Token expired or invalid",
            Self::EndpointClosed => "Server has not opened this endpoint",
            Self::InvalidRequest(_) => "Invalid request parameters",
            Self::WrongPassword => "Password is incorrect",
            Self::TooManyAttempts { .. } => "Too many password attempts, please try again later",
            Self::Internal(_) => "Failed to get user info modification log, server internal error",
            Self::NotFound => "Endpoint not found",
            Self::MethodNotAllowed => "Method not allowed",
        }
    }

    /// What the log line may say about this error: the reason for client errors and the cause
    /// for internal ones. Never holds a credential, because no variant is built from one.
    pub fn log_detail(&self) -> Option<&str> {
        match self {
            Self::InvalidToken(reason) | Self::InvalidRequest(reason) => Some(reason),
            Self::Internal(detail) => Some(detail),
            _ => None,
        }
    }

    /// Whether the fault is ours rather than the caller's.
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Internal(_))
    }

    /// The serialized envelope for this error, with `data` as `{}`.
    pub fn envelope(&self) -> String {
        Envelope {
            status: self.status(),
            code: self.code(),
            result: self.result_text(),
            data: Empty {},
        }
        .to_json()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.log_detail() {
            Some(detail) => write!(f, "{} ({})", self.code(), detail),
            None => f.write_str(self.code()),
        }
    }
}

impl std::error::Error for ApiError {}

/// The four-member object every response carries.
#[derive(Debug, Serialize)]
pub(crate) struct Envelope<'a, T: Serialize> {
    pub status: u16,
    pub code: &'a str,
    pub result: &'a str,
    pub data: T,
}

impl<T: Serialize> Envelope<'_, T> {
    pub(crate) fn to_json(&self) -> String {
        // BUG: every envelope is built from strings, integers and derived Serialize impls, which
        // serde_json cannot fail to write.
        serde_json::to_string(self).expect("BUG: envelope serialization cannot fail")
    }
}

/// Serializes as `{}`.
#[derive(Debug, Serialize)]
struct Empty {}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(error: &ApiError) -> serde_json::Value {
        serde_json::from_str(&error.envelope()).unwrap()
    }

    #[test]
    fn every_error_envelope_has_the_four_members_and_empty_data() {
        let all = [
            ApiError::InvalidToken("x"),
            ApiError::EndpointClosed,
            ApiError::InvalidRequest("x"),
            ApiError::WrongPassword,
            ApiError::TooManyAttempts {
                retry_after_secs: 1,
            },
            ApiError::Internal("x".into()),
            ApiError::NotFound,
            ApiError::MethodNotAllowed,
        ];

        for error in all {
            let body = parsed(&error);
            let members: Vec<&str> = body
                .as_object()
                .unwrap()
                .keys()
                .map(|k| k.as_str())
                .collect();
            assert_eq!(members.len(), 4, "{body}");
            assert_eq!(body["status"], error.status(), "{body}");
            assert_eq!(body["code"], error.code(), "{body}");
            assert_eq!(body["result"], error.result_text(), "{body}");
            assert_eq!(body["data"], serde_json::json!({}), "{body}");
        }
    }

    #[test]
    fn internal_detail_never_reaches_the_envelope() {
        let error = ApiError::internal("failed to read accounts", "no such table: accounts");

        let body = error.envelope();

        assert!(!body.contains("accounts"), "{body}");
        assert_eq!(
            body,
            r#"{"status":500,"code":"10006","result":"Failed to get user info modification log, server internal error","data":{}}"#
        );
    }

    #[test]
    fn internal_cause_is_folded_onto_one_line() {
        let error = ApiError::internal("read log", "D1Error {\n    cause: busy\n}");

        assert_eq!(
            error,
            ApiError::Internal("read log: D1Error { cause: busy }".into())
        );
    }

    #[test]
    fn contract_codes_match_the_documented_table() {
        let table = [
            (
                ApiError::InvalidToken("x"),
                401,
                "10001",
                "Token expired or invalid",
            ),
            (
                ApiError::EndpointClosed,
                403,
                "10002",
                "Server has not opened this endpoint",
            ),
            (
                ApiError::InvalidRequest("x"),
                400,
                "10003",
                "Invalid request parameters",
            ),
            (
                ApiError::WrongPassword,
                401,
                "10004",
                "Password is incorrect",
            ),
            (
                ApiError::TooManyAttempts {
                    retry_after_secs: 1,
                },
                429,
                "10005",
                "Too many password attempts, please try again later",
            ),
        ];

        for (error, status, code, text) in table {
            assert_eq!(
                (error.status(), error.code(), error.result_text()),
                (status, code, text)
            );
        }
    }
}
