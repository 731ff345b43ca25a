//! The shared test Worker: built once, started once per configuration in workerd through
//! `wrangler dev`, against a throwaway local D1 database; plus a raw HTTP client and fixtures.
//!
//! Every test seeds its own account, so tests stay independent while they share the Worker. SQL
//! for seeding goes through `tests/support/d1-shell.mjs`, a second process on the same SQLite
//! file. SQLite lets only one process write at a time and the local D1 gives up at once on a
//! lock, so statements and requests never overlap: each request holds the read side of a lock,
//! each statement the write side. A test that must change the schema around its requests holds
//! [`TestApp::exclusive`] for all of them.

use std::cell::Cell;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock, RwLock, RwLockWriteGuard};
use std::time::{Duration, Instant};

use jwt_compact::alg::SecretBytes;
use jwt_compact::jwk::JsonWebKey;
use serde_json::Value;
use user_info_log::auth::password::{hash_password, Password};
use user_info_log::auth::token::{mint, subject, SigningSecret};

/// The signing secret every test Worker is started with; it verifies tokens without a `kid`.
pub const SECRET: &str = "integration-test-secret-of-at-least-32-bytes";

/// A second HS256 key, in the Worker's JWK set under the `kid` [`NEXT_SECRET_KID`], as during a
/// key rotation.
pub const NEXT_SECRET: &str = "integration-next-secret-of-at-least-32-bytes";
/// The `kid` of [`NEXT_SECRET`].
pub const NEXT_SECRET_KID: &str = "hs-next";
/// The `kid` of [`ed25519_key`]'s public key in the Worker's JWK set.
pub const ED25519_KID: &str = "ed-test";
/// The `kid` of [`p256_key`]'s public key in the Worker's JWK set.
pub const P256_KID: &str = "ec-test";

/// The key that hashes client addresses in every test Worker.
pub const ADDRESS_KEY: &str = "integration-address-key-of-at-least-32-bytes";

/// Failed attempts one client address may make in a window, in the normal test Worker: low, so
/// the limit is quick to reach. Every request comes from an address of its own unless a test
/// sets one ([`Req::client_address`]), so tests do not share a count.
pub const ADDRESS_MAX_FAILURES: u32 = 8;

/// The retention of the test Workers. Only [`Variant::Retention`] is ever asked to apply it.
pub const RETENTION_DAYS: u32 = 30;

/// The one browser origin the test Workers allow; the list also holds a `*`, which must be
/// ignored.
pub const ALLOWED_ORIGIN: &str = "https://app.example.test";

/// The endpoint under test.
pub const PATH: &str = "/user/info/get_user_info_modification_log";

/// Iterations for test accounts: low, so that tests which try many passwords stay fast. One
/// cross-check uses the production count.
pub const TEST_ITERATIONS: u32 = 1_000;

/// A configuration of the Worker, each started as its own `wrangler dev` instance.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Variant {
    /// The configuration of `wrangler.toml` with the test secret.
    Normal,
    /// The operator switch off.
    Closed,
    /// No key at all: no signing secret and an empty JWK set.
    NoKeys,
    /// A 30-day retention policy, with its scheduled job callable at `/__scheduled`, times
    /// shown at +08:00 and the history read apart from the writes (`D1_READ_REPLICATION`), over
    /// a database of its own ([`TestApp::retention_sql`]): the job deletes old rows, and other
    /// tests' rows must not be among them.
    Retention,
}

