//! The Worker's HTTP side: routing, the endpoint's steps, the password check and the log line.
//!
//! Everything here needs the Workers runtime; the decisions it applies live in the pure modules
//! so they are tested natively, and the database work lives in `store`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures_util::StreamExt;
use wasm_bindgen::JsValue;
use worker::{console_error, console_log, console_warn, Env, Headers, Method};
use worker::{Date, Request, Response};

use crate::auth::kdf;
use crate::auth::password::{project_phc, Password, StoredHash, HASH_BYTES, SALT_BYTES};
use crate::auth::token::{BearerToken, TokenVerifier};
use crate::config::{Config, PAGE_ENABLED};
use crate::cors::{CorsPolicy, ALLOWED_HEADERS, CORS_ALLOWED_ORIGINS, PREFLIGHT_MAX_AGE_SECS};
use crate::error::{ApiError, Result};
use crate::modification_log::{trim_page, LogPage};
use crate::request::MAX_BODY_BYTES;
use crate::request::{check_content_type, check_declared_length, ray_id, LogRequest};
use crate::retention;
use crate::store::{Attempt, Store};

/// The one path this Worker serves.
pub const LOG_PATH: &str = "/user/info/get_user_info_modification_log";

/// Routes a request and turns every outcome into an enveloped response.
pub async fn handle(mut req: Request, env: Env) -> worker::Result<Response> {
    let ray = header(&req, "cf-ray");
    let request_id = request_id(ray.as_deref());
    let log = RequestLog {
        // The runtime's own text: `Request::method` turns a method it does not know into GET.
        method: req.inner().method(),
        path: req.path(),
        request_id: &request_id,
        started_ms: Date::now().as_millis(),
        kdf: Cell::new(None),
        bookmark: RefCell::new(None),
    };
    let cors = CorsPolicy::parse(&lookup(&env, CORS_ALLOWED_ORIGINS).unwrap_or_default());
    let origin = cors
        .allowed(header(&req, "Origin").as_deref())
        .map(str::to_owned);

    let method = req.method();
    if log.path == LOG_PATH && method == Method::Options {
        if let Some(origin) = &origin {
            log.write(204, None, None);
            return preflight(origin, &request_id);
        }
    }

    // The runtime's own method text: `Request::method` reads a method it does not know as GET.
    let wants_page = matches!(log.method.as_str(), "GET" | "HEAD") && log.path != LOG_PATH;
    if wants_page && lookup(&env, PAGE_ENABLED).as_deref() == Some("true") {
        if let Some(page) = page_asset(&req, &env, &request_id).await {
            log.write(page.status_code(), None, None);
            return Ok(page);
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
    respond(outcome, origin.as_deref(), &request_id)
}

/// A successful answer: the envelope, and the UTC offset its times are shown at, which only a
/// header can tell since the times carry none.
struct Success {
    body: String,
    display_offset: chrono::FixedOffset,
}

/// Headers every file of the history page gets on top of the assets service's own. The policy
/// repeats the page's `<meta>` one and adds what a `<meta>` cannot say: no other site may frame
/// the page (and overlay it to collect a password).
const PAGE_HEADERS: [(&str, &str); 4] = [
    (
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
         img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
];

/// The history page's file for this request (`public/`, the `ASSETS` binding), with
/// [`PAGE_HEADERS`] and the request id, or `None` when there is no such file, so that the path
/// gets the API's `10007` like any other.
async fn page_asset(req: &Request, env: &Env, request_id: &str) -> Option<Response> {
    let assets = env.assets("ASSETS").ok()?;
    let response = assets.fetch_request(bodiless_copy(req)?).await.ok()?;
    if response.status_code() == 404 {
        return None;
    }

    // The service's headers are immutable; the answer gets a copy with ours added.
    let headers = Headers::new();
    for (name, value) in response.headers().entries() {
        headers.append(&name, &value).ok()?;
    }
    for (name, value) in PAGE_HEADERS {
        headers.set(name, value).ok()?;
    }
    headers.set(REQUEST_ID_HEADER, request_id).ok()?;
    Some(response.with_headers(headers))
}

/// `req` as the assets service is asked for a file: same method, address and headers, but no
/// body, which a GET or HEAD cannot use. Handing on a clone with its body left the body
/// half-read, and the local runtime then never sent the answer.
fn bodiless_copy(req: &Request) -> Option<Request> {
    // Through web-sys: the worker crate's RequestInit, with its `cf` options, measured 87 KiB
    // more bundle (gzip).
    let original = req.inner();
    let headers = web_sys::Headers::new_with_headers(&original.headers()).ok()?;
    for name in ["content-length", "transfer-encoding"] {
        headers.delete(name).ok()?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(&original.method());
    init.set_headers(&headers);
    web_sys::Request::new_with_str_and_init(&original.url(), &init)
        .ok()
        .map(Request::from)
}

/// Answers a CORS preflight from an allowed origin: `204`, no body, and the methods and headers
/// the real request may use.
fn preflight(origin: &str, request_id: &str) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set(REQUEST_ID_HEADER, request_id)?;
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
/// The steps answer in the documented order: switch, token (and its account), body, attempt
/// limit, password, read. The body is read and checked before the account is, but its verdict
/// waits until the account has been found: that way the account read and the attempt
/// reservations share one database round trip, and a token that names no account still learns
/// nothing about the body rules.
async fn get_modification_log(
    req: &mut Request,
    env: &Env,
    log: &RequestLog<'_>,
) -> Result<Success> {
    let config = config(env)?;
    let now_ms = Date::now().as_millis() as i64;

    let bearer = BearerToken::from_header(header(req, "Authorization").as_deref())?;
    let now = chrono::DateTime::from_timestamp_millis(now_ms)
        .ok_or_else(|| ApiError::internal("clock", "runtime time out of range"))?;
    let token = TokenVerifier::new(&config.keys, &config.token_policy).verify(&bearer, now)?;

    let body = read_request(req).await.and_then(|request| {
        let page = request.page.check(
            token.account.as_str(),
            &config.cursor_key,
            config.display_offset,
        )?;
        Ok((request, page))
    });
    let store = Store::open(env)?;
    let (request, page) = match body {
        Ok(parsed) => parsed,
        Err(error) => {
            store.account(&token).await?;
            return Err(error);
        }
    };

    let address_hash = config
        .address_key
        .hash(header(req, "CF-Connecting-IP").as_deref());
    let attempt = Attempt {
        token: &token,
        address_hash: &address_hash,
        now_ms,
    };
    let account = store.account_and_reserve(&attempt, &config).await?;

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

    let replacement = if config.rehash && stored.needs_rehash(config.hash_iterations) {
        rehash(&request.password, &config).await
    } else {
        None
    };
    let rehash = replacement
        .as_deref()
        .map(|phc| (phc, account.password_hash.as_str()));
    let mut rows = store
        .succeed_and_read_log(&attempt, &config, rehash, &page)
        .await?;
    log.bookmark.replace(store.bookmark());
    let next_cursor = trim_page(&mut rows, page.page_size)
        .map(|last| config.cursor_key.seal(token.account.as_str(), &page, last));
    let page = LogPage::from_rows(&account.id_number, rows, config.display_offset, next_cursor)?;
    Ok(Success {
        body: page.envelope(),
        display_offset: config.display_offset,
    })
}

/// The configuration, read once per isolate: variables and secrets cannot change while an
/// isolate lives (a new deployment, or `wrangler dev` reloading, starts new ones), and parsing
/// the key set again for every request would be wasted work. A faulty configuration is not
/// kept, so its error is reported, and logged, on every request.
fn config(env: &Env) -> Result<Rc<Config>> {
    thread_local! {
        static CONFIG: RefCell<Option<Rc<Config>>> = const { RefCell::new(None) };
    }

    if let Some(config) = CONFIG.with(|cached| cached.borrow().clone()) {
        return Ok(config);
    }
    let config = Rc::new(Config::load(|name| lookup(env, name))?);
    CONFIG.with(|cached| *cached.borrow_mut() = Some(Rc::clone(&config)));
    Ok(config)
}

/// The body's verdict: content type, declared length, then the body itself, read and parsed.
async fn read_request(req: &mut Request) -> Result<LogRequest> {
    check_content_type(header(req, "Content-Type").as_deref())?;
    check_declared_length(header(req, "Content-Length").as_deref())?;

    let body = read_body(req).await?;
    LogRequest::parse(&body)
}

/// Checks the password against the stored hash (see [`derive`] for which PBKDF2 runs), and
/// notes in `log` which one decided.
async fn check_password(
    stored: &StoredHash,
    password: &Password,
    config: &Config,
    log: &RequestLog<'_>,
) -> bool {
    let Some(bytes) = password.derivable() else {
        return false;
    };

    let mut derived = vec![0u8; stored.key_len()];
    let kdf = derive(
        bytes,
        stored.salt(),
        stored.iterations(),
        &mut derived,
        config,
    )
    .await;
    log.kdf.set(Some(kdf));
    stored.matches(&derived)
}

/// Fills `out` with PBKDF2-HMAC-SHA256 of `password`: through WebCrypto when `iterations` is
/// within `WEBCRYPTO_MAX_ITERATIONS` (native code, several times faster than PBKDF2 compiled
/// to wasm), with this crate's own core otherwise or when WebCrypto fails. Returns which ran:
/// `webcrypto` or `wasm`.
async fn derive(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out: &mut [u8],
    config: &Config,
) -> &'static str {
    if iterations <= config.webcrypto_max_iterations {
        match webcrypto_pbkdf2(password, salt, iterations, out.len() * 8).await {
            Ok(key) if key.len() == out.len() => {
                out.copy_from_slice(&key);
                return "webcrypto";
            }
            _ => console_warn!(
                "{}",
                serde_json::json!({"detail": "WebCrypto PBKDF2 failed; using the wasm core"})
            ),
        }
    }
    kdf::pbkdf2_hmac_sha256(password, salt, iterations, out);
    "wasm"
}

/// A fresh hash of the password, just found correct, in the project's form at the configured
/// count, to replace a foreign or weaker one. `None` (the old hash stays, and the next sign-in
/// tries again) when the runtime gives no random salt.
async fn rehash(password: &Password, config: &Config) -> Option<String> {
    let bytes = password.derivable()?;
    let mut salt = [0u8; SALT_BYTES];
    runtime_crypto()?
        .get_random_values_with_u8_array(&mut salt)
        .ok()?;

    let mut derived = [0u8; HASH_BYTES];
    derive(bytes, &salt, config.hash_iterations, &mut derived, config).await;
    Some(project_phc(config.hash_iterations, &salt, &derived))
}

/// The runtime's `crypto` object, where WebCrypto, random values and UUIDs come from.
fn runtime_crypto() -> Option<web_sys::Crypto> {
    use wasm_bindgen::JsCast;

    let scope: web_sys::WorkerGlobalScope = worker::js_sys::global().unchecked_into();
    scope.crypto().ok()
}

/// PBKDF2-HMAC-SHA256 with an output of `bits`, through the runtime's `crypto.subtle`.
async fn webcrypto_pbkdf2(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    bits: usize,
) -> std::result::Result<Vec<u8>, JsValue> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use worker::js_sys::{Array, Uint8Array};

    let subtle = runtime_crypto()
        .ok_or_else(|| JsValue::from_str("no crypto"))?
        .subtle();
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
    let bits = u32::try_from(bits).map_err(|_| JsValue::from_str("output too long"))?;
    let derived = JsFuture::from(subtle.derive_bits_with_object(&params, &key, bits)?).await?;
    Ok(Uint8Array::new(&derived).to_vec())
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

/// The response header that carries the request's id, the one its log line holds.
const REQUEST_ID_HEADER: &str = "X-Request-Id";

/// Response header of a success: the UTC offset its `modification_time` values are shown at
/// (`DISPLAY_UTC_OFFSET`), `+HH:MM` or `-HH:MM`, since the times themselves carry none.
const DISPLAY_OFFSET_HEADER: &str = "X-Display-UTC-Offset";

/// The request's id: the `cf-ray` Cloudflare gave it when well-formed (so the log line, the
/// response and Cloudflare's own records agree), else a random UUID.
fn request_id(ray: Option<&str>) -> String {
    if let Some(ray) = ray_id(ray) {
        return ray.to_owned();
    }
    runtime_crypto()
        .map(|crypto| crypto.random_uuid())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A request header's value; a header the runtime cannot read counts as absent.
fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
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

/// Builds the response: the envelope body, the HTTP status equal to `status`, the headers
/// every answer carries, and the one header some outcomes add (a success's display offset, a
/// lockout's wait, a wrong method's `Allow`). Personal data must never be cached by a browser or
/// a proxy. An allowed `origin` gets the CORS headers that let a browser page read the answer.
fn respond(
    outcome: Result<Success>,
    origin: Option<&str>,
    request_id: &str,
) -> worker::Result<Response> {
    let (status, body, extra) = match outcome {
        Ok(success) => (
            200,
            success.body,
            Some((DISPLAY_OFFSET_HEADER, success.display_offset.to_string())),
        ),
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
    headers.set(REQUEST_ID_HEADER, request_id)?;
    if let Some((name, value)) = extra {
        headers.set(name, &value)?;
    }
    if let Some(origin) = origin {
        headers.set("Access-Control-Allow-Origin", origin)?;
        headers.set(
            "Access-Control-Expose-Headers",
            &format!("Retry-After, {REQUEST_ID_HEADER}, {DISPLAY_OFFSET_HEADER}"),
        )?;
    }

    Ok(Response::from_bytes(body.into_bytes())?
        .with_status(status)
        .with_headers(headers))
}

/// Deletes log rows older than `LOG_RETENTION_DAYS`, in batches, and logs one JSON line saying
/// what it did. Nothing is deleted when the variable is unset.
pub async fn apply_retention(env: Env) {
    let deleted = async {
        let Some(keep_days) = retention::keep_days(|name| lookup(&env, name))? else {
            return Ok(None);
        };
        let deleted = Store::open(&env)?.apply_retention(keep_days).await?;
        Ok::<_, ApiError>(Some((keep_days, deleted)))
    };
    let line = match deleted.await {
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

/// What the log line says about a request besides its outcome.
struct RequestLog<'a> {
    method: String,
    path: String,
    /// See [`request_id`]; also sent back as `X-Request-Id`.
    request_id: &'a str,
    /// When the request arrived. Inside workerd the clock only moves across I/O, so the logged
    /// duration covers the database round trips, not the CPU spent hashing.
    started_ms: u64,
    /// Which PBKDF2 checked the password, once one has: `webcrypto` or `wasm`.
    kdf: Cell<Option<&'static str>>,
    /// The D1 session's bookmark once the history has been read: the database state the
    /// answer reflects.
    bookmark: RefCell<Option<String>>,
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
            "request_id": self.request_id,
            "kdf": self.kdf.get(),
            "d1_bookmark": self.bookmark.borrow().as_deref(),
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
