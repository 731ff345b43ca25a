//! The Worker's HTTP side: routing, the endpoint's steps, D1 access and the log line.
//!
//! Everything here needs the Workers runtime; the decisions it applies live in the pure modules
//! so they are tested natively.

use std::cell::Cell;

use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use worker::{console_error, console_log, console_warn, D1Database, Env, Headers, Method};
use worker::{Date, Request, Response};

use crate::auth::attempts::RESET_ACCOUNT_ATTEMPTS;
use crate::auth::attempts::{Reservation, PRUNE_ADDRESS_ATTEMPTS, REFUND_ADDRESS_ATTEMPT};
use crate::auth::attempts::{RESERVE_ACCOUNT_ATTEMPT, RESERVE_ADDRESS_ATTEMPT};
use crate::auth::password::{Password, StoredHash};
use crate::auth::token::{AccountId, BearerToken, TokenVerifier};
use crate::config::Config;
use crate::cors::{CorsPolicy, ALLOWED_HEADERS, CORS_ALLOWED_ORIGINS, PREFLIGHT_MAX_AGE_SECS};
use crate::error::{ApiError, Result};
use crate::modification_log::{AccountRow, LogPage, LogRow, ACCOUNT_QUERY, LOG_QUERY};
use crate::request::MAX_BODY_BYTES;
use crate::request::{check_content_type, check_declared_length, ray_id, LogRequest};
use crate::retention::{self, BATCH_ROWS, DELETE_EXPIRED, MAX_BATCHES, SET_POLICY};

/// The one path this Worker serves.
pub const LOG_PATH: &str = "/user/info/get_user_info_modification_log";

/// Name of the D1 binding in `wrangler.toml`.
const DATABASE: &str = "DB";

/// Routes a request and turns every outcome into an enveloped response.
pub async fn handle(mut req: Request, env: Env) -> worker::Result<Response> {
    let ray = header(&req, "cf-ray");
    let log = RequestLog {
        // The runtime's own text: `Request::method` turns a method it does not know into GET.
        method: req.inner().method(),
        path: req.path(),
        request_id: ray_id(ray.as_deref()),
        started_ms: Date::now().as_millis(),
        kdf: Cell::new(None),
    };
    let cors = CorsPolicy::parse(&lookup(&env, CORS_ALLOWED_ORIGINS).unwrap_or_default());
    let origin = cors
        .allowed(header(&req, "Origin").as_deref())
        .map(str::to_owned);

    let method = req.method();
    if log.path == LOG_PATH && method == Method::Options {
        if let Some(origin) = &origin {
            log.write(204, None, None);
            return preflight(origin);
        }
    }

    let outcome = if log.path != LOG_PATH {
        Err(ApiError::NotFound)
    } else if method != Method::Post {
        Err(ApiError::MethodNotAllowed)
    } else {
        get_modification_log(&mut req, &env, &log).await
    };

    match &outcome {
        Ok(_) => log.write(200, Some("10000"), None),
        Err(error) => log.write(error.status(), Some(error.code()), Some(error)),
    }
    respond(outcome, origin.as_deref())
}

/// Answers a CORS preflight from an allowed origin: `204`, no body, and the methods and headers
/// the real request may use.
fn preflight(origin: &str) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("Access-Control-Allow-Origin", origin)?;
    headers.set("Access-Control-Allow-Methods", "POST")?;
    headers.set("Access-Control-Allow-Headers", ALLOWED_HEADERS)?;
    headers.set(
        "Access-Control-Max-Age",
        &PREFLIGHT_MAX_AGE_SECS.to_string(),
    )?;
    headers.set("Vary", "Origin")?;
    headers.set("Cache-Control", "no-store")?;

    Ok(Response::empty()?.with_status(204).with_headers(headers))
}

