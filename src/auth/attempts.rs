//! The limits on password attempts: per account, and, looser, per client address.
//!
//! Each request that reaches the password check first reserves an attempt against both limits,
//! in one D1 batch (a single transaction) that also reads the account, and only then runs
//! PBKDF2. Requests arriving together
//! therefore each see their own count, and once a count passes its limit no further hashing
//! happens until its window closes.
//!
//! The two counters differ in what ends them. A correct password deletes the account's counter,
//! but only gives back its own attempt on the address's: someone who knows one password must not
//! be able to wipe the address's count of wrong guesses at other accounts. Addresses are stored
//! only as a keyed hash ([`AddressKey`]).

use std::fmt;
use std::net::IpAddr;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{ApiError, Result};

/// Reserves one attempt for address hash `?1` at time `?2` (epoch milliseconds), opening a new
/// window when the current one, `?3` milliseconds long, has passed; but only when account `?4`
/// exists and its token generation is at most `?5`, the token's. Returns the count so far in the
/// window and when the window started, or no row when the token is no good.
///
/// Runs in the batch that reads the account ([`crate::modification_log::ACCOUNT_QUERY`]), so the
/// request needs one database round trip for both; the condition keeps a token that names no
/// account, or a revoked one, from counting as an attempt.
///
/// In SQLite's `DO UPDATE`, unqualified columns name the stored row before the update, so both
/// assignments see the old window start. (An `INSERT ... SELECT` with an upsert needs its
/// `WHERE`, which SQLite's parser requires to tell `ON CONFLICT` from a join.)
pub const RESERVE_ADDRESS_ATTEMPT: &str = r#"
INSERT INTO address_attempts (address_hash, attempts, window_started_ms)
SELECT ?1, 1, ?2
WHERE EXISTS (SELECT 1 FROM accounts WHERE id = ?4 AND token_generation <= ?5)
ON CONFLICT (address_hash) DO UPDATE SET
    attempts = CASE WHEN window_started_ms <= ?2 - ?3 THEN 1 ELSE attempts + 1 END,
    window_started_ms = CASE WHEN window_started_ms <= ?2 - ?3 THEN ?2 ELSE window_started_ms END
RETURNING attempts, window_started_ms
"#;

/// Reserves one attempt for account `?1`, like [`RESERVE_ADDRESS_ATTEMPT`] and on the same
/// condition on the token's generation `?6`, but also only while the address `?4` is within its
/// limit of `?5`: runs after it in the same batch, and returns no row when the address is over,
/// so an address that is shut out does not also use up the accounts it tries.
pub const RESERVE_ACCOUNT_ATTEMPT: &str = r#"
INSERT INTO password_attempts (account_id, attempts, window_started_ms)
SELECT ?1, 1, ?2
WHERE (SELECT attempts FROM address_attempts WHERE address_hash = ?4) <= ?5
    AND EXISTS (SELECT 1 FROM accounts WHERE id = ?1 AND token_generation <= ?6)
ON CONFLICT (account_id) DO UPDATE SET
    attempts = CASE WHEN window_started_ms <= ?2 - ?3 THEN 1 ELSE attempts + 1 END,
    window_started_ms = CASE WHEN window_started_ms <= ?2 - ?3 THEN ?2 ELSE window_started_ms END
RETURNING attempts, window_started_ms
"#;

/// Forgets account `?1`'s attempts after a correct password.
pub const RESET_ACCOUNT_ATTEMPTS: &str = r#"
DELETE FROM password_attempts
WHERE account_id = ?1
"#;

/// Gives back the attempt a correct password reserved on address `?1`.
pub const REFUND_ADDRESS_ATTEMPT: &str = r#"
UPDATE address_attempts SET attempts = max(attempts - 1, 0)
WHERE address_hash = ?1
"#;

/// Deletes up to 20 address counters whose window ended before `?1` (epoch milliseconds), so the
/// table holds roughly the addresses seen in the last window. Run after a correct password, it
/// keeps the cleanup off the path of failing requests.
pub const PRUNE_ADDRESS_ATTEMPTS: &str = r#"
DELETE FROM address_attempts
WHERE address_hash IN (
    SELECT address_hash FROM address_attempts WHERE window_started_ms <= ?1 LIMIT 20
)
"#;

/// The secret key client addresses are hashed with before they are stored. Its `Debug` output
/// never shows the key.
pub struct AddressKey(Vec<u8>);

