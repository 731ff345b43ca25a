//! The Worker's configuration: variables from `wrangler.toml` and the signing secret.
//!
//! Every setting is read through a lookup function, so the rules below are tested natively. The
//! configuration fails closed: a switch that is not exactly `"true"`, or a missing, empty or short
//! signing secret, never lets a request through.

use std::fmt;
use std::str::FromStr;

use crate::auth::token::{SigningSecret, TokenPolicy};
use crate::error::{ApiError, Result};

/// Variable that opens the endpoint when it is exactly `true`.
pub const ENDPOINT_ENABLED: &str = "ENDPOINT_ENABLED";
/// Secret holding the HS256 signing key of the account system's tokens.
pub const JWT_SECRET: &str = "JWT_SECRET";
/// Variable: clock leeway, in seconds, when checking a token's `exp`.
pub const JWT_LEEWAY_SECONDS: &str = "JWT_LEEWAY_SECONDS";
/// Variable: the `iss` every token must carry; unset or empty means not checked.
pub const JWT_ISSUER: &str = "JWT_ISSUER";
/// Variable: a value every token's `aud` must hold; unset or empty means not checked.
pub const JWT_AUDIENCE: &str = "JWT_AUDIENCE";
/// Variable: wrong passwords allowed per account within one window.
pub const PASSWORD_MAX_FAILURES: &str = "PASSWORD_MAX_FAILURES";
/// Variable: length, in seconds, of the window that wrong passwords are counted in.
pub const PASSWORD_FAILURE_WINDOW_SECONDS: &str = "PASSWORD_FAILURE_WINDOW_SECONDS";

/// Variable: the fewest PBKDF2 iterations a stored hash may have.
pub const PBKDF2_MIN_ITERATIONS: &str = "PBKDF2_MIN_ITERATIONS";
/// Variable: the most PBKDF2 iterations a stored hash may have.
pub const PBKDF2_MAX_ITERATIONS: &str = "PBKDF2_MAX_ITERATIONS";

/// Shortest signing secret accepted: HS256 keys shorter than the hash output weaken it.
pub const MIN_SECRET_BYTES: usize = 32;

/// Settings for one request, read and checked before any other work.
#[derive(Debug)]
pub struct Config {
    /// Key that tokens must be signed with.
    pub signing_secret: SigningSecret,
    /// What tokens must satisfy besides their signature.
    pub token_policy: TokenPolicy,
    /// Wrong passwords allowed per account within one window.
    pub max_failures: u32,
    /// Window length, in seconds.
    pub failure_window_secs: u32,
    /// Iteration counts a stored hash may have. A hash outside is refused as corrupt rather than
    /// run, so a damaged or hostile row cannot cost minutes of CPU.
    pub iterations: std::ops::RangeInclusive<u32>,
}

impl Config {
    /// Reads the configuration through `lookup`, which returns a variable's or secret's value.
    ///
    /// The endpoint switch is checked first, so a closed endpoint answers `10002` even when the
    /// rest of the configuration is broken. Any other fault is an internal error (`10006`).
    pub fn load(lookup: impl Fn(&str) -> Option<String>) -> Result<Config> {
        if lookup(ENDPOINT_ENABLED).as_deref().map(str::trim) != Some("true") {
            return Err(ApiError::EndpointClosed);
        }

        let secret = lookup(JWT_SECRET).unwrap_or_default();
        if secret.len() < MIN_SECRET_BYTES {
            return Err(ApiError::Internal(format!(
                "configuration: {JWT_SECRET} is missing or shorter than {MIN_SECRET_BYTES} bytes"
            )));
        }

        Ok(Config {
            signing_secret: SigningSecret::new(secret.into_bytes()),
            token_policy: TokenPolicy {
                leeway_secs: number(&lookup, JWT_LEEWAY_SECONDS, 60, 0..=3_600)?,
                issuer: lookup(JWT_ISSUER).filter(|value| !value.is_empty()),
                audience: lookup(JWT_AUDIENCE).filter(|value| !value.is_empty()),
            },
            max_failures: number(&lookup, PASSWORD_MAX_FAILURES, 5, 1..=1_000)?,
            failure_window_secs: number(&lookup, PASSWORD_FAILURE_WINDOW_SECONDS, 900, 1..=86_400)?,
            iterations: iteration_range(&lookup)?,
        })
    }
}