/// `POST /user/info/get_user_info_modification_log`: see "The endpoint" in `docs/API.md`.
///
/// The steps run in the documented order, each able to end the request: switch, token, body,
/// attempt limit, password, read.
async fn get_modification_log(
    req: &mut Request,
    env: &Env,
    log: &RequestLog<'_>,
) -> Result<String> {
    let config = Config::load(|name| lookup(env, name))?;
    let now_ms = Date::now().as_millis() as i64;

    let token = BearerToken::from_header(header(req, "Authorization").as_deref())?;
    let now = chrono::DateTime::from_timestamp_millis(now_ms)
        .ok_or_else(|| ApiError::internal("clock", "runtime time out of range"))?;
    let verifier = TokenVerifier::new(&config.keys, &config.token_policy);
    let verified = verifier.verify(&token, now)?;
    let account_id = verified.account;
    let db = env
        .d1(DATABASE)
        .map_err(|e| ApiError::internal("d1 binding", e))?;
    let account = read_account(&db, &account_id).await?;
    if verified.generation < account.token_generation {
        return Err(ApiError::InvalidToken("token revoked (older generation)"));
    }

    check_content_type(header(req, "Content-Type").as_deref())?;
    check_declared_length(header(req, "Content-Length").as_deref())?;
    let body = read_body(req).await?;
    let request = LogRequest::parse(&body)?;

    let address_hash = config
        .address_key
        .hash(header(req, "CF-Connecting-IP").as_deref());
    let attempt = Attempt {
        account: &account_id,
        address_hash: &address_hash,
        now_ms,
    };
    attempt.reserve(&db, &config).await?;

    let stored = StoredHash::parse(&account.password_hash)
        .map_err(|e| ApiError::internal("stored password hash", e))?;
    if !config.iterations.contains(&stored.iterations()) {
        return Err(ApiError::internal(
            "stored password hash",
            format_args!(
                "{} iterations is outside the configured range",
                stored.iterations()
            ),
        ));
    }
    if !check_password(&stored, &request.password, &config, log).await {
        return Err(ApiError::WrongPassword);
    }

    let rows = attempt.succeed_and_read_log(&db, &config).await?;
    Ok(LogPage::from_rows(&account.id_number, rows)?.envelope())
}

/// Checks the password, through WebCrypto when the hash's iteration count allows it (native code,
/// several times faster than PBKDF2 compiled to wasm) and with this crate's own PBKDF2 core
/// otherwise, or when WebCrypto fails. Notes in `log` which one decided.
async fn check_password(
    stored: &StoredHash,
    password: &Password,
    config: &Config,
    log: &RequestLog<'_>,
) -> bool {
    let Some(bytes) = password.derivable() else {
        return false;
    };

    if stored.iterations() <= config.webcrypto_max_iterations {
        match webcrypto_pbkdf2(bytes, stored.salt(), stored.iterations()).await {
            Ok(derived) => {
                log.kdf.set(Some("webcrypto"));
                return stored.matches(&derived);
            }
            Err(_) => console_warn!(
                "{}",
                serde_json::json!({"detail": "WebCrypto PBKDF2 failed; using the wasm core"})
            ),
        }
    }
    log.kdf.set(Some("wasm"));
    stored.verify(password)
}

/// PBKDF2-HMAC-SHA256 with a 32-byte output, through the runtime's `crypto.subtle`.
async fn webcrypto_pbkdf2(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
) -> std::result::Result<Vec<u8>, JsValue> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use worker::js_sys::{Array, Uint8Array};

    let scope: web_sys::WorkerGlobalScope = worker::js_sys::global().unchecked_into();
    let subtle = scope.crypto()?.subtle();
    let usages = Array::of1(&JsValue::from_str("deriveBits"));
    let import =
        subtle.import_key_with_str("raw", &Uint8Array::from(password), "PBKDF2", false, &usages)?;
    let key: web_sys::CryptoKey = JsFuture::from(import).await?.unchecked_into();

    let params = web_sys::Pbkdf2Params::new(
        "PBKDF2",
        &JsValue::from_str("SHA-256"),
        iterations,
        &Uint8Array::from(salt),
    );
    let bits = JsFuture::from(subtle.derive_bits_with_object(&params, &key, 256)?).await?;
    Ok(Uint8Array::new(&bits).to_vec())
}

/// Reads the body chunk by chunk and keeps no more than [`MAX_BODY_BYTES`], so a client that
/// sends more than it declared (or declares nothing, with a chunked body) cannot make the Worker
/// buffer it all.
///
/// Note: the rest of an over-long body is still read and dropped. Answering with part of the
/// request unread left the local runtime's connection unusable: the next request on it failed
/// with "Your worker restarted mid-request".
async fn read_body(req: &mut Request) -> Result<Vec<u8>> {
    // `stream` fails only when the request has no body, which parses as an empty one.
    let Ok(mut stream) = req.stream() else {
        return Ok(Vec::new());
    };

    let mut body = Vec::new();
    let mut too_long = false;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::InvalidRequest("unreadable body"))?;
        too_long = too_long || body.len() + chunk.len() > MAX_BODY_BYTES;
        if !too_long {
            body.extend_from_slice(&chunk);
        }
    }

    if too_long {
        return Err(ApiError::InvalidRequest("body over the size limit"));
    }
    Ok(body)
}

/// The token's account; a token naming no account is as invalid as a badly signed one.
async fn read_account(db: &D1Database, account: &AccountId) -> Result<AccountRow> {
    let args = [account.as_str().into()];

    first::<AccountRow>(db, ACCOUNT_QUERY, &args, "read account")
        .await?
        .ok_or(ApiError::InvalidToken("token names no account"))
}

