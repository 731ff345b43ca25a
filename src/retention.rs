//! Retention: the scheduled job that deletes log rows older than a configured age.
//!
//! Rows leave `modification_log` only this way: migration 0005 adds a trigger that refuses any
//! `DELETE` of a row younger than the policy in `log_retention`, and the job writes that policy
//! before it deletes. Deletion runs in bounded batches so one run stays within the Worker's
//! limits however much has piled up; what is left waits for the next run.

use crate::config::number;
use crate::error::Result;

/// Variable: delete log rows changed more than this many days ago; unset or empty keeps them all.
pub const LOG_RETENTION_DAYS: &str = "LOG_RETENTION_DAYS";

/// Rows deleted per statement.
pub const BATCH_ROWS: u32 = 500;

/// Statements per run, so one run deletes at most `BATCH_ROWS * MAX_BATCHES` rows.
pub const MAX_BATCHES: u32 = 20;

/// Records the policy `?1` (days) that the delete trigger checks against.
pub const SET_POLICY: &str = r#"
INSERT INTO log_retention (id, keep_days) VALUES (1, ?1)
ON CONFLICT (id) DO UPDATE SET keep_days = excluded.keep_days
"#;

/// Deletes up to `?2` of the oldest rows changed more than `?1` days ago, with the same cutoff
/// expression as the trigger.
pub const DELETE_EXPIRED: &str = r#"
DELETE FROM modification_log
WHERE id IN (
    SELECT id FROM modification_log
    WHERE changed_at_ms < (unixepoch() - ?1 * 86400) * 1000
    ORDER BY changed_at_ms
    LIMIT ?2
)
"#;

/// The configured retention in days, or `None` when history is kept forever.
pub fn keep_days(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<u32>> {
    if lookup(LOG_RETENTION_DAYS).is_none_or(|raw| raw.trim().is_empty()) {
        return Ok(None);
    }
    number(&lookup, LOG_RETENTION_DAYS, 0, 1..=36_500).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    fn days(value: Option<&str>) -> Result<Option<u32>> {
        keep_days(|name| {
            assert_eq!(name, LOG_RETENTION_DAYS);
            value.map(str::to_owned)
        })
    }

    #[test]
    fn unset_or_empty_keeps_history_forever() {
        assert_eq!(days(None), Ok(None));
        assert_eq!(days(Some(" ")), Ok(None));
    }

    #[test]
    fn days_are_a_whole_number_from_1_to_36500() {
        assert_eq!(days(Some("365")), Ok(Some(365)));
        for bad in ["0", "-5", "36501", "1y"] {
            assert!(
                matches!(days(Some(bad)), Err(ApiError::Internal(_))),
                "{bad}"
            );
        }
    }
}
