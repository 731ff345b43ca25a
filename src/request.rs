//! The request body: its content type, the password and the optional paging members.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::auth::password::Password;
use crate::error::{ApiError, Result};
use crate::paging::PageRequest;

/// Largest body accepted, in bytes. The only member read is a password; anything near this size
/// is not a request this endpoint can serve.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Longest password accepted, in bytes. Longer ones are refused before any hashing.
pub const MAX_PASSWORD_BYTES: usize = 4 * 1024;

/// Refuses a body whose declared `Content-Length` exceeds [`MAX_BODY_BYTES`], before it is read.
pub fn check_declared_length(value: Option<&str>) -> Result<()> {
    let Some(value) = value else {
        return Ok(());
    };

    match value.trim().parse::<u64>() {
        Ok(length) if length <= MAX_BODY_BYTES as u64 => Ok(()),
        _ => Err(ApiError::InvalidRequest(
            "content length over the limit or unreadable",
        )),
    }
}

/// Checks that the media type is `application/json`, in any letter case, with any parameters.
pub fn check_content_type(value: Option<&str>) -> Result<()> {
    let value = value.ok_or(ApiError::InvalidRequest("no content type"))?;

    let media_type = value.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::InvalidRequest(
            "content type is not application/json",
        ))
    }
}

/// The request id to log: the `cf-ray` header when it has the form Cloudflare gives it (16 hex
/// digits, then optionally `-` and a data-centre code of 3 capital letters), else nothing.
///
/// Cloudflare sets the header on every request it forwards, but off Cloudflare (or should that
/// ever change) it is whatever the client sent, and a log line must not carry arbitrary client
/// text such as a token.
pub fn ray_id(value: Option<&str>) -> Option<&str> {
    let value = value?;
    let (hex, colo) = value.split_once('-').unwrap_or((value, ""));

    let hex_ok = hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    let colo_ok = colo.is_empty() && !value.contains('-')
        || colo.len() == 3 && colo.bytes().all(|b| b.is_ascii_uppercase());
    (hex_ok && colo_ok).then_some(value)
}

/// The parsed body: a JSON object with one string `user_password` and, optionally, the paging
/// members of [`PageRequest`].
pub struct LogRequest {
    /// The re-entered password, normalised.
    pub password: Password,
    /// Which page of the history to answer, as sent.
    pub page: PageRequest,
}

impl LogRequest {
    /// Parses the raw body.
    ///
    /// Note: an empty `user_password` is a valid body (it is a wrong password, not a format
    /// error). Unknown members are skipped, so no member can choose whose log is read.
    pub fn parse(body: &[u8]) -> Result<LogRequest> {
        if body.len() > MAX_BODY_BYTES {
            return Err(ApiError::InvalidRequest("body over the size limit"));
        }

        // The whole body must be UTF-8, ignored members included; serde_json checks only the
        // strings it decodes.
        let text =
            std::str::from_utf8(body).map_err(|_| ApiError::InvalidRequest("body is not UTF-8"))?;
        let raw: RawBody = serde_json::from_str(text)
            .map_err(|_| ApiError::InvalidRequest("body is not the documented JSON object"))?;

        if raw.user_password.len() > MAX_PASSWORD_BYTES {
            return Err(ApiError::InvalidRequest("password over the size limit"));
        }
        Ok(LogRequest {
            password: Password::new(&raw.user_password),
            page: raw.page,
        })
    }
}

/// The body as it arrives, before normalisation.
struct RawBody {
    user_password: String,
    page: PageRequest,
}

impl<'de> Deserialize<'de> for RawBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Written by hand rather than derived: a derived struct would also accept a JSON array
        // in place of the object and would not reject a repeated member.
        deserializer.deserialize_map(RawBodyVisitor)
    }
}

struct RawBodyVisitor;