impl Variant {
    fn vars(self) -> Vec<String> {
        let enabled = if self == Variant::Closed {
            "false"
        } else {
            "true"
        };
        let (secret, jwks) = if self == Variant::NoKeys {
            (String::new(), r#"{"keys":[]}"#.to_owned())
        } else {
            (SECRET.to_owned(), test_jwks())
        };
        vec![
            format!("ENDPOINT_ENABLED:{enabled}"),
            format!("JWT_SECRET:{secret}"),
            format!("JWT_JWKS:{jwks}"),
            "JWT_ALGORITHMS:HS256,EdDSA,ES256".into(),
            "JWT_LEEWAY_SECONDS:60".into(),
            format!("ADDRESS_HASH_KEY:{ADDRESS_KEY}"),
            format!("ADDRESS_MAX_FAILURES:{ADDRESS_MAX_FAILURES}"),
            "PASSWORD_MAX_FAILURES:5".into(),
            // Test hashes use 1,000 iterations; only foreign ones get rewritten.
            format!("PASSWORD_HASH_ITERATIONS:{TEST_ITERATIONS}"),
            "PASSWORD_FAILURE_WINDOW_SECONDS:900".into(),
            format!("CORS_ALLOWED_ORIGINS:{ALLOWED_ORIGIN}, *"),
            format!("LOG_RETENTION_DAYS:{RETENTION_DAYS}"),
            // Only the Retention Worker, with a database of its own, shows another zone.
            format!(
                "DISPLAY_UTC_OFFSET:{}",
                if self == Variant::Retention {
                    "+08:00"
                } else {
                    ""
                }
            ),
            // Only the Retention Worker reads the history apart from the writes: its tests read
            // through that path, every other test through the single batch.
            format!("D1_READ_REPLICATION:{}", self == Variant::Retention),
            // The closed Worker also leaves the history page out.
            format!("PAGE_ENABLED:{enabled}"),
        ]
    }
}

/// The fixed Ed25519 key pair whose public half the test Workers hold as [`ED25519_KID`].
pub fn ed25519_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[21; 32])
}

/// The fixed P-256 key pair whose public half the test Workers hold as [`P256_KID`].
pub fn p256_key() -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::from_slice(&[22; 32]).unwrap()
}

/// `jwk` as JSON with a `kid` added.
fn jwk_with_kid(jwk: JsonWebKey<'_>, kid: &str) -> Value {
    let mut value = serde_json::to_value(jwk).unwrap();
    value["kid"] = kid.into();
    value
}

/// The JWK set of the test Workers: the next HS256 key and the two public keys.
fn test_jwks() -> String {
    let next = JsonWebKey::Symmetric {
        secret: SecretBytes::borrowed(NEXT_SECRET.as_bytes()),
    };
    let keys = [
        jwk_with_kid(next, NEXT_SECRET_KID),
        jwk_with_kid(
            JsonWebKey::from(&ed25519_key().verifying_key()),
            ED25519_KID,
        ),
        jwk_with_kid(JsonWebKey::from(p256_key().verifying_key()), P256_KID),
    ];
    serde_json::json!({ "keys": keys }).to_string()
}

/// The private JWK of [`ed25519_key`] or [`p256_key`], for signers outside this crate.
pub fn private_jwk(kid: &str) -> Value {
    if kid == ED25519_KID {
        jwk_with_kid(JsonWebKey::from(&ed25519_key()), kid)
    } else {
        jwk_with_kid(JsonWebKey::from(&p256_key()), kid)
    }
}

/// One running Worker.
pub struct Instance {
    port: u16,
    _keeper: Child,
}

/// The state shared by all tests of this binary.
pub struct TestApp {
    root: PathBuf,
    config: PathBuf,
    state_dir: PathBuf,
    log_dir: PathBuf,
    instances: Mutex<Vec<(Variant, &'static Instance)>>,
    d1: Mutex<D1Shell>,
    retention_d1: OnceLock<Mutex<D1Shell>>,
    traffic: RwLock<()>,
}

thread_local! {
    /// Whether this thread holds [`TestApp::exclusive`], so its own requests and statements do
    /// not wait for the lock it already has.
    static EXCLUSIVE: Cell<bool> = const { Cell::new(false) };
}

/// Held while a test changes the schema and sends requests against the changed schema.
pub struct Exclusive<'a> {
    _guard: RwLockWriteGuard<'a, ()>,
}

impl Drop for Exclusive<'_> {
    fn drop(&mut self) {
        EXCLUSIVE.with(|flag| flag.set(false));
    }
}

/// `tests/support/d1-shell.mjs`, kept running for the whole test binary.
struct D1Shell {
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    _child: Child,
}

static APP: OnceLock<Result<TestApp, String>> = OnceLock::new();

