//! The Worker's configuration: variables from `wrangler.toml` and the signing secret.
//!
//! Every setting is read through a lookup function, so the rules below are tested natively. The
//! configuration fails closed: a switch that is not exactly `"true"`, an empty key set, or a short
//! or malformed key never lets a request through.

use std::fmt;
use std::str::FromStr;

use crate::auth::attempts::AddressKey;
use crate::auth::keys::{Algorithm, KeySet, MIN_SECRET_BYTES};
use crate::auth::token::TokenPolicy;
use crate::error::{ApiError, Result};
use crate::modification_log::parse_utc_offset;
use crate::paging::CursorKey;

/// Variable: the Worker serves the history page (`public/`) when it is exactly `true`.
pub const PAGE_ENABLED: &str = "PAGE_ENABLED";
/// Variable that opens the endpoint when it is exactly `true`.
pub const ENDPOINT_ENABLED: &str = "ENDPOINT_ENABLED";
/// Secret holding an HS256 key of the account system's tokens; it verifies tokens without a `kid`.
pub const JWT_SECRET: &str = "JWT_SECRET";
/// Variable (or secret, when it holds HS256 keys): a JWK set of further keys, chosen by `kid`.
pub const JWT_JWKS: &str = "JWT_JWKS";
/// Variable: the algorithms tokens may use, comma-separated; `HS256` when unset or empty.
pub const JWT_ALGORITHMS: &str = "JWT_ALGORITHMS";
/// Variable: clock leeway, in seconds, when checking a token's `exp`.
pub const JWT_LEEWAY_SECONDS: &str = "JWT_LEEWAY_SECONDS";
/// Variable: the `iss` every token must carry; unset or empty means not checked.
pub const JWT_ISSUER: &str = "JWT_ISSUER";
/// Variable: a value every token's `aud` must hold; unset or empty means not checked.
pub const JWT_AUDIENCE: &str = "JWT_AUDIENCE";
/// Secret: the key client addresses are hashed with before they are stored; at least 32 bytes.
pub const ADDRESS_HASH_KEY: &str = "ADDRESS_HASH_KEY";
/// Variable: failed password attempts allowed per client address, across accounts, per window.
pub const ADDRESS_MAX_FAILURES: &str = "ADDRESS_MAX_FAILURES";
/// Variable: wrong passwords allowed per account within one window.
pub const PASSWORD_MAX_FAILURES: &str = "PASSWORD_MAX_FAILURES";
/// Variable: length, in seconds, of the window that wrong passwords are counted in.
pub const PASSWORD_FAILURE_WINDOW_SECONDS: &str = "PASSWORD_FAILURE_WINDOW_SECONDS";

/// Variable: the most iterations a stored hash may have for the password to be checked through
/// the runtime's WebCrypto; above it, or when WebCrypto fails, this crate's own PBKDF2 runs.
pub const WEBCRYPTO_MAX_ITERATIONS: &str = "WEBCRYPTO_MAX_ITERATIONS";
/// Variable: the UTC offset, `+HH:MM` or `-HH:MM`, that answers show times at; `+00:00` when
/// unset or empty.
pub const DISPLAY_UTC_OFFSET: &str = "DISPLAY_UTC_OFFSET";
/// Variable: the iteration count of hashes this service writes when it replaces one after a
/// successful sign-in.
pub const PASSWORD_HASH_ITERATIONS: &str = "PASSWORD_HASH_ITERATIONS";
/// Variable: `false` keeps stored hashes as they are; anything else (the default) replaces a
/// foreign hash, or one below `PASSWORD_HASH_ITERATIONS`, after a successful sign-in.
pub const REHASH_ON_SIGN_IN: &str = "REHASH_ON_SIGN_IN";
/// Variable: `true` when the database has D1 read replication on; the history read then leaves
/// the writing batch so that a replica can serve it. Anything else keeps it in the batch.
pub const D1_READ_REPLICATION: &str = "D1_READ_REPLICATION";
/// Variable: the fewest PBKDF2 iterations a stored hash may have.
pub const PBKDF2_MIN_ITERATIONS: &str = "PBKDF2_MIN_ITERATIONS";
/// Variable: the most PBKDF2 iterations a stored hash may have.
pub const PBKDF2_MAX_ITERATIONS: &str = "PBKDF2_MAX_ITERATIONS";