/// A request header's value; a header the runtime cannot read counts as absent.
fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// One password attempt: whose it is, where it comes from, and when.
struct Attempt<'a> {
    account: &'a AccountId,
    /// The keyed hash of the client address, never the address.
    address_hash: &'a str,
    now_ms: i64,
}

impl Attempt<'_> {
    /// Counts the attempt against the address's limit and then the account's, in one batch, and
    /// refuses it when either is over. The refusal is the same either way, so it tells nothing
    /// about the password or which limit was met.
    async fn reserve(&self, db: &D1Database, config: &Config) -> Result<()> {
        let now = JsValue::from_f64(self.now_ms as f64);
        let window = JsValue::from_f64(f64::from(config.failure_window_secs) * 1_000.0);
        let address: JsValue = self.address_hash.into();
        let statements = vec![
            bind(
                db,
                RESERVE_ADDRESS_ATTEMPT,
                &[address.clone(), now.clone(), window.clone()],
            )?,
            bind(
                db,
                RESERVE_ACCOUNT_ATTEMPT,
                &[
                    self.account.as_str().into(),
                    now,
                    window,
                    address,
                    JsValue::from_f64(f64::from(config.address_max_failures)),
                ],
            )?,
        ];

        let results = db
            .batch(statements)
            .await
            .map_err(|e| ApiError::internal("reserve password attempt", e))?;
        let reservation = |index: usize| -> Result<Option<Reservation>> {
            let Some(result) = results.get(index) else {
                return Err(ApiError::internal(
                    "reserve password attempt",
                    "missing result",
                ));
            };
            let rows = result
                .results::<Reservation>()
                .map_err(|e| ApiError::internal("decode attempt count", e))?;
            Ok(rows.into_iter().next())
        };

        let address = reservation(0)?.ok_or_else(|| {
            ApiError::internal("reserve password attempt", "address upsert returned no row")
        })?;
        let window_secs = config.failure_window_secs;
        address.check(config.address_max_failures, window_secs, self.now_ms)?;
        match reservation(1)? {
            Some(account) => account.check(config.max_failures, window_secs, self.now_ms),
            None => Err(ApiError::internal(
                "reserve password attempt",
                "account upsert returned no row while the address was within its limit",
            )),
        }
    }

    /// After a correct password: clears the account's count, gives the address its attempt
    /// back, prunes expired address counters and reads the history, all in one D1 batch, which
    /// runs as a single transaction.
    async fn succeed_and_read_log(&self, db: &D1Database, config: &Config) -> Result<Vec<LogRow>> {
        let account: JsValue = self.account.as_str().into();
        let expired_before = self.now_ms - i64::from(config.failure_window_secs) * 1_000;
        let statements = vec![
            bind(db, RESET_ACCOUNT_ATTEMPTS, std::slice::from_ref(&account))?,
            bind(db, REFUND_ADDRESS_ATTEMPT, &[self.address_hash.into()])?,
            bind(
                db,
                PRUNE_ADDRESS_ATTEMPTS,
                &[JsValue::from_f64(expired_before as f64)],
            )?,
            bind(db, LOG_QUERY, &[account])?,
        ];

        let results = db
            .batch(statements)
            .await
            .map_err(|e| ApiError::internal("read log", e))?;
        let log = results
            .last()
            .ok_or_else(|| ApiError::internal("read log", "batch returned no result"))?;
        log.results::<LogRow>()
            .map_err(|e| ApiError::internal("decode log rows", e))
    }
}

fn bind(db: &D1Database, sql: &str, args: &[JsValue]) -> Result<worker::D1PreparedStatement> {
    db.prepare(sql)
        .bind(args)
        .map_err(|e| ApiError::internal("bind statement", e))
}

async fn first<T: DeserializeOwned>(
    db: &D1Database,
    sql: &str,
    args: &[JsValue],
    context: &str,
) -> Result<Option<T>> {
    bind(db, sql, args)?
        .first::<T>(None)
        .await
        .map_err(|e| ApiError::internal(context, e))
}

/// A variable or secret as text; `None` when unset. A TOML boolean or number in `[vars]` reads
/// as its text, so `ENDPOINT_ENABLED = true` without quotes opens the endpoint as expected.
fn lookup(env: &Env, name: &str) -> Option<String> {
    let value = worker::js_sys::Reflect::get(env, &JsValue::from_str(name)).ok()?;

    value
        .as_string()
        .or_else(|| value.as_bool().map(|flag| flag.to_string()))
        .or_else(|| value.as_f64().map(|number| number.to_string()))
}

