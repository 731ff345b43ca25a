//! The limit on password attempts per account.
//!
//! Each request that reaches the password check first reserves an attempt with one atomic upsert
//! and only then runs PBKDF2. Requests arriving together therefore each see their own count, and
//! once the count passes the limit no further hashing happens until the window closes. A correct
//! password deletes the account's counter.

use crate::error::{ApiError, Result};

/// Reserves one attempt for account `?1` at time `?2` (epoch milliseconds), opening a new window
/// when the current one, `?3` milliseconds long, has passed. Returns the count so far in the
/// window and when the window started.
///
/// In SQLite's `DO UPDATE`, unqualified columns name the stored row before the update, so both
/// assignments see the old window start.
pub const RESERVE_ATTEMPT: &str = r#"
INSERT INTO password_attempts (account_id, attempts, window_started_ms)
VALUES (?1, 1, ?2)
ON CONFLICT (account_id) DO UPDATE SET
    attempts = CASE WHEN window_started_ms <= ?2 - ?3 THEN 1 ELSE attempts + 1 END,
    window_started_ms = CASE WHEN window_started_ms <= ?2 - ?3 THEN ?2 ELSE window_started_ms END
RETURNING attempts, window_started_ms
"#;

/// Forgets account `?1`'s attempts after a correct password.
pub const RESET_ATTEMPTS: &str = r#"
DELETE FROM password_attempts
WHERE account_id = ?1
"#;

/// What [`RESERVE_ATTEMPT`] returns.
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