/// The shared app, built and migrated on first use. When that fails, every test fails with the
/// first failure's message instead of trying the slow set-up again.
pub fn app() -> &'static TestApp {
    let started = APP.get_or_init(|| {
        std::panic::catch_unwind(TestApp::start).map_err(|panic| {
            let message = panic.downcast_ref::<String>().cloned();
            let message = message.or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
            message.unwrap_or_else(|| "unknown panic".to_owned())
        })
    });

    match started {
        Ok(app) => app,
        Err(message) => panic!("the test Worker could not be set up: {message}"),
    }
}

impl TestApp {
    fn start() -> TestApp {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let run_dir = root
            .join("target/integration")
            .join(std::process::id().to_string());
        let _ = std::fs::remove_dir_all(root.join("target/integration"));
        let state_dir = run_dir.join("state");
        let log_dir = run_dir.join("logs");
        std::fs::create_dir_all(&log_dir).unwrap();
        std::fs::write(
            run_dir.join("secrets.txt"),
            format!("{SECRET}\n{NEXT_SECRET}\n{ADDRESS_KEY}\n"),
        )
        .unwrap();

        run(
            &root,
            Command::new("bash").arg("scripts/build-worker.sh"),
            "build the Worker",
        );
        run(
            &root,
            wrangler(&root)
                .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
                .arg(&state_dir),
            "apply migrations to the test database",
        );

        let d1 = D1Shell::start(&root, &state_dir, &log_dir.join("d1-shell.txt"));
        let config = write_test_config(&root, &run_dir);
        TestApp {
            root,
            config,
            state_dir,
            log_dir,
            instances: Mutex::new(Vec::new()),
            d1: Mutex::new(d1),
            retention_d1: OnceLock::new(),
            traffic: RwLock::new(()),
        }
    }