/// Settings for one request, read and checked before any other work.
#[derive(Debug)]
pub struct Config {
    /// Keys that tokens may be signed with, each tied to one allowed algorithm.
    pub keys: KeySet,
    /// What tokens must satisfy besides their signature.
    pub token_policy: TokenPolicy,
    /// Wrong passwords allowed per account within one window.
    pub max_failures: u32,
    /// Failed attempts allowed per client address, across accounts, within one window.
    pub address_max_failures: u32,
    /// Window length, in seconds, for both limits.
    pub failure_window_secs: u32,
    /// Key for the stored hash of client addresses.
    pub address_key: AddressKey,
    /// Key that signs paging cursors, derived from the same secret as `address_key`.
    pub cursor_key: CursorKey,
    /// Iteration counts a stored hash may have. A hash outside is refused as corrupt rather than
    /// run, so a damaged or hostile row cannot cost minutes of CPU.
    pub iterations: std::ops::RangeInclusive<u32>,
    /// Hashes with at most this many iterations are checked through WebCrypto (0: never).
    pub webcrypto_max_iterations: u32,
    /// The offset from UTC that answers show times at.
    pub display_offset: chrono::FixedOffset,
    /// The iteration count hashes are rewritten at, when `rehash` is on.
    pub hash_iterations: u32,
    /// Whether a foreign or weaker hash is replaced after a successful sign-in.
    pub rehash: bool,
    /// Whether the history read runs apart from the writes after a correct password, so that a
    /// read replica can serve it.
    pub read_replication: bool,
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

        let address_secret = address_secret(&lookup)?;
        Ok(Config {
            keys: key_set(&lookup)?,
            token_policy: TokenPolicy {
                leeway_secs: number(&lookup, JWT_LEEWAY_SECONDS, 60, 0..=3_600)?,
                issuer: lookup(JWT_ISSUER).filter(|value| !value.is_empty()),
                audience: lookup(JWT_AUDIENCE).filter(|value| !value.is_empty()),
            },
            max_failures: number(&lookup, PASSWORD_MAX_FAILURES, 5, 1..=1_000)?,
            address_max_failures: number(&lookup, ADDRESS_MAX_FAILURES, 30, 1..=100_000)?,
            failure_window_secs: number(&lookup, PASSWORD_FAILURE_WINDOW_SECONDS, 900, 1..=86_400)?,
            cursor_key: CursorKey::derive(address_secret.as_bytes()),
            address_key: AddressKey::new(address_secret.into_bytes()),
            iterations: iteration_range(&lookup)?,
            // Deployed Workers refuse WebCrypto PBKDF2 above 100,000 iterations.
            webcrypto_max_iterations: number(
                &lookup,
                WEBCRYPTO_MAX_ITERATIONS,
                100_000,
                0..=100_000,
            )?,
            display_offset: display_offset(&lookup)?,
            hash_iterations: number(
                &lookup,
                PASSWORD_HASH_ITERATIONS,
                600_000,
                1_000..=2_000_000,
            )?,
            rehash: lookup(REHASH_ON_SIGN_IN).as_deref().map(str::trim) != Some("false"),
            read_replication: lookup(D1_READ_REPLICATION).as_deref().map(str::trim) == Some("true"),
        })
    }
}

/// The keys of `JWT_SECRET` and `JWT_JWKS`, for the algorithms `JWT_ALGORITHMS` allows.
fn key_set(lookup: &impl Fn(&str) -> Option<String>) -> Result<KeySet> {
    let configuration_error = |why: String| ApiError::Internal(format!("configuration: {why}"));

    let allowed = match lookup(JWT_ALGORITHMS).filter(|raw| !raw.trim().is_empty()) {
        Some(raw) => Algorithm::parse_list(&raw)
            .map_err(|why| configuration_error(format!("{JWT_ALGORITHMS} {why}")))?,
        None => vec![Algorithm::Hs256],
    };
    KeySet::new(
        &allowed,
        lookup(JWT_SECRET).as_deref(),
        lookup(JWT_JWKS).as_deref(),
    )
    .map_err(configuration_error)
}

/// The address-hashing secret, which also keys paging cursors. Required, like a signing key:
/// without it the limit per address could only store addresses in the clear or not work at all.
fn address_secret(lookup: &impl Fn(&str) -> Option<String>) -> Result<String> {
    let key = lookup(ADDRESS_HASH_KEY).unwrap_or_default();
    if key.len() < MIN_SECRET_BYTES {
        return Err(ApiError::Internal(format!(
            "configuration: {ADDRESS_HASH_KEY} is missing or shorter than {MIN_SECRET_BYTES} bytes"
        )));
    }
    Ok(key)
}