/// The allowed iteration range: by default 1,000 to 2,000,000, and never wider than 1 to
/// 10,000,000.
fn iteration_range(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<std::ops::RangeInclusive<u32>> {
    const LIMITS: std::ops::RangeInclusive<u32> = 1..=10_000_000;

    let min = number(lookup, PBKDF2_MIN_ITERATIONS, 1_000, LIMITS)?;
    let max = number(lookup, PBKDF2_MAX_ITERATIONS, 2_000_000, LIMITS)?;
    if min > max {
        return Err(ApiError::Internal(format!(
            "configuration: {PBKDF2_MIN_ITERATIONS} is above {PBKDF2_MAX_ITERATIONS}"
        )));
    }
    Ok(min..=max)
}

/// Reads an optional whole number, with `default` when the variable is unset or empty.
fn number<T>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T>
where
    T: FromStr + PartialOrd + fmt::Display + Copy,
{
    let Some(raw) = lookup(name).filter(|raw| !raw.trim().is_empty()) else {
        return Ok(default);
    };

    // Digits only: `parse` alone would also take a sign, as in `+60`.
    let digits = raw.trim();
    let parsed = digits
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| digits.parse::<T>());
    match parsed {
        Some(Ok(value)) if range.contains(&value) => Ok(value),
        _ => Err(ApiError::Internal(format!(
            "configuration: {name} must be a whole number from {} to {}",
            range.start(),
            range.end()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn load(pairs: &[(&str, &str)]) -> Result<Config> {
        Config::load(|name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        })
    }

    #[test]
    fn open_endpoint_with_a_secret_uses_the_documented_defaults() {
        let config = load(&[(ENDPOINT_ENABLED, "true"), (JWT_SECRET, SECRET)]).unwrap();

        assert_eq!(config.token_policy.leeway_secs, 60);
        assert_eq!(config.max_failures, 5);
        assert_eq!(config.failure_window_secs, 900);
        assert_eq!(config.iterations, 1_000..=2_000_000);
        assert_eq!(config.token_policy.issuer, None);
        assert_eq!(config.token_policy.audience, None);
    }

    #[test]
    fn issuer_and_audience_are_read_when_set() {
        let config = load(&[
            (ENDPOINT_ENABLED, "true"),
            (JWT_SECRET, SECRET),
            (JWT_ISSUER, "accounts"),
            (JWT_AUDIENCE, ""),
        ])
        .unwrap();

        assert_eq!(config.token_policy.issuer.as_deref(), Some("accounts"));
        assert_eq!(config.token_policy.audience, None);
    }

    #[test]
    fn iteration_bounds_must_be_ordered() {
        let result = load(&[
            (ENDPOINT_ENABLED, "true"),
            (JWT_SECRET, SECRET),
            (PBKDF2_MIN_ITERATIONS, "5000"),
            (PBKDF2_MAX_ITERATIONS, "4000"),
        ]);

        assert!(matches!(result, Err(ApiError::Internal(_))));
    }

    #[test]
    fn switch_that_is_not_exactly_true_closes_the_endpoint() {
        for value in [
            None,
            Some(""),
            Some("false"),
            Some("1"),
            Some("yes"),
            Some("TRUE "),
        ] {
            let mut pairs = vec![(JWT_SECRET, SECRET)];
            if let Some(value) = value {
                pairs.push((ENDPOINT_ENABLED, value));
            }

            let result = load(&pairs);

            assert!(
                matches!(result, Err(ApiError::EndpointClosed)),
                "switch {value:?}"
            );
        }
    }

    #[test]
    fn closed_switch_wins_over_a_broken_secret() {
        let result = load(&[(ENDPOINT_ENABLED, "false")]);

        assert!(matches!(result, Err(ApiError::EndpointClosed)));
    }

    #[test]
    fn missing_empty_or_short_secret_is_an_internal_error() {
        for secret in [None, Some(""), Some("short-secret")] {
            let mut pairs = vec![(ENDPOINT_ENABLED, "true")];
            if let Some(secret) = secret {
                pairs.push((JWT_SECRET, secret));
            }

            let result = load(&pairs);

            assert!(
                matches!(result, Err(ApiError::Internal(_))),
                "secret {secret:?}"
            );
        }
    }

    #[test]
    fn numbers_out_of_range_or_unreadable_are_internal_errors() {
        for (name, value) in [
            (JWT_LEEWAY_SECONDS, "-1"),
            (JWT_LEEWAY_SECONDS, "3601"),
            (JWT_LEEWAY_SECONDS, "+60"),
            (PASSWORD_MAX_FAILURES, "0"),
            (PASSWORD_FAILURE_WINDOW_SECONDS, "ten"),
        ] {
            let result = load(&[
                (ENDPOINT_ENABLED, "true"),
                (JWT_SECRET, SECRET),
                (name, value),
            ]);

            let Err(ApiError::Internal(detail)) = result else {
                panic!("{name}={value} was accepted");
            };
            assert!(detail.contains(name), "{detail}");
        }
    }

    #[test]
    fn empty_number_falls_back_to_the_default() {
        let config = load(&[
            (ENDPOINT_ENABLED, "true"),
            (JWT_SECRET, SECRET),
            (JWT_LEEWAY_SECONDS, ""),
        ])
        .unwrap();

        assert_eq!(config.token_policy.leeway_secs, 60);
    }
}