    /// The port of the Worker started with `variant`, starting it on first use.
    pub fn port(&self, variant: Variant) -> u16 {
        let mut instances = self.instances.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, instance)) = instances.iter().find(|(v, _)| *v == variant) {
            return instance.port;
        }

        let instance: &'static Instance = Box::leak(Box::new(self.start_instance(variant)));
        instances.push((variant, instance));
        instance.port
    }

    /// Where the instance keeps its D1 state. Only the normal Worker reads the seeded database;
    /// the others answer before any query, and a file of their own keeps them from taking its
    /// locks.
    fn persist_dir(&self, variant: Variant) -> PathBuf {
        match variant {
            Variant::Normal => self.state_dir.clone(),
            other => self.state_dir.with_file_name(format!("state-{other:?}")),
        }
    }

    /// Starts the Worker of `variant`. A port that was free when chosen can be taken before
    /// wrangler binds it (by another instance's own listeners); the start is then tried again on
    /// new ports.
    fn start_instance(&self, variant: Variant) -> Instance {
        for _ in 0..3 {
            if let Some(instance) = self.try_start_instance(variant) {
                return instance;
            }
        }
        panic!("wrangler dev ({variant:?}) found its ports taken three times");
    }

    fn try_start_instance(&self, variant: Variant) -> Option<Instance> {
        let port = free_port();
        let inspector = free_port();
        let log = self.log_dir.join(format!("{variant:?}.log"));
        let mut dev = format!(
            "exec node_modules/.bin/wrangler dev --config '{}' --port {port} \
             --inspector-port {inspector} --persist-to '{}' --log-level log \
             --show-interactive-dev-session=false --var",
            self.config.display(),
            self.persist_dir(variant).display()
        );
        for var in variant.vars() {
            dev.push_str(&format!(" '{var}'"));
        }
        if variant == Variant::Retention {
            // With static assets, the local runtime's /cdn-cgi/handler/scheduled reaches the
            // assets router rather than the Worker; --test-scheduled serves /__scheduled.
            dev.push_str(" --test-scheduled");
        }

        // The keeper shell leads its own process group and runs wrangler (and so workerd) in
        // it; it waits on its stdin, which is this process's pipe. When the test binary exits
        // for any reason the pipe closes and the keeper ends the whole group.
        let script = format!(
            "({dev}) </dev/null >'{}' 2>&1 & read _ignored; kill -TERM -- -$$",
            log.display()
        );
        let keeper = Command::new("bash")
            .arg("-c")
            .arg(script)
            .current_dir(&self.root)
            .env("CI", "true")
            .env("WRANGLER_SEND_METRICS", "false")
            .stdin(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("failed to start bash for wrangler dev");

        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(response) = try_send(
                port,
                b"GET /ready HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
            ) {
                if response.status == 404 {
                    break;
                }
            }
            let output = std::fs::read_to_string(&log).unwrap_or_default();
            if output.contains("Address already in use") {
                // Closing the keeper's input makes it stop what it started.
                let mut keeper = keeper;
                drop(keeper.stdin.take());
                let _ = keeper.wait();
                return None;
            }
            if Instant::now() > deadline {
                panic!(
                    "wrangler dev ({variant:?}) did not answer within 120 s; its output:\n{output}"
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }

        Some(Instance {
            port,
            _keeper: keeper,
        })
    }

    /// Runs one SQL statement against the database of [`Variant::Retention`], migrating it on
    /// first use; the error is D1's message. Only the retention tests use that database.
    pub fn retention_sql(&self, sql: &str) -> Result<Vec<Value>, String> {
        let shell = self.retention_d1.get_or_init(|| {
            let dir = self.persist_dir(Variant::Retention);
            run(
                &self.root,
                wrangler(&self.root)
                    .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
                    .arg(&dir),
                "apply migrations to the retention test database",
            );
            let log = self.log_dir.join("d1-shell-retention.txt");
            Mutex::new(D1Shell::start(&self.root, &dir, &log))
        });

        let answer = shell.lock().unwrap_or_else(|e| e.into_inner()).run(sql)?;
        Ok(answer["results"].as_array().cloned().unwrap_or_default())
    }

    /// Runs one SQL statement against the test database.
    pub fn sql(&self, sql: &str) {
        self.query(sql);
    }

    /// Runs one SQL statement and returns its result rows.
    pub fn query(&self, sql: &str) -> Vec<Value> {
        self.try_query(sql)
            .unwrap_or_else(|error| panic!("SQL failed: {sql}\n{error}"))
    }

    /// Runs one SQL statement; the error is D1's message.
    pub fn try_query(&self, sql: &str) -> Result<Vec<Value>, String> {
        self.run_statement(sql)
            .map(|answer| answer["results"].as_array().cloned().unwrap_or_default())
    }

    /// Runs one SQL statement and returns how many rows D1 says SQLite read for it.
    pub fn rows_read(&self, sql: &str) -> u64 {
        let answer = self
            .run_statement(sql)
            .unwrap_or_else(|error| panic!("SQL failed: {sql}\n{error}"));
        answer["rows_read"]
            .as_u64()
            .unwrap_or_else(|| panic!("D1 reported no rows_read: {answer}"))
    }

    fn run_statement(&self, sql: &str) -> Result<Value, String> {
        let _writing = (!EXCLUSIVE.with(Cell::get)).then(|| self.write_lock());
        let mut shell = self.d1.lock().unwrap_or_else(|e| e.into_inner());
        shell.run(sql)
    }

    fn write_lock(&self) -> RwLockWriteGuard<'_, ()> {
        self.traffic.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps every other test's requests and statements out until the guard is dropped.
    pub fn exclusive(&self) -> Exclusive<'_> {
        let guard = self.write_lock();
        EXCLUSIVE.with(|flag| flag.set(true));
        Exclusive { _guard: guard }
    }

    /// The JSON log lines, one holding each of `markers`, in that order, waiting up to 10
    /// seconds for wrangler to flush them: a line can reach its file after the answer.
    pub fn wait_for_log_lines(&self, markers: &[&str]) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let output = self.worker_output();
            let found: Vec<String> = markers
                .iter()
                .filter_map(|marker| {
                    let line = output.lines().find(|line| line.contains(marker))?;
                    let start = line.find('{')?;
                    let end = line.rfind('}')?;
                    Some(line[start..=end].to_owned())
                })
                .collect();
            if found.len() == markers.len() {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "log lines for {markers:?} never appeared:\n{output}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Everything the Worker instances have printed so far.
    pub fn worker_output(&self) -> String {
        let mut all = String::new();
        for entry in std::fs::read_dir(&self.log_dir).unwrap().flatten() {
            if entry.path().extension().is_some_and(|ext| ext == "log") {
                all.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
            }
        }
        all
    }

    /// Creates an account with a low-cost hash of `password`, and returns a token for it.
    pub fn seed_account(&self, id: &str, id_number: &str, password: &str) -> String {
        let phc = test_hash(password);
        remember_secret(&phc);
        remember_secret(password);
        self.sql(&format!(
            "INSERT INTO accounts (id, id_number, password_hash) VALUES ({}, {}, {});",
            literal(id),
            literal(id_number),
            literal(&phc)
        ));
        token_for(id)
    }

    /// Replaces an account's stored password hash with `phc`, as it is.
    pub fn set_password_hash(&self, account: &str, phc: &str) {
        remember_secret(phc);
        self.sql(&format!(
            "UPDATE accounts SET password_hash = {} WHERE id = {};",
            literal(phc),
            literal(account)
        ));
    }
}

/// Adds `value` to the run's `secrets.txt`, which `scripts/test.sh` looks for in the Workers'
/// output once every test has run. Values shorter than 8 characters ("pw") are left out: they
/// would match ordinary words.
pub fn remember_secret(value: &str) {
    static FILE: Mutex<()> = Mutex::new(());

    if value.chars().count() < 8 || value.contains('\n') {
        return;
    }
    let _guard = FILE.lock().unwrap_or_else(|e| e.into_inner());
    let path = app().log_dir.with_file_name("secrets.txt");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    writeln!(file, "{value}").unwrap();
}

impl D1Shell {
    fn start(root: &Path, state_dir: &Path, log: &Path) -> D1Shell {
        let log = std::fs::File::create(log).unwrap();
        let mut child = Command::new("node")
            .arg("tests/support/d1-shell.mjs")
            .arg(state_dir)
            .current_dir(root)
            .env("CI", "true")
            .env("WRANGLER_SEND_METRICS", "false")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("failed to start node for the D1 shell");
        let mut shell = D1Shell {
            input: child.stdin.take().unwrap(),
            output: BufReader::new(child.stdout.take().unwrap()),
            _child: child,
        };

        let ready = shell.read_line();
        assert_eq!(ready["ready"], true, "D1 shell did not start: {ready}");
        shell
    }

    /// Runs one statement; the answer holds `results` and `rows_read`.
    fn run(&mut self, sql: &str) -> Result<Value, String> {
        let request = serde_json::json!({ "sql": sql }).to_string();
        writeln!(self.input, "{request}").expect("D1 shell is gone");

        let answer = self.read_line();
        if answer["ok"] != true {
            return Err(answer["error"].as_str().unwrap_or_default().to_owned());
        }
        Ok(answer)
    }

    /// The next answer line. Wrangler prints its own notices on the same output while it
    /// starts, so lines that are not JSON objects are skipped.
    fn read_line(&mut self) -> Value {
        loop {
            let mut line = String::new();
            let read = self.output.read_line(&mut line).expect("D1 shell output");
            assert!(
                read > 0,
                "D1 shell exited; see its d1-shell*.txt in the test run's logs"
            );
            if line.starts_with('{') {
                return serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("D1 shell said {line:?}: {e}"));
            }
        }
    }
}

