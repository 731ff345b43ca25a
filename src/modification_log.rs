//! The modification log: the rows as stored, the items as answered, and the queries that read
//! them.

use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, Result};
use crate::paging::Position;

/// Reads the caller's account: the ID number to show, the hash to check the password against,
/// and the token generation that tokens must have reached.
pub const ACCOUNT_QUERY: &str = r#"
SELECT id_number, password_hash, token_generation
FROM accounts
WHERE id = ?1
"#;

/// Replaces account `?1`'s password hash by `?2`, but only while it is still `?3`, the one just
/// checked: a password change that landed meanwhile wins.
pub const REPLACE_HASH: &str = r#"
UPDATE accounts SET password_hash = ?2
WHERE id = ?1 AND password_hash = ?3
"#;

/// Reads one page of an account's history, newest first: `?1` the account, rows from time `?2`
/// to `?3` inclusive, at `?3` only those with an id below `?4`, at most `?5` rows
/// ([`crate::paging::PageQuery::bounds`] gives `?2` to `?4`).
///
/// The index `modification_log_by_account_time` on `(account_id, changed_at_ms)` ends, like every
/// SQLite index, with the rowid `id`; scanned backwards from `?3` it yields exactly this order, so
/// no sort step runs and a page reads only its own rows, however long the history. `id` breaks
/// ties between equal times: the row recorded last comes first.
pub const LOG_PAGE_QUERY: &str = r#"
SELECT id, data_type, value_before, value_after, changed_at_ms
FROM modification_log
WHERE account_id = ?1 AND changed_at_ms BETWEEN ?2 AND ?3
  AND (changed_at_ms < ?3 OR id < ?4)
ORDER BY changed_at_ms DESC, id DESC
LIMIT ?5
"#;

/// [`LOG_PAGE_QUERY`] for one `data_type`, `?6`, through the index
/// `modification_log_by_account_type_time`, so a filtered page costs as little.
pub const LOG_PAGE_OF_TYPE_QUERY: &str = r#"
SELECT id, data_type, value_before, value_after, changed_at_ms
FROM modification_log
WHERE account_id = ?1 AND data_type = ?6 AND changed_at_ms BETWEEN ?2 AND ?3
  AND (changed_at_ms < ?3 OR id < ?4)
ORDER BY changed_at_ms DESC, id DESC
LIMIT ?5
"#;

/// The `data_type` whose values are ID numbers, masked in answers like `user_id`.
pub const ID_NUMBER_TYPE: &str = "id_number";

/// The caller's account row.
#[derive(Debug, Deserialize)]
pub struct AccountRow {
    /// The national ID number, shown only masked.
    pub id_number: String,
    /// The PHC string of the password hash.
    pub password_hash: String,
    /// Tokens of a lower generation are revoked.
    pub token_generation: u64,
}

/// One stored change.
#[derive(Debug, Deserialize)]
pub struct LogRow {
    /// The row id, which orders rows of equal time and positions a cursor.
    pub id: i64,
    /// Which field changed.
    pub data_type: String,
    /// The value before the change; `NULL` when there was none.
    pub value_before: Option<String>,
    /// The value after the change; `NULL` when there is none.
    pub value_after: Option<String>,
    /// When it changed, in milliseconds since the Unix epoch, UTC.
    pub changed_at_ms: i64,
}

/// One change as the API answers it.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct LogItem {
    /// The account's ID number, masked.
    pub user_id: String,
    /// Which field changed.
    pub data_type: String,
    /// The value before the change, `""` when there was none.
    pub data_before_modification: String,
    /// The value after the change, `""` when there is none.
    pub data_after_modification: String,
    /// `YYYY-MM-DDTHH:MM:SS`, in UTC or the configured display offset.
    pub modification_time: String,
}

/// The `data` member of a successful answer.
#[derive(Debug, Serialize)]
pub struct LogPage {
    /// The caller's changes, newest first.
    pub modification_logs: Vec<LogItem>,
    /// Continues the list after this page; `None` (`null`) on the last one.
    pub next_cursor: Option<String>,
}

impl LogPage {
    /// Turns stored rows, already in answer order, into the answer for an account whose ID
    /// number is `id_number`, with times shown at `offset` from UTC.
    pub fn from_rows(
        id_number: &str,
        rows: Vec<LogRow>,
        offset: FixedOffset,
        next_cursor: Option<String>,
    ) -> Result<LogPage> {
        let user_id = mask_id_number(id_number);

        let modification_logs = rows
            .into_iter()
            .map(|row| {
                let shown = |value: Option<String>| match value {
                    Some(value) if row.data_type == ID_NUMBER_TYPE => mask_id_number(&value),
                    value => value.unwrap_or_default(),
                };
                Ok(LogItem {
                    user_id: user_id.clone(),
                    data_before_modification: shown(row.value_before),
                    data_after_modification: shown(row.value_after),
                    data_type: row.data_type,
                    modification_time: format_time(row.changed_at_ms, offset)?,
                })
            })
            .collect::<Result<_>>()?;

        Ok(LogPage {
            modification_logs,
            next_cursor,
        })
    }