impl AddressKey {
    /// Wraps raw key bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The stored form of a client address: HMAC-SHA256 of its limit bucket, in hex. Without the
    /// key, the 2^32 IPv4 addresses could be hashed in minutes and the table read back as a list
    /// of addresses.
    pub fn hash(&self, address: Option<&str>) -> String {
        // BUG: HMAC takes a key of any length.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("BUG: HMAC takes any key");
        mac.update(address_bucket(address).as_bytes());

        mac.finalize()
            .into_bytes()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

impl fmt::Debug for AddressKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AddressKey(<redacted>)")
    }
}

/// The unit one address limit covers. An IPv4 address stands alone; an IPv6 address counts with
/// its whole /64, since one client is usually given a /64 and could otherwise rotate through
/// 2^64 addresses. An IPv4 address written in IPv6 form counts as itself. A missing header (only
/// possible off Cloudflare) and a value that is no address each form a bucket of their own.
pub fn address_bucket(address: Option<&str>) -> String {
    let Some(raw) = address.map(str::trim) else {
        return "none".to_owned();
    };

    match raw.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(IpAddr::V4(v4)) => format!("v4:{v4}"),
        Ok(IpAddr::V6(v6)) => {
            let segments = v6.segments();
            format!(
                "v6:{:x}:{:x}:{:x}:{:x}::/64",
                segments[0], segments[1], segments[2], segments[3]
            )
        }
        Err(_) => format!("raw:{}", raw.chars().take(64).collect::<String>()),
    }
}

/// What each reservation returns.
#[derive(Debug, serde::Deserialize)]
pub struct Reservation {
    /// Attempts in the current window, this one included.
    pub attempts: u32,
    /// When the current window started, in epoch milliseconds.
    pub window_started_ms: i64,
}

impl Reservation {
    /// Lets the attempt go ahead when it is within `max_attempts`, and otherwise answers
    /// `10005` with the whole seconds left in the window (at least one).
    pub fn check(&self, max_attempts: u32, window_secs: u32, now_ms: i64) -> Result<()> {
        if self.attempts <= max_attempts {
            return Ok(());
        }

        let window_ends_ms = self
            .window_started_ms
            .saturating_add(i64::from(window_secs) * 1_000);
        let left_ms = window_ends_ms.saturating_sub(now_ms).max(1);
        let retry_after_secs = u64::try_from(left_ms).unwrap_or(1).div_ceil(1_000);
        Err(ApiError::TooManyAttempts { retry_after_secs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_by_their_slash_64() {
        let a = address_bucket(Some("2001:db8:1:2:aaaa::1"));
        let b = address_bucket(Some("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        let other = address_bucket(Some("2001:db8:1:3::1"));

        assert_eq!(a, b);
        assert_ne!(a, other);
    }

    #[test]
    fn ipv4_addresses_count_alone_in_either_notation() {
        assert_eq!(
            address_bucket(Some("203.0.113.7")),
            address_bucket(Some("::ffff:203.0.113.7"))
        );
        assert_ne!(
            address_bucket(Some("203.0.113.7")),
            address_bucket(Some("203.0.113.8"))
        );
    }

    #[test]
    fn missing_and_unreadable_addresses_get_buckets_of_their_own() {
        assert_eq!(address_bucket(None), "none");
        assert_ne!(address_bucket(Some("none")), address_bucket(None));
        assert_eq!(
            address_bucket(Some(&"x".repeat(500))).len(),
            "raw:".len() + 64
        );
    }

    #[test]
    fn stored_hash_depends_on_the_key_and_never_shows_the_address() {
        let key = AddressKey::new(b"address-key-of-at-least-32-bytes!!!".to_vec());
        let other = AddressKey::new(b"another-address-key-of-32-bytes!!!!".to_vec());

        let hash = key.hash(Some("203.0.113.7"));

        assert_eq!(hash.len(), 64);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(!hash.contains("203"));
        assert_eq!(hash, key.hash(Some("::ffff:203.0.113.7")));
        assert_ne!(hash, other.hash(Some("203.0.113.7")));
        assert!(!format!("{key:?}").contains("address-key"));
    }

    fn reservation(attempts: u32, window_started_ms: i64) -> Reservation {
        Reservation {
            attempts,
            window_started_ms,
        }
    }

    #[test]
    fn attempts_up_to_the_limit_go_ahead() {
        for attempts in 1..=5 {
            assert!(reservation(attempts, 0).check(5, 900, 1_000).is_ok());
        }
    }

    #[test]
    fn attempt_past_the_limit_waits_for_the_rest_of_the_window() {
        let result = reservation(6, 0).check(5, 900, 100_500);

        assert_eq!(
            result,
            Err(ApiError::TooManyAttempts {
                retry_after_secs: 800
            })
        );
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        let result = reservation(6, 0).check(5, 900, 900_000);

        assert_eq!(
            result,
            Err(ApiError::TooManyAttempts {
                retry_after_secs: 1
            })
        );
    }
}