/// Writes the Wrangler configuration the test Workers run with: `wrangler.toml` without its
/// `[build]` table, and with absolute paths since it lives elsewhere.
///
/// The suite builds the Worker once before starting any instance. With a build command, every
/// `wrangler dev` would also watch `src/` and, on a busy machine, restart the Worker when its
/// watcher reports the initial scan late, failing whatever request was in flight. Living outside
/// the repository root, the file also keeps a developer's `.dev.vars` out of the tests.
fn write_test_config(root: &Path, run_dir: &Path) -> PathBuf {
    let original = std::fs::read_to_string(root.join("wrangler.toml")).unwrap();
    let mut config = String::new();
    let mut in_build = false;
    for line in original.lines() {
        if line.starts_with('[') {
            in_build = line.trim() == "[build]";
        }
        if !in_build {
            config.push_str(line);
            config.push('\n');
        }
    }

    let main = root.join("build/worker/shim.mjs");
    let config = config.replace(
        "main = \"build/worker/shim.mjs\"",
        &format!("main = \"{}\"", main.display()),
    );
    assert!(
        config.contains(&main.display().to_string()),
        "wrangler.toml no longer sets main"
    );
    let public = root.join("public");
    let config = config.replace(
        "directory = \"public\"",
        &format!("directory = \"{}\"", public.display()),
    );
    let path = run_dir.join("wrangler.toml");
    std::fs::write(&path, config).unwrap();
    path
}

