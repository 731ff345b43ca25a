//! Pages of the history: the optional body members that choose one, and the cursor that
//! continues it.
//!
//! Paging is keyset-based: a cursor names the last row a page showed, by its time and row id,
//! and the next page starts strictly after it in the list's order. A page therefore costs one
//! index range however long the history is, and rows recorded meanwhile never shift a page.

use base64ct::{Base64UrlUnpadded, Encoding};
use chrono::{DateTime, FixedOffset};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{ApiError, Result};

/// The most rows one answer holds; also the page size when the body sets none.
pub const MAX_PAGE_SIZE: u32 = 1_000;

/// The longest `data_type` filter accepted, in characters.
pub const MAX_DATA_TYPE_CHARS: usize = 64;

/// The latest instant the schema stores (9999-12-31T23:59:59.999Z), in epoch milliseconds.
const LATEST_MS: i64 = 253_402_300_799_999;

/// Bytes of the cursor's MAC that are kept. 128 bits is far past guessing, and keeps the cursor
/// at 44 characters.
const TAG_BYTES: usize = 16;

/// The cursor format's version, so a later format can tell old cursors apart.
const CURSOR_VERSION: u8 = 1;

/// Bytes of a decoded cursor: version, time, row id and tag.
const CURSOR_BYTES: usize = 1 + 8 + 8 + TAG_BYTES;

/// The paging members of the body, as sent. `LogRequest::parse` checks their JSON types only;
/// [`PageRequest::check`] checks their values once the account is known.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// `page_size`: rows per answer.
    pub page_size: Option<u64>,
    /// `cursor`: a previous answer's `next_cursor`.
    pub cursor: Option<String>,
    /// `data_type`: only changes of this kind.
    pub data_type: Option<String>,
    /// `since`: only changes at or after this time.
    pub since: Option<String>,
    /// `until`: only changes before this time.
    pub until: Option<String>,
}

/// Where a page starts: strictly after this row, in newest-first order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The row's time, in epoch milliseconds.
    pub changed_at_ms: i64,
    /// The row's id, which orders rows of equal time.
    pub id: i64,
}

/// A checked request for one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageQuery {
    /// Rows per page, 1 to [`MAX_PAGE_SIZE`].
    pub page_size: u32,
    /// Only rows of this `data_type`, when set.
    pub data_type: Option<String>,
    /// Earliest time included, in epoch milliseconds.
    pub since_ms: i64,
    /// Latest time included, in epoch milliseconds (`until` is exclusive; this is one less).
    pub until_ms: i64,
    /// The last row of the previous page, when continuing.
    pub after: Option<Position>,
}

impl PageQuery {
    /// The whole history, newest first, up to [`MAX_PAGE_SIZE`] rows.
    pub fn first_page() -> PageQuery {
        PageQuery {
            page_size: MAX_PAGE_SIZE,
            data_type: None,
            since_ms: 0,
            until_ms: LATEST_MS,
            after: None,
        }
    }

    /// The bounds for the list query: rows with `since_ms <= time <= upper_ms`, and at
    /// `upper_ms` itself only those with an id below `upper_id`.
    pub fn bounds(&self) -> (i64, i64, i64) {
        match self.after {
            Some(after) if after.changed_at_ms <= self.until_ms => {
                (self.since_ms, after.changed_at_ms, after.id)
            }
            _ => (self.since_ms, self.until_ms, i64::MAX),
        }
    }
}

impl PageRequest {
    /// Checks the members' values for `account`: sizes and times within range, and a cursor
    /// that this deployment made for this account and these filters. Times without an offset
    /// are read at `offset`, the one answers show times at. Any fault is `10003`.
    pub fn check(&self, account: &str, key: &CursorKey, offset: FixedOffset) -> Result<PageQuery> {
        let invalid = ApiError::InvalidRequest;

        let page_size = match self.page_size {
            None => MAX_PAGE_SIZE,
            Some(size @ 1..) if size <= u64::from(MAX_PAGE_SIZE) => size as u32,
            Some(_) => return Err(invalid("page_size outside 1 to 1000")),
        };
        let data_type = match &self.data_type {
            Some(kind) if kind.is_empty() || kind.chars().count() > MAX_DATA_TYPE_CHARS => {
                return Err(invalid("data_type empty or too long"));
            }
            kind => kind.clone(),
        };
        let since_ms = match &self.since {
            Some(text) => parse_time(text, offset).ok_or(invalid("since is not a time"))?,
            None => 0,
        };
        let until_ms = match &self.until {
            Some(text) => parse_time(text, offset).ok_or(invalid("until is not a time"))? - 1,
            None => LATEST_MS,
        };
        if since_ms > until_ms {
            return Err(invalid("since is not before until"));
        }

        let mut query = PageQuery {
            page_size,
            data_type,
            since_ms,
            until_ms,
            after: None,
        };
        if let Some(cursor) = &self.cursor {
            let after = key.open(account, &query, cursor).ok_or(invalid(
                "cursor is not one this service issued for this query",
            ))?;
            query.after = Some(after);
        }
        Ok(query)
    }
}