    /// The whole success envelope.
    pub fn envelope(&self) -> String {
        crate::error::Envelope {
            status: 200,
            code: "10000",
            result: "Get user info modification log successfully",
            data: self,
        }
        .to_json()
    }
}

/// Cuts `rows`, read with one row more than a page holds, to `page_size`. Returns the position
/// of the page's last row when rows were cut, so more follow and a cursor can continue there.
pub fn trim_page(rows: &mut Vec<LogRow>, page_size: u32) -> Option<Position> {
    let page_size = page_size as usize;
    if rows.len() <= page_size {
        return None;
    }

    rows.truncate(page_size);
    rows.last().map(|row| Position {
        changed_at_ms: row.changed_at_ms,
        id: row.id,
    })
}

/// Masks an ID number: 8 or more characters keep the first 3 and last 4, and every character
/// between becomes `*`; anything shorter is all `*`, so no short value is shown in full.
///
/// Note: characters are counted, not bytes, so a non-ASCII ID number is masked the same way.
pub fn mask_id_number(id_number: &str) -> String {
    const KEEP_START: usize = 3;
    const KEEP_END: usize = 4;

    let length = id_number.chars().count();
    if length < KEEP_START + KEEP_END + 1 {
        return "*".repeat(length);
    }

    id_number
        .chars()
        .enumerate()
        .map(|(index, c)| {
            if index < KEEP_START || index >= length - KEEP_END {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// Writes an instant as `YYYY-MM-DDTHH:MM:SS` at `offset` from UTC (the contract's form, which
/// carries no zone: the offset is a deployment's setting, `DISPLAY_UTC_OFFSET`). Milliseconds
/// are cut, not rounded, so a time never moves into the next second.
pub fn format_time(epoch_ms: i64, offset: FixedOffset) -> Result<String> {
    let time = DateTime::from_timestamp_millis(epoch_ms)
        .ok_or_else(|| ApiError::internal("stored time out of range", epoch_ms))?;

    // Written field by field: chrono's format strings would add their parser to the bundle.
    let local = time.with_timezone(&offset).naive_local();
    Ok(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute(),
        local.second()
    ))
}

/// Reads a display offset written `+HH:MM` or `-HH:MM`, within the offsets in use on Earth
/// (-12:00 to +14:00).
pub fn parse_utc_offset(text: &str) -> Option<FixedOffset> {
    let bytes = text.as_bytes();
    let well_formed = bytes.len() == 6
        && matches!(bytes[0], b'+' | b'-')
        && bytes[3] == b':'
        && [1, 2, 4, 5].iter().all(|&i| bytes[i].is_ascii_digit());
    if !well_formed {
        return None;
    }

    let hours: i32 = text[1..3].parse().ok()?;
    let minutes: i32 = text[4..6].parse().ok()?;
    let seconds = (hours * 60 + minutes) * 60;
    let signed = if bytes[0] == b'-' { -seconds } else { seconds };
    let in_use = minutes < 60 && (-12 * 3600..=14 * 3600).contains(&signed);
    in_use.then(|| FixedOffset::east_opt(signed)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    #[test]
    fn times_are_shown_at_the_configured_offset_in_the_same_form() {
        let at = 1_771_840_800_000; // 2026-02-23T10:00:00Z
        let east = parse_utc_offset("+08:00").unwrap();
        let west = parse_utc_offset("-09:30").unwrap();

        assert_eq!(format_time(at, east).unwrap(), "2026-02-23T18:00:00");
        assert_eq!(format_time(at, west).unwrap(), "2026-02-23T00:30:00");
        assert_eq!(
            format_time(at - 11 * 3_600_000, west).unwrap(),
            "2026-02-22T13:30:00"
        );
        assert_eq!(
            format_time(at, parse_utc_offset("+00:00").unwrap()).unwrap(),
            "2026-02-23T10:00:00"
        );
    }

    #[test]
    fn offsets_must_be_written_plus_or_minus_hh_mm_within_use() {
        assert_eq!(parse_utc_offset("+14:00"), FixedOffset::east_opt(14 * 3600));
        assert_eq!(parse_utc_offset("-12:00"), FixedOffset::west_opt(12 * 3600));
        assert_eq!(
            parse_utc_offset("+05:45"),
            FixedOffset::east_opt(5 * 3600 + 45 * 60)
        );
        for bad in [
            "", "Z", "UTC", "08:00", "+8:00", "+0800", "+08:60", "+14:01", "-12:30", "+08:00 ",
        ] {
            assert_eq!(parse_utc_offset(bad), None, "{bad:?}");
        }
    }

    fn row(before: Option<&str>, at_ms: i64) -> LogRow {
        LogRow {
            id: at_ms,
            data_type: "nickname".into(),
            value_before: before.map(str::to_owned),
            value_after: Some("new".into()),
            changed_at_ms: at_ms,
        }
    }

    #[test]
    fn eighteen_character_id_numbers_keep_three_and_four() {
        assert_eq!(mask_id_number("110000000000001234"), "110***********1234");
        assert_eq!(mask_id_number("11000000000000123X"), "110***********123X");
    }

    #[test]
    fn short_id_numbers_are_all_stars() {
        assert_eq!(mask_id_number("1234567"), "*******");
        assert_eq!(mask_id_number("1"), "*");
        assert_eq!(mask_id_number(""), "");
    }

    #[test]
    fn eight_characters_is_the_shortest_partly_shown_value() {
        assert_eq!(mask_id_number("12345678"), "123*5678");
    }

    #[test]
    fn non_ascii_id_numbers_are_masked_by_character() {
        assert_eq!(mask_id_number("身份证号码一二三四五"), "身份证***二三四五");
        assert_eq!(mask_id_number("éééééé"), "******");
    }

    #[test]
    fn time_is_utc_without_fraction() {
        assert_eq!(
            format_time(1_771_840_800_000, utc()).unwrap(),
            "2026-02-23T10:00:00"
        );
        assert_eq!(
            format_time(1_771_840_800_999, utc()).unwrap(),
            "2026-02-23T10:00:00"
        );
        assert_eq!(format_time(0, utc()).unwrap(), "1970-01-01T00:00:00");
    }

    #[test]
    fn time_out_of_range_is_an_internal_error() {
        assert!(matches!(
            format_time(i64::MAX, utc()),
            Err(ApiError::Internal(_))
        ));
    }

    #[test]
    fn null_values_become_empty_strings() {
        let page =
            LogPage::from_rows("110000000000001234", vec![row(None, 0)], utc(), None).unwrap();

        assert_eq!(
            page.modification_logs,
            vec![LogItem {
                user_id: "110***********1234".into(),
                data_type: "nickname".into(),
                data_before_modification: String::new(),
                data_after_modification: "new".into(),
                modification_time: "1970-01-01T00:00:00".into(),
            }]
        );
    }

    #[test]
    fn success_envelope_matches_the_contract_example() {
        let rows = vec![LogRow {
            id: 1,
            data_type: "phone_number".into(),
            value_before: Some("13800000000".into()),
            value_after: Some("13800000001".into()),
            changed_at_ms: 1_771_840_800_000,
        }];

        let body = LogPage::from_rows("110000000000001234", rows, utc(), None)
            .unwrap()
            .envelope();

        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&body).unwrap(),
            serde_json::json!({
                "status": 200,
                "code": "10000",
                "result": "Get user info modification log successfully",
                "data": {"modification_logs": [{
                    "user_id": "110***********1234",
                    "data_type": "phone_number",
                    "data_before_modification": "13800000000",
                    "data_after_modification": "13800000001",
                    "modification_time": "2026-02-23T10:00:00"
                }], "next_cursor": null}
            })
        );
    }

    #[test]
    fn empty_history_is_an_empty_list() {
        let body = LogPage::from_rows("110000000000001234", vec![], utc(), None)
            .unwrap()
            .envelope();

        assert!(
            body.contains(r#""data":{"modification_logs":[],"next_cursor":null}"#),
            "{body}"
        );
    }

    #[test]
    fn id_number_changes_are_masked_like_user_id() {
        let change = LogRow {
            data_type: ID_NUMBER_TYPE.into(),
            value_before: Some("110105199001011234".into()),
            value_after: None,
            ..row(None, 0)
        };

        let page = LogPage::from_rows("110105199001011234", vec![change], utc(), None).unwrap();

        assert_eq!(
            page.modification_logs[0].data_before_modification,
            "110***********1234"
        );
        assert_eq!(page.modification_logs[0].data_after_modification, "");
    }

    #[test]
    fn a_page_read_with_one_row_extra_is_cut_and_continues_at_its_last_row() {
        let mut rows: Vec<LogRow> = (0..4).rev().map(|i| row(None, i)).collect();
        let mut whole: Vec<LogRow> = (0..3).rev().map(|i| row(None, i)).collect();

        let next = trim_page(&mut rows, 3);

        assert_eq!(rows.len(), 3);
        assert_eq!(
            next,
            Some(Position {
                changed_at_ms: 1,
                id: 1
            })
        );
        assert_eq!(trim_page(&mut whole, 3), None);
        assert_eq!(whole.len(), 3);
    }
}
