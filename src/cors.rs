//! Cross-origin access for browser clients: an allow-list of origins, never a wildcard.

/// Variable: the origins allowed to call the endpoint from a browser, separated by commas.
pub const CORS_ALLOWED_ORIGINS: &str = "CORS_ALLOWED_ORIGINS";

/// Headers a browser may send on the real request.
pub const ALLOWED_HEADERS: &str = "Authorization, Content-Type";

/// Seconds a browser may cache a preflight answer.
pub const PREFLIGHT_MAX_AGE_SECS: u32 = 600;

/// The configured origins.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CorsPolicy {
    origins: Vec<String>,
}

impl CorsPolicy {
    /// Parses the comma-separated list. An entry counts only when it is a bare origin,
    /// `http://` or `https://` followed by a host and optional port, with nothing after; a `*`
    /// or any other entry is skipped, so a typo can only shut a browser out, never let every
    /// site in.
    pub fn parse(list: &str) -> CorsPolicy {
        let origins = list
            .split(',')
            .map(str::trim)
            .filter(|entry| is_origin(entry))
            .map(str::to_ascii_lowercase)
            .collect();

        CorsPolicy { origins }
    }

    /// The origin to echo in `Access-Control-Allow-Origin`, when the request's `Origin` header
    /// is on the list. Scheme and host compare without regard to letter case, as browsers send
    /// them in lower case anyway.
    pub fn allowed<'a>(&self, origin: Option<&'a str>) -> Option<&'a str> {
        let origin = origin?;
        let listed = self
            .origins
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(origin));
        listed.then_some(origin)
    }
}

fn is_origin(entry: &str) -> bool {
    let Some(host) = entry
        .strip_prefix("https://")
        .or_else(|| entry.strip_prefix("http://"))
    else {
        return false;
    };

    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_origins_are_allowed_and_others_are_not() {
        let policy = CorsPolicy::parse("https://app.example.com, http://localhost:5173");

        assert_eq!(
            policy.allowed(Some("https://app.example.com")),
            Some("https://app.example.com")
        );
        assert_eq!(
            policy.allowed(Some("http://localhost:5173")),
            Some("http://localhost:5173")
        );
        assert_eq!(policy.allowed(Some("https://evil.example.com")), None);
        assert_eq!(
            policy.allowed(Some("https://app.example.com.evil.test")),
            None
        );
        assert_eq!(policy.allowed(Some("null")), None);
        assert_eq!(policy.allowed(None), None);
    }

    #[test]
    fn wildcards_paths_and_other_entries_are_ignored() {
        let policy =
            CorsPolicy::parse("*, https://*.example.com, https://a.test/path, ftp://b.test, ");

        assert_eq!(policy, CorsPolicy::default());
        assert_eq!(policy.allowed(Some("*")), None);
    }

    #[test]
    fn empty_list_allows_no_origin() {
        assert_eq!(
            CorsPolicy::parse("").allowed(Some("https://app.example.com")),
            None
        );
    }
}
