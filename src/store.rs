//! D1 access: each step of a request that needs the database is one round trip.
//!
//! A successful request makes two: the account read with the attempt reservations, then the
//! counters' update with the history read. Each request is one D1 session: its first batch
//! writes, so it runs on the primary, and everything after it sees at least what the primary
//! had committed by then, whichever copy serves it. With `D1_READ_REPLICATION` on, the history
//! read runs beside the second batch instead of in it, so that a replica can serve it. The SQL
//! lives with the logic it serves (`auth::attempts`, `modification_log`, `retention`); this
//! module runs it.

use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use worker::{D1DatabaseSession, D1PreparedStatement, D1Result, D1SessionConstraint, Env};

use crate::auth::attempts::RESET_ACCOUNT_ATTEMPTS;
use crate::auth::attempts::{Reservation, PRUNE_ADDRESS_ATTEMPTS, REFUND_ADDRESS_ATTEMPT};
use crate::auth::attempts::{RESERVE_ACCOUNT_ATTEMPT, RESERVE_ADDRESS_ATTEMPT};
use crate::auth::token::VerifiedToken;
use crate::config::Config;
use crate::error::{ApiError, Result};
use crate::modification_log::{AccountRow, LogRow, ACCOUNT_QUERY, REPLACE_HASH};
use crate::modification_log::{LOG_PAGE_OF_TYPE_QUERY, LOG_PAGE_QUERY};
use crate::paging::PageQuery;
use crate::retention::{BATCH_ROWS, DELETE_EXPIRED, MAX_BATCHES, SET_POLICY};

/// Name of the D1 binding in `wrangler.toml`.
const DATABASE: &str = "DB";

/// The database of one request: one D1 session.
pub struct Store {
    db: D1DatabaseSession,
}

/// One password attempt: whose it is, where it comes from, and when.
pub struct Attempt<'a> {
    /// The verified token, naming the account and its generation.
    pub token: &'a VerifiedToken,
    /// The keyed hash of the client address, never the address.
    pub address_hash: &'a str,
    /// The request's time, in epoch milliseconds.
    pub now_ms: i64,
}

impl Store {
    /// A session on the `DB` binding; the binding's absence is a configuration fault.
    ///
    /// The session starts on the primary, so even a request's first read (the account, when
    /// the body is refused) sees every committed change, a raised token generation included.
    pub fn open(env: &Env) -> Result<Store> {
        let db = env
            .d1(DATABASE)
            .and_then(|db| db.with_session_constraint(D1SessionConstraint::FirstPrimary))
            .map_err(|e| ApiError::internal("d1 binding", e))?;
        Ok(Store { db })
    }

    /// The session's latest bookmark: the database state this request has seen, for its log
    /// line, so that what one request saw can be compared with another's.
    pub fn bookmark(&self) -> Option<String> {
        self.db.get_bookmark().ok().flatten()
    }

    /// The account a token names, if it exists and the token is of its current generation;
    /// otherwise `10001`, as for a badly signed token.
    pub async fn account(&self, token: &VerifiedToken) -> Result<AccountRow> {
        let args = [token.account.as_str().into()];
        let row = self
            .statement(ACCOUNT_QUERY, &args)?
            .first::<AccountRow>(None)
            .await
            .map_err(|e| ApiError::internal("read account", e))?;
        current_account(row, token)
    }

    /// Reads the account and reserves the attempt against both limits, in one batch. A token
    /// that names no account, or a revoked one, gets `10001` and reserves nothing; an attempt
    /// over either limit gets `10005`. The refusal is the same for both limits, so it tells
    /// nothing about the password or which limit was met.
    pub async fn account_and_reserve(
        &self,
        attempt: &Attempt<'_>,
        config: &Config,
    ) -> Result<AccountRow> {
        let account: JsValue = attempt.token.account.as_str().into();
        let generation = JsValue::from_f64(attempt.token.generation as f64);
        let now = JsValue::from_f64(attempt.now_ms as f64);
        let window = JsValue::from_f64(f64::from(config.failure_window_secs) * 1_000.0);
        let address: JsValue = attempt.address_hash.into();
        let max_address = JsValue::from_f64(f64::from(config.address_max_failures));
        let statements = vec![
            self.statement(ACCOUNT_QUERY, std::slice::from_ref(&account))?,
            self.statement(
                RESERVE_ADDRESS_ATTEMPT,
                &[
                    address.clone(),
                    now.clone(),
                    window.clone(),
                    account.clone(),
                    generation.clone(),
                ],
            )?,
            self.statement(
                RESERVE_ACCOUNT_ATTEMPT,
                &[account, now, window, address, max_address, generation],
            )?,
        ];

        let results = self.batch(statements, "reserve password attempt").await?;
        let row = first_row::<AccountRow>(&results, 0, "read account")?;
        let account = current_account(row, attempt.token)?;
        let window_secs = config.failure_window_secs;
        let address = first_row::<Reservation>(&results, 1, "reserve password attempt")?
            .ok_or_else(|| ApiError::internal("reserve password attempt", "no address row"))?;
        address.check(config.address_max_failures, window_secs, attempt.now_ms)?;
        let reservation = first_row::<Reservation>(&results, 2, "reserve password attempt")?
            .ok_or_else(|| {
                ApiError::internal(
                    "reserve password attempt",
                    "no account row while the address was within its limit",
                )
            })?;
        reservation.check(config.max_failures, window_secs, attempt.now_ms)?;
        Ok(account)
    }