/// A PHC hash of `password` at [`TEST_ITERATIONS`], with a fixed salt.
pub fn test_hash(password: &str) -> String {
    hash_password(
        &Password::new(password),
        TEST_ITERATIONS,
        b"integration-salt",
    )
    .unwrap()
}

/// A valid token for `account` from the test secret, good for an hour.
pub fn token_for(account: &str) -> String {
    let secret = SigningSecret::new(SECRET.as_bytes().to_vec());
    let token = mint(
        &secret,
        subject(account),
        chrono::Utc::now(),
        chrono::Duration::hours(1),
    );
    remember_secret(&token);
    token
}

/// A SQL string literal.
pub fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// A response as read off the wire.
#[derive(Debug)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Header lines, names lowercased, in order.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl Response {
    /// The body as JSON; fails the test with the raw body when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Asserts the status, the whole error body, and the headers every answer carries.
    pub fn assert_error(&self, status: u16, code: &str, result: &str) {
        assert_eq!(
            (self.status, self.json()),
            (
                status,
                serde_json::json!({"status": status, "code": code, "result": result, "data": {}})
            ),
            "unexpected answer"
        );
        self.assert_common_headers();
    }

    /// Asserts the content type and cache rule of every answer.
    pub fn assert_common_headers(&self) {
        assert_eq!(
            self.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(self.header("cache-control"), Some("no-store"));
    }

    /// The `modification_logs` list of a successful answer, after checking the envelope.
    pub fn logs(&self) -> Vec<Value> {
        let body = self.json();
        assert_eq!(self.status, 200, "{body}");
        assert_eq!(body["status"], 200, "{body}");
        assert_eq!(body["code"], "10000", "{body}");
        assert_eq!(
            body["result"], "Get user info modification log successfully",
            "{body}"
        );
        self.assert_common_headers();
        body["data"]["modification_logs"]
            .as_array()
            .expect("modification_logs is a list")
            .clone()
    }
}

/// A request under construction; [`Req::send`] writes it byte for byte.
pub struct Req {
    method: String,
    path: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    chunked: bool,
}

impl Req {
    /// A `POST` to the endpoint with JSON content type and no authorization, from a client
    /// address no other request uses (in 198.18.0.0/15, set aside for tests).
    ///
    /// On Cloudflare the edge sets `CF-Connecting-IP`; the local runtime passes on what the
    /// client sent, and says `127.0.0.1` when it sent nothing.
    pub fn post() -> Req {
        static NEXT: AtomicU32 = AtomicU32::new(0);

        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let address = format!("198.{}.{}.{}", 18 + (n >> 16) % 2, (n >> 8) & 255, n & 255);
        Req {
            method: "POST".into(),
            path: PATH.into(),
            headers: vec![
                ("Content-Type".into(), b"application/json".to_vec()),
                ("CF-Connecting-IP".into(), address.into_bytes()),
            ],
            body: Vec::new(),
            chunked: false,
        }
    }

    /// Sends from client address `address` instead of the request's own.
    pub fn client_address(self, address: &str) -> Req {
        self.without("CF-Connecting-IP")
            .header("CF-Connecting-IP", address.as_bytes())
    }

    /// The usual request: bearer `token`, JSON body with `password`.
    pub fn with_credentials(token: &str, password: &str) -> Req {
        Req::post()
            .bearer(token)
            .json(&serde_json::json!({ "user_password": password }))
    }

    /// Replaces the method.
    pub fn method(mut self, method: &str) -> Req {
        self.method = method.into();
        self
    }

    /// Replaces the path.
    pub fn path(mut self, path: &str) -> Req {
        self.path = path.into();
        self
    }