/// Reads a filter time: RFC 3339 (`2026-02-23T10:00:00Z`, `...+08:00`, with or without a
/// fraction), or the answers' own form `YYYY-MM-DDTHH:MM:SS`, which is read at `offset`. Returns
/// epoch milliseconds within the years 1970 to 9999.
pub fn parse_time(text: &str, offset: FixedOffset) -> Option<i64> {
    // A time without an offset is given the display offset in RFC 3339's own form, so that one
    // parser reads both: chrono's format-string parser would add about 20 KB to the bundle.
    let instant = DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_rfc3339(&format!("{text}{offset}")))
        .ok()?;

    let ms = instant.timestamp_millis();
    (0..=LATEST_MS).contains(&ms).then_some(ms)
}

/// The key that signs cursors, so a client can neither forge a position nor carry a cursor to
/// another account or other filters. Its `Debug` output never shows the key.
pub struct CursorKey([u8; 32]);

impl CursorKey {
    /// Derives the cursor key from a deployment secret. The label keeps it apart from every
    /// other use of that secret: no other message under it starts with this text.
    pub fn derive(secret: &[u8]) -> CursorKey {
        let label: &[u8] = b"user-info-log paging cursor key v1";
        CursorKey(keyed_mac(secret, &[label]).finalize().into_bytes().into())
    }

    /// The cursor that continues `query` after `position`, for `account`.
    pub fn seal(&self, account: &str, query: &PageQuery, position: Position) -> String {
        let mut bytes = Vec::with_capacity(CURSOR_BYTES);
        bytes.push(CURSOR_VERSION);
        bytes.extend_from_slice(&position.changed_at_ms.to_be_bytes());
        bytes.extend_from_slice(&position.id.to_be_bytes());
        let tag = self.mac(account, query, position).finalize().into_bytes();
        bytes.extend_from_slice(&tag[..TAG_BYTES]);
        Base64UrlUnpadded::encode_string(&bytes)
    }

    /// The position a cursor names, if this key sealed it for `account` and `query`'s filters.
    pub fn open(&self, account: &str, query: &PageQuery, cursor: &str) -> Option<Position> {
        if cursor.len() > 64 {
            return None;
        }
        let bytes = Base64UrlUnpadded::decode_vec(cursor).ok()?;
        if bytes.len() != CURSOR_BYTES || bytes[0] != CURSOR_VERSION {
            return None;
        }

        let number = |range: std::ops::Range<usize>| {
            Some(i64::from_be_bytes(bytes.get(range)?.try_into().ok()?))
        };
        let position = Position {
            changed_at_ms: number(1..9)?,
            id: number(9..17)?,
        };
        self.mac(account, query, position)
            .verify_truncated_left(&bytes[17..])
            .ok()?;
        Some(position)
    }

    /// The MAC over what a cursor is bound to: the account, the filters (not the page size,
    /// which may change from page to page) and the position.
    fn mac(&self, account: &str, query: &PageQuery, position: Position) -> Hmac<Sha256> {
        let kind = query.data_type.as_deref().unwrap_or("");
        keyed_mac(
            &self.0,
            &[
                &[CURSOR_VERSION, u8::from(query.data_type.is_some())],
                account.as_bytes(),
                kind.as_bytes(),
                &query.since_ms.to_be_bytes(),
                &query.until_ms.to_be_bytes(),
                &position.changed_at_ms.to_be_bytes(),
                &position.id.to_be_bytes(),
            ],
        )
    }
}

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(<redacted>)")
    }
}