/// The display offset; a value that is not a valid `±HH:MM` is a configuration fault, not UTC.
fn display_offset(lookup: &impl Fn(&str) -> Option<String>) -> Result<chrono::FixedOffset> {
    let Some(raw) = lookup(DISPLAY_UTC_OFFSET).filter(|raw| !raw.trim().is_empty()) else {
        return Ok(chrono::FixedOffset::east_opt(0).expect("BUG: zero is a valid offset"));
    };

    parse_utc_offset(raw.trim()).ok_or_else(|| {
        ApiError::Internal(format!(
            "configuration: {DISPLAY_UTC_OFFSET} must be +HH:MM or -HH:MM, from -12:00 to +14:00"
        ))
    })
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
pub(crate) fn number<T>(
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

    /// Loads `pairs` over a configured address key, which every test but one needs.
    fn load(pairs: &[(&str, &str)]) -> Result<Config> {
        Config::load(|name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
                .or_else(|| (name == ADDRESS_HASH_KEY).then(|| SECRET.to_owned()))
        })
    }

    #[test]
    fn open_endpoint_with_a_secret_uses_the_documented_defaults() {
        let config = load(&[(ENDPOINT_ENABLED, "true"), (JWT_SECRET, SECRET)]).unwrap();

        assert_eq!(config.token_policy.leeway_secs, 60);
        assert_eq!(config.max_failures, 5);
        assert_eq!(config.address_max_failures, 30);
        assert_eq!(config.failure_window_secs, 900);
        assert_eq!(config.iterations, 1_000..=2_000_000);
        assert_eq!(config.webcrypto_max_iterations, 100_000);
        assert_eq!(config.display_offset.local_minus_utc(), 0);
        assert_eq!((config.hash_iterations, config.rehash), (600_000, true));
        assert_eq!(config.token_policy.issuer, None);
        assert_eq!(config.token_policy.audience, None);
        assert!(!config.read_replication);
    }

    #[test]
    fn read_replication_is_on_only_when_exactly_true() {
        for (value, on) in [
            ("true", true),
            (" true ", true),
            ("TRUE", false),
            ("1", false),
        ] {
            let pairs = [
                (ENDPOINT_ENABLED, "true"),
                (JWT_SECRET, SECRET),
                (D1_READ_REPLICATION, value),
            ];
            assert_eq!(load(&pairs).unwrap().read_replication, on, "{value:?}");
        }
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
            (WEBCRYPTO_MAX_ITERATIONS, "100001"),
            (DISPLAY_UTC_OFFSET, "+8"),
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
    #[test]
    fn public_keys_alone_are_enough_when_their_algorithms_are_allowed() {
        let jwks = crate::auth::keys::tests::public_jwks();

        let config = load(&[
            (ENDPOINT_ENABLED, "true"),
            (JWT_ALGORITHMS, "EdDSA, ES256"),
            (JWT_JWKS, &jwks),
        ])
        .unwrap();

        assert!(config.keys.find(Some("ed-1")).is_some());
        assert!(config.keys.find(None).is_none());
    }

    #[test]
    fn an_empty_key_set_or_a_bad_algorithm_list_is_an_internal_error() {
        let jwks = crate::auth::keys::tests::public_jwks();
        let cases = [
            vec![(JWT_JWKS, r#"{"keys":[]}"#)],
            vec![(JWT_SECRET, ""), (JWT_JWKS, "")],
            vec![(JWT_SECRET, SECRET), (JWT_ALGORITHMS, "none")],
            vec![(JWT_SECRET, SECRET), (JWT_ALGORITHMS, "HS256,RS256")],
            vec![(JWT_JWKS, jwks.as_str())],
        ];

        for pairs in cases {
            let mut all = vec![(ENDPOINT_ENABLED, "true")];
            all.extend(pairs.iter().copied());

            let result = load(&all);

            assert!(matches!(result, Err(ApiError::Internal(_))), "{pairs:?}");
        }
    }

    #[test]
    fn missing_or_short_address_key_is_an_internal_error() {
        for key in ["", "short-address-key"] {
            let result = load(&[
                (ENDPOINT_ENABLED, "true"),
                (JWT_SECRET, SECRET),
                (ADDRESS_HASH_KEY, key),
            ]);

            let Err(ApiError::Internal(detail)) = result else {
                panic!("address key {key:?} was accepted");
            };
            assert!(detail.contains(ADDRESS_HASH_KEY), "{detail}");
        }
    }
}