/// Builds the response: the envelope body, the HTTP status equal to `status`, and the headers
/// every answer carries. Personal data must never be cached by a browser or a proxy. An allowed
/// `origin` gets the CORS headers that let a browser page read the answer.
fn respond(outcome: Result<String>, origin: Option<&str>) -> worker::Result<Response> {
    let (status, body, extra) = match outcome {
        Ok(body) => (200, body, None),
        Err(error) => {
            let extra = match &error {
                ApiError::MethodNotAllowed => Some(("Allow", "POST".to_owned())),
                ApiError::TooManyAttempts { retry_after_secs } => {
                    Some(("Retry-After", retry_after_secs.to_string()))
                }
                _ => None,
            };
            (error.status(), error.envelope(), extra)
        }
    };

    let headers = Headers::new();
    headers.set("Content-Type", "application/json; charset=utf-8")?;
    headers.set("Cache-Control", "no-store")?;
    headers.set("Vary", "Origin")?;
    if let Some((name, value)) = extra {
        headers.set(name, &value)?;
    }
    if let Some(origin) = origin {
        headers.set("Access-Control-Allow-Origin", origin)?;
        headers.set("Access-Control-Expose-Headers", "Retry-After")?;
    }

    Ok(Response::from_bytes(body.into_bytes())?
        .with_status(status)
        .with_headers(headers))
}

/// Deletes log rows older than `LOG_RETENTION_DAYS`, in batches, and logs one JSON line saying
/// what it did. Nothing is deleted when the variable is unset.
pub async fn apply_retention(env: Env) {
    let line = match delete_expired(&env).await {
        Ok(None) => serde_json::json!({"job": "retention", "keep_days": null, "deleted": 0}),
        Ok(Some((keep_days, deleted))) => {
            serde_json::json!({"job": "retention", "keep_days": keep_days, "deleted": deleted})
        }
        Err(error) => {
            let detail = error.log_detail();
            console_error!(
                "{}",
                serde_json::json!({"job": "retention", "detail": detail})
            );
            return;
        }
    };
    console_log!("{line}");
}

/// Writes the policy, then deletes up to [`BATCH_ROWS`] rows at a time until none are left or
/// [`MAX_BATCHES`] have run. Returns the policy and the rows deleted.
async fn delete_expired(env: &Env) -> Result<Option<(u32, u64)>> {
    let Some(keep_days) = retention::keep_days(|name| lookup(env, name))? else {
        return Ok(None);
    };
    let db = env
        .d1(DATABASE)
        .map_err(|e| ApiError::internal("d1 binding", e))?;
    let days = JsValue::from_f64(f64::from(keep_days));
    bind(&db, SET_POLICY, std::slice::from_ref(&days))?
        .run()
        .await
        .map_err(|e| ApiError::internal("retention policy", e))?;

    let mut deleted = 0;
    for _ in 0..MAX_BATCHES {
        let result = bind(
            &db,
            DELETE_EXPIRED,
            &[days.clone(), JsValue::from_f64(f64::from(BATCH_ROWS))],
        )?
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
    Ok(Some((keep_days, deleted)))
}

/// What the log line says about a request besides its outcome.
struct RequestLog<'a> {
    method: String,
    path: String,
    /// The `cf-ray` header, which Cloudflare sets on every request it forwards, when well-formed.
    request_id: Option<&'a str>,
    /// When the request arrived. Inside workerd the clock only moves across I/O, so the logged
    /// duration covers the database round trips, not the CPU spent hashing.
    started_ms: u64,
    /// Which PBKDF2 checked the password, once one has: `webcrypto` or `wasm`.
    kdf: Cell<Option<&'static str>>,
}

impl RequestLog<'_> {
    /// Writes one JSON line for the request. It names the route and the outcome, never a token,
    /// header value, password or hash: no error variant is built from one.
    fn write(&self, status: u16, code: Option<&str>, error: Option<&ApiError>) {
        // Unknown paths and ids are whatever the client sent; cap them so a line stays small.
        let capped = |text: &str| text.chars().take(200).collect::<String>();
        let line = serde_json::json!({
            "method": capped(&self.method),
            "path": capped(&self.path),
            "status": status,
            "code": code,
            "duration_ms": Date::now().as_millis().saturating_sub(self.started_ms),
            "request_id": self.request_id.map(capped),
            "kdf": self.kdf.get(),
            "detail": error.and_then(ApiError::log_detail),
        })
        .to_string();

        match error {
            Some(error) if error.is_internal() => console_error!("{line}"),
            Some(_) => console_warn!("{line}"),
            None => console_log!("{line}"),
        }
    }
}