/// An HMAC-SHA256 fed with `parts`, each after its length, so that no two lists of parts make
/// the same message.
fn keyed_mac(key: &[u8], parts: &[&[u8]]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("BUG: HMAC takes any key");
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    fn key() -> CursorKey {
        CursorKey::derive(b"a deployment secret of at least 32 bytes")
    }

    fn request() -> PageRequest {
        PageRequest::default()
    }

    const AT: Position = Position {
        changed_at_ms: 1_771_840_800_000,
        id: 42,
    };

    #[test]
    fn no_members_ask_for_the_whole_history_up_to_the_cap() {
        let query = request().check("acct", &key(), utc()).unwrap();

        assert_eq!(query, PageQuery::first_page());
        assert_eq!(query.bounds(), (0, LATEST_MS, i64::MAX));
    }

    #[test]
    fn page_size_must_be_between_1_and_the_cap() {
        for (size, ok) in [
            (0, false),
            (1, true),
            (1_000, true),
            (1_001, false),
            (u64::MAX, false),
        ] {
            let asked = PageRequest {
                page_size: Some(size),
                ..request()
            };
            assert_eq!(asked.check("acct", &key(), utc()).is_ok(), ok, "{size}");
        }
    }

    #[test]
    fn a_cursor_opens_only_for_its_account_and_filters() {
        let query = PageQuery {
            data_type: Some("email".into()),
            ..PageQuery::first_page()
        };
        let cursor = key().seal("acct", &query, AT);

        assert_eq!(key().open("acct", &query, &cursor), Some(AT));
        assert_eq!(key().open("other", &query, &cursor), None);
        assert_eq!(key().open("acct", &PageQuery::first_page(), &cursor), None);
        let other_key = CursorKey::derive(b"another secret of at least 32 bytes!!");
        assert_eq!(other_key.open("acct", &query, &cursor), None);
    }

    #[test]
    fn a_changed_cursor_is_refused() {
        let query = PageQuery::first_page();
        let cursor = key().seal("acct", &query, AT);
        let bytes = Base64UrlUnpadded::decode_vec(&cursor).unwrap();

        for index in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[index] ^= 1;
            let changed = Base64UrlUnpadded::encode_string(&changed);
            assert_eq!(key().open("acct", &query, &changed), None, "byte {index}");
        }
        for bad in [
            "",
            "x",
            &cursor[1..],
            &format!("{cursor}A"),
            &"A".repeat(5_000),
        ] {
            assert_eq!(key().open("acct", &query, bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_cursor_from_the_body_continues_after_its_row() {
        let cursor = key().seal("acct", &PageQuery::first_page(), AT);
        let asked = PageRequest {
            cursor: Some(cursor),
            page_size: Some(50),
            ..request()
        };

        let query = asked.check("acct", &key(), utc()).unwrap();

        assert_eq!(query.after, Some(AT));
        assert_eq!(query.bounds(), (0, AT.changed_at_ms, AT.id));
        assert!(asked.check("someone-else", &key(), utc()).is_err());
    }

    #[test]
    fn filter_times_take_an_offset_or_the_display_offset() {
        let east = FixedOffset::east_opt(8 * 3_600).unwrap();

        assert_eq!(
            parse_time("2026-02-23T10:00:00Z", utc()),
            Some(1_771_840_800_000)
        );
        assert_eq!(
            parse_time("2026-02-23T18:00:00+08:00", utc()),
            Some(1_771_840_800_000)
        );
        assert_eq!(
            parse_time("2026-02-23T10:00:00.5Z", utc()),
            Some(1_771_840_800_500)
        );
        assert_eq!(
            parse_time("2026-02-23T10:00:00", utc()),
            Some(1_771_840_800_000)
        );
        assert_eq!(
            parse_time("2026-02-23T18:00:00", east),
            Some(1_771_840_800_000)
        );
        assert_eq!(
            parse_time("2026-02-23T18:00:00.25", east),
            Some(1_771_840_800_250)
        );
        for bad in [
            "",
            "2026-02-23",
            "2026-02-23T10:00",
            "2026-02-23T10:00:00+",
            "2026-02-23T10:00:00Z+00:00",
            "yesterday",
            "2026-02-30T00:00:00Z",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(parse_time(bad, utc()), None, "{bad:?}");
        }
    }

    #[test]
    fn since_and_until_make_a_half_open_range() {
        let asked = PageRequest {
            since: Some("2026-01-01T00:00:00Z".into()),
            until: Some("2026-02-01T00:00:00Z".into()),
            ..request()
        };

        let query = asked.check("acct", &key(), utc()).unwrap();

        assert_eq!(query.since_ms, 1_767_225_600_000);
        assert_eq!(query.until_ms, 1_769_904_000_000 - 1);
        let backwards = PageRequest {
            since: asked.until.clone(),
            until: asked.since.clone(),
            ..request()
        };
        assert!(backwards.check("acct", &key(), utc()).is_err());
    }

    #[test]
    fn data_type_must_be_short_and_not_empty() {
        for (kind, ok) in [("email", true), ("", false), (&"x".repeat(65), false)] {
            let asked = PageRequest {
                data_type: Some(kind.to_owned()),
                ..request()
            };
            assert_eq!(asked.check("acct", &key(), utc()).is_ok(), ok, "{kind:?}");
        }
    }
}