    /// After a correct password: clears the account's count, gives the address its attempt
    /// back, prunes expired address counters and replaces the stored hash when `rehash` holds a
    /// new one (and the old one it replaces), in one batch, which runs as a single transaction
    /// on the primary; and reads the page of history `page` asks for, with one row more than it
    /// holds to tell whether more follow.
    ///
    /// The read ends that batch, unless the database has read replication on: then it runs at
    /// the same time as the batch, on its own, so that a replica can serve it. The answer waits
    /// for the primary's writes either way, so a replica takes the read's work off the primary
    /// but saves little time, and the separate call costs a D1 round trip's overhead (README,
    /// "Reads near the client").
    pub async fn succeed_and_read_log(
        &self,
        attempt: &Attempt<'_>,
        config: &Config,
        rehash: Option<(&str, &str)>,
        page: &PageQuery,
    ) -> Result<Vec<LogRow>> {
        let account: JsValue = attempt.token.account.as_str().into();
        let expired_before = attempt.now_ms - i64::from(config.failure_window_secs) * 1_000;
        let mut statements = vec![
            self.statement(RESET_ACCOUNT_ATTEMPTS, std::slice::from_ref(&account))?,
            self.statement(REFUND_ADDRESS_ATTEMPT, &[attempt.address_hash.into()])?,
            self.statement(
                PRUNE_ADDRESS_ATTEMPTS,
                &[JsValue::from_f64(expired_before as f64)],
            )?,
        ];
        if let Some((new, old)) = rehash {
            let args = [account.clone(), new.into(), old.into()];
            statements.push(self.statement(REPLACE_HASH, &args)?);
        }
        let read = page_statement(self, account, page)?;

        let rows = if config.read_replication {
            let (written, rows) = futures_util::future::join(
                self.batch(statements, "clear password attempts"),
                read.all(),
            )
            .await;
            written?;
            rows.map_err(|e| ApiError::internal("read log", e))?
        } else {
            statements.push(read);
            let mut results = self.batch(statements, "clear password attempts").await?;
            results
                .pop()
                .ok_or_else(|| ApiError::internal("read log", "batch returned no results"))?
        };
        rows.results::<LogRow>()
            .map_err(|e| ApiError::internal("decode log rows", e))
    }

    /// Writes the retention policy, then deletes up to [`BATCH_ROWS`] rows at a time until none
    /// are left or [`MAX_BATCHES`] have run. Returns the rows deleted.
    pub async fn apply_retention(&self, keep_days: u32) -> Result<u64> {
        let days = JsValue::from_f64(f64::from(keep_days));
        self.statement(SET_POLICY, std::slice::from_ref(&days))?
            .run()
            .await
            .map_err(|e| ApiError::internal("retention policy", e))?;

        let mut deleted = 0;
        for _ in 0..MAX_BATCHES {
            let limit = JsValue::from_f64(f64::from(BATCH_ROWS));
            let result = self
                .statement(DELETE_EXPIRED, &[days.clone(), limit])?
                .run()
                .await
                .map_err(|e| ApiError::internal("retention delete", e))?;
            let changes = result
                .meta()
                .ok()
                .flatten()
                .and_then(|meta| meta.changes)
                .unwrap_or(0) as u64;
            deleted += changes;
            if changes < u64::from(BATCH_ROWS) {
                break;
            }
        }
        Ok(deleted)
    }

    fn statement(&self, sql: &str, args: &[JsValue]) -> Result<D1PreparedStatement> {
        self.db
            .prepare(sql)
            .bind(args)
            .map_err(|e| ApiError::internal("bind statement", e))
    }

    async fn batch(
        &self,
        statements: Vec<D1PreparedStatement>,
        context: &str,
    ) -> Result<Vec<D1Result>> {
        self.db
            .batch(statements)
            .await
            .map_err(|e| ApiError::internal(context, e))
    }
}

/// The list query for `page` of `account`'s history, reading one row more than the page holds.
fn page_statement(
    store: &Store,
    account: JsValue,
    page: &PageQuery,
) -> Result<D1PreparedStatement> {
    // Row ids and times stay below 2^53 (the schema's checks, migrations 0001 and 0007), so
    // JavaScript numbers carry them exactly; the largest id bound is cut to that, which still
    // lies above every row id.
    const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;
    let number = |value: i64| JsValue::from_f64(value.min(MAX_SAFE_INTEGER) as f64);

    let (since_ms, upper_ms, upper_id) = page.bounds();
    let mut args = vec![
        account,
        number(since_ms),
        number(upper_ms),
        number(upper_id),
        number(i64::from(page.page_size) + 1),
    ];
    match &page.data_type {
        Some(data_type) => {
            args.push(data_type.as_str().into());
            store.statement(LOG_PAGE_OF_TYPE_QUERY, &args)
        }
        None => store.statement(LOG_PAGE_QUERY, &args),
    }
}

/// The first row of the batch result at `index`, if any.
fn first_row<T: DeserializeOwned>(
    results: &[D1Result],
    index: usize,
    context: &str,
) -> Result<Option<T>> {
    let result = results
        .get(index)
        .ok_or_else(|| ApiError::internal(context, "batch returned too few results"))?;
    let rows = result
        .results::<T>()
        .map_err(|e| ApiError::internal(context, e))?;
    Ok(rows.into_iter().next())
}

/// A token naming no account is as invalid as a badly signed one, and so is one of an older
/// generation than the account's: raising the generation revokes every token issued before.
fn current_account(row: Option<AccountRow>, token: &VerifiedToken) -> Result<AccountRow> {
    let account = row.ok_or(ApiError::InvalidToken("token names no account"))?;
    if token.generation < account.token_generation {
        return Err(ApiError::InvalidToken("token revoked (older generation)"));
    }
    Ok(account)
}