    /// Adds `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Req {
        self.header("Authorization", format!("Bearer {token}").as_bytes())
    }

    /// Adds a header with raw bytes as its value.
    pub fn header(mut self, name: &str, value: &[u8]) -> Req {
        self.headers.push((name.into(), value.to_vec()));
        self
    }

    /// Removes every header called `name`.
    pub fn without(mut self, name: &str) -> Req {
        self.headers
            .retain(|(key, _)| !key.eq_ignore_ascii_case(name));
        self
    }

    /// Sets the body to `value` serialized.
    pub fn json(self, value: &Value) -> Req {
        self.body(value.to_string().as_bytes())
    }

    /// Sets the raw body.
    pub fn body(mut self, body: &[u8]) -> Req {
        self.body = body.to_vec();
        self
    }

    /// Sends the body in 4 KiB chunks with no `Content-Length`, so the Worker cannot know its
    /// size in advance.
    pub fn chunked(mut self) -> Req {
        self.chunked = true;
        self
    }

    /// Sends to the Worker of `variant`.
    pub fn send_to(&self, variant: Variant) -> Response {
        let port = app().port(variant);
        let mut raw = format!(
            "{} {} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n",
            self.method, self.path
        )
        .into_bytes();
        for (name, value) in &self.headers {
            raw.extend_from_slice(name.as_bytes());
            raw.extend_from_slice(b": ");
            raw.extend_from_slice(value);
            raw.extend_from_slice(b"\r\n");
        }
        if self.chunked {
            raw.extend_from_slice(b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
            for chunk in self.body.chunks(4 * 1024) {
                raw.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                raw.extend_from_slice(chunk);
                raw.extend_from_slice(b"\r\n");
            }
            raw.extend_from_slice(b"0\r\n\r\n");
        } else {
            let length = self.body.len();
            raw.extend_from_slice(
                format!("Content-Length: {length}\r\nConnection: close\r\n\r\n").as_bytes(),
            );
            raw.extend_from_slice(&self.body);
        }

        let app = app();
        let _reading = (!EXCLUSIVE.with(Cell::get))
            .then(|| app.traffic.read().unwrap_or_else(|e| e.into_inner()));
        let response =
            try_send(port, &raw).unwrap_or_else(|e| panic!("request to the Worker failed: {e}"));
        crate::openapi::check(&self.method, &self.path, &response);
        response
    }

    /// Sends to the normal Worker.
    pub fn send(&self) -> Response {
        self.send_to(Variant::Normal)
    }
}

/// Sends raw bytes and reads one response. The body is read by its length or its chunks, not
/// to the end of the stream: the local server keeps the connection open for seconds after the
/// answer, even when asked to close it.
fn try_send(port: u16, raw: &[u8]) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    stream.write_all(raw)?;

    let mut bytes = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        if let Some(response) = parse_response(&bytes) {
            return Ok(response);
        }
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            return Err(std::io::Error::other(format!(
                "connection closed before a whole response: {}",
                String::from_utf8_lossy(&bytes)
            )));
        }
        bytes.extend_from_slice(&buffer[..read]);
    }
}

/// The response in `bytes`, once all of it has arrived.
fn parse_response(bytes: &[u8]) -> Option<Response> {
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&bytes[..split]);
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let rest = &bytes[split + 4..];

    let header = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, v)| v.clone())
    };
    let body = if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        dechunk(rest)?
    } else {
        let length: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        rest.get(..length)?.to_vec()
    };
    Some(Response {
        status,
        headers,
        body,
    })
}

/// The body of a chunked message, once its last chunk has arrived.
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(&rest[..line_end]).ok()?.trim();
        let size = usize::from_str_radix(size, 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wrangler(root: &Path) -> Command {
    let mut command = Command::new(root.join("node_modules/.bin/wrangler"));
    command
        .current_dir(root)
        .env("CI", "true")
        .env("WRANGLER_SEND_METRICS", "false");
    command
}

fn run(root: &Path, command: &mut Command, what: &str) {
    let output = command.current_dir(root).output().unwrap_or_else(|e| {
        panic!("failed to {what}: {e}; run `npm test`, which installs the toolchain first")
    });
    assert!(
        output.status.success(),
        "failed to {what}:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