impl<'de> Visitor<'de> for RawBodyVisitor {
    type Value = RawBody;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with a string user_password")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawBody, A::Error> {
        let mut password: Option<String> = None;
        let mut page = PageRequest::default();
        let mut seen = [false; 5];

        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let member = match key.as_ref() {
                "user_password" => 0,
                "page_size" => 1,
                "cursor" => 2,
                "data_type" => 3,
                "since" => 4,
                "until" => 5,
                _ => {
                    // Decoded rather than skipped, so an unpaired surrogate escape (`"\ud800"`)
                    // in an ignored member is refused like one in the password.
                    map.next_value::<serde_json::Value>()?;
                    continue;
                }
            };
            if member == 0 {
                if password.is_some() {
                    return Err(de::Error::duplicate_field("user_password"));
                }
                password = Some(map.next_value()?);
                continue;
            }
            if std::mem::replace(&mut seen[member - 1], true) {
                return Err(de::Error::custom("a paging member is repeated"));
            }
            // `null` stands for an absent member, so a client may send back a `next_cursor`
            // of `null` as it came.
            match member {
                1 => page.page_size = map.next_value::<Option<u64>>()?,
                2 => page.cursor = map.next_value()?,
                3 => page.data_type = map.next_value()?,
                4 => page.since = map.next_value()?,
                _ => page.until = map.next_value()?,
            }
        }

        let user_password = password.ok_or_else(|| de::Error::missing_field("user_password"))?;
        Ok(RawBody {
            user_password,
            page,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parses(body: &str) -> bool {
        LogRequest::parse(body.as_bytes()).is_ok()
    }

    #[test]
    fn json_media_type_is_accepted_in_any_case_and_with_parameters() {
        for value in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
        ] {
            assert!(check_content_type(Some(value)).is_ok(), "{value}");
        }
    }

    #[test]
    fn other_or_missing_media_types_are_rejected() {
        for value in [
            "",
            "text/plain",
            "application/jsonp",
            "application/json, text/plain",
        ] {
            assert!(check_content_type(Some(value)).is_err(), "{value}");
        }
        assert!(check_content_type(None).is_err());
    }

    #[test]
    fn object_with_a_string_password_is_accepted_and_extra_members_ignored() {
        assert!(parses(r#"{"user_password":"pw"}"#));
        assert!(parses(r#"{"user_password":""}"#));
        assert!(parses(
            r#"{"user_id":"someone-else","user_password":"pw","x":[1,{"y":null}]}"#
        ));
        assert!(parses(" {\"user_password\":\"p\\u00e9\"} \n"));
    }

    #[test]
    fn bodies_that_break_the_documented_rules_are_rejected() {
        for body in [
            "",
            "   ",
            "{}",
            "[]",
            r#"["pw"]"#,
            "12345",
            "null",
            r#""pw""#,
            r#"{"user_password":null}"#,
            r#"{"user_password":12345}"#,
            r#"{"user_password":["pw"]}"#,
            r#"{"user_password":{"pw":1}}"#,
            r#"{"user_password":"pw","user_password":"pw"}"#,
            r#"{"user_password":"pw""#,
            r#"{"user_password":"pw"} trailing"#,
            r#"{"user_password":"\ud800"}"#,
        ] {
            assert!(!parses(body), "{body:?} was accepted");
        }
    }

    #[test]
    fn bodies_over_the_limit_are_rejected_whole_or_by_declared_length() {
        let password = "p".repeat(MAX_BODY_BYTES);
        let body = format!(r#"{{"user_password":"{password}"}}"#);

        assert!(LogRequest::parse(body.as_bytes()).is_err());
        assert!(check_declared_length(Some("16385")).is_err());
        assert!(check_declared_length(Some("-1")).is_err());
        assert!(check_declared_length(Some("16384")).is_ok());
        assert!(check_declared_length(None).is_ok());
    }

    #[test]
    fn password_over_4_kib_is_rejected() {
        let at_limit = format!(
            r#"{{"user_password":"{}"}}"#,
            "p".repeat(MAX_PASSWORD_BYTES)
        );
        let over = format!(
            r#"{{"user_password":"{}"}}"#,
            "p".repeat(MAX_PASSWORD_BYTES + 1)
        );

        assert!(parses(&at_limit));
        assert!(!parses(&over));
    }

    #[test]
    fn only_ray_ids_of_cloudflare_form_are_kept() {
        for kept in [
            "8c1f0a2b3c4d5e6f-FRA",
            "8c1f0a2b3c4d5e6f",
            "0123456789ABCDEF-SJC",
        ] {
            assert_eq!(ray_id(Some(kept)), Some(kept));
        }
        for dropped in [
            "",
            "ray-logging-1",
            "8c1f0a2b3c4d5e6f-",
            "8c1f0a2b3c4d5e6f-fra",
            "8c1f0a2b3c4d5e6f-FRAN",
            "8c1f0a2b3c4d5e6-FRA",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2ln",
        ] {
            assert_eq!(ray_id(Some(dropped)), None, "{dropped:?}");
        }
        assert_eq!(ray_id(None), None);
    }

    #[test]
    fn paging_members_are_read_with_null_as_absent() {
        let body = br#"{"user_password":"pw","page_size":50,"cursor":null,"data_type":"email",
            "since":"2026-01-01T00:00:00Z","until":null}"#;

        let page = LogRequest::parse(body).unwrap().page;

        assert_eq!(
            page,
            PageRequest {
                page_size: Some(50),
                data_type: Some("email".into()),
                since: Some("2026-01-01T00:00:00Z".into()),
                ..PageRequest::default()
            }
        );
    }

    #[test]
    fn paging_members_of_the_wrong_type_or_repeated_are_rejected() {
        for body in [
            r#"{"user_password":"pw","page_size":"50"}"#,
            r#"{"user_password":"pw","page_size":50.0}"#,
            r#"{"user_password":"pw","page_size":-1}"#,
            r#"{"user_password":"pw","page_size":true}"#,
            r#"{"user_password":"pw","cursor":7}"#,
            r#"{"user_password":"pw","data_type":["email"]}"#,
            r#"{"user_password":"pw","since":{}}"#,
            r#"{"user_password":"pw","until":1767225600}"#,
            r#"{"user_password":"pw","page_size":5,"page_size":6}"#,
            r#"{"user_password":"pw","cursor":null,"cursor":"x"}"#,
        ] {
            assert!(!parses(body), "{body:?} was accepted");
        }
    }

    #[test]
    fn invalid_utf8_is_rejected() {
        let body = b"{\"user_password\":\"\xff\xfe\"}";

        assert!(LogRequest::parse(body).is_err());
    }

    #[test]
    fn bad_text_in_an_ignored_member_is_rejected_too() {
        let invalid_utf8 = b"{\"x\":\"\xff\",\"user_password\":\"pw\"}";

        assert!(LogRequest::parse(invalid_utf8).is_err());
        assert!(!parses(r#"{"x":"\ud800","user_password":"pw"}"#));
        assert!(!parses(r#"{"x":["\udc00"],"user_password":"pw"}"#));
        assert!(parses(r#"{"x":"\ud83d\ude00","user_password":"pw"}"#));
    }

    #[test]
    fn ignored_members_are_read_within_the_parsers_limits() {
        let nested = |depth: usize| {
            format!(
                r#"{{"user_password":"pw","other":{}{}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            )
        };
        // 127 levels with the body's own object, as docs/API.md states; one more is refused.
        assert!(parses(&nested(126)));
        assert!(!parses(&nested(127)));
        assert!(parses(r#"{"user_password":"pw","other":1e308}"#));
        assert!(!parses(r#"{"user_password":"pw","other":1e309}"#));
    }
}
