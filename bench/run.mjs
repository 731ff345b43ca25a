// The benchmark suite: one run, one table. See README, "Performance".
//
//   npm run bench                 (the whole suite, about 10 minutes)
//   node bench/run.mjs --quick    (fewer requests and no 1,000,000-row data set)
//   node bench/run.mjs --only pbkdf2,size   (some of: cold, pbkdf2, load, size, scale)
//
// Every comparison is measured side by side in the same run, alternating the two sides round by
// round so that a noisy moment on a shared machine hits both; each figure is a median of at
// least 5 rounds, and each ratio is the median of the round-by-round ratios.
//
// Sections:
//   pbkdf2   600,000 and 100,000 iterations: this project's core and the pbkdf2 crate natively
//            (portable and with CPU extensions), and inside workerd: the Rust Worker (its wasm
//            core above WEBCRYPTO_MAX_ITERATIONS, WebCrypto within) against the JavaScript
//            baseline (WebCrypto), each timed from outside as request latency minus the latency
//            of the same request against a 1,000-iteration hash.
//   load     the whole endpoint under oha at 1,000 and 600,000 stored iterations, Rust Worker
//            against the JavaScript baseline in bench/js-worker on the same workerd and D1 data.
//   size     the deployed bundle, raw and gzip; time from starting wrangler dev to the first
//            answer (cold start), Rust against JavaScript.
//   profiles (only with --only profiles) release-profile and wasm-opt variants: each built into
//            a copy of build/ and run beside the default build, alternating round by round:
//            bundle size and the wasm core's time at 600,000 iterations.
//   scale    a local D1 with 1,000,000 log rows over 10,000 accounts (`userlog-admin seed`): the
//            endpoint's latency for accounts with 10, 1,000 and 100,000 rows, for an answer
//            without page_size (up to 1,000 rows) and for a page of 50, and the list query's plan.
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { SignJWT } from "jose";
import { phc, run, startWrangler, writeWorkerConfig } from "../scripts/local-worker.mjs";

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    // "profiles" is left out of the default: it rebuilds the Worker once per variant.
    only: { type: "string", default: "cold,pbkdf2,load,size,scale" },
  },
});
const wanted = new Set(flags.only.split(","));
const ROUNDS = 5;
const ROOT = resolve(import.meta.dirname, "..");
const RUN_DIR = resolve(ROOT, "target/bench");
const STATE = resolve(RUN_DIR, "state");
const PATH = "/user/info/get_user_info_modification_log";
const SECRET = randomBytes(32).toString("hex");
const CARGO_BIN = resolve(process.env.CARGO_HOME ?? `${process.env.HOME}/.cargo`, "bin");
const OHA = resolve(CARGO_BIN, "oha");
const OHA_VERSION = "1.16.0";
const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };

const rows = [];
const row = (section, what, value, note = "") => {
  rows.push({ section, what, value, note });
  console.log(`   ${what}: ${value}${note ? `  (${note})` : ""}`);
};

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const ms = (value) => `${value.toFixed(1)} ms`;
const ratio = (value) => `${value.toFixed(2)}x`;

const token = (sub) =>
  new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(SECRET));

// wrangler.toml for the Worker built in `build` (`build/` unless a profile variant's copy).
const rustConfig = (build = resolve(ROOT, "build"), name = "wrangler.toml") =>
  writeWorkerConfig(resolve(RUN_DIR, name), build);

// Starts a Worker on the shared bench database, with limits raised out of the way of repeated
// correct passwords, and returns it once it answers, with the time that took.
async function startWorker(name, config) {
  const worker = await startWrangler({
    config,
    state: STATE,
    pollMs: 50,
    vars: [
      "ENDPOINT_ENABLED:true",
      `JWT_SECRET:${SECRET}`,
      `ADDRESS_HASH_KEY:${SECRET}`,
      "PASSWORD_MAX_FAILURES:1000",
      "ADDRESS_MAX_FAILURES:100000",
      // Each stored hash keeps its cost, so each figure measures the count it names.
      "REHASH_ON_SIGN_IN:false",
    ],
  });
  return { name, ...worker };
}

const stop = (worker) => worker.stop();

// `extra` holds further body members, such as `page_size`.
async function post(worker, account, password, extra = {}) {
  const started = performance.now();
  const response = await fetch(`${worker.base}${PATH}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Authorization: `Bearer ${await token(account)}`,
    },
    body: JSON.stringify({ user_password: password, ...extra }),
  });
  const text = await response.text();
  const elapsed = performance.now() - started;
  if (response.status !== 200)
    throw new Error(`${worker.name} ${account}: ${response.status} ${text}`);
  return elapsed;
}

function native(iterations, portable) {
  const args = ["run", "--release", "-q", "-p", "user-info-log-bench"];
  if (portable) args.push("--features", "portable");
  const output = run("cargo", [...args, "--", String(iterations), String(ROUNDS)]);
  return Object.fromEntries(
    output
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
      .map((result) => [result.implementation, result]),
  );
}

async function pbkdf2Section(rust, js) {
  console.log("==> pbkdf2");
  const results = {};
  for (const iterations of [600_000, 100_000]) {
    const extensions = native(iterations, false);
    const portable = native(iterations, true);
    const label = iterations.toLocaleString("en-US");

    // Inside workerd: latency at this cost minus latency at 1,000 iterations, round by round.
    const cost = { rust: [], js: [] };
    const account = `bench-${iterations}`;
    await post(rust, account, "bench-password");
    await post(js, account, "bench-password");
    for (let round = 0; round < ROUNDS + 2; round++) {
      for (const [key, worker] of [
        ["rust", rust],
        ["js", js],
      ]) {
        const full = await post(worker, account, "bench-password");
        const base = await post(worker, "bench-1000", "bench-password");
        cost[key].push(full - base);
      }
    }
    const core = extensions["project core"].runs_ms;
    const softCore = portable["project core"].runs_ms;
    const softCrate = portable["pbkdf2 crate"].runs_ms;
    const rustPath = iterations > 100_000 ? "wasm core" : "WebCrypto";
    row("pbkdf2", `${label}: project core, native, CPU extensions`, ms(median(core)));
    row(
      "pbkdf2",
      `${label}: pbkdf2 crate, native, CPU extensions`,
      ms(extensions["pbkdf2 crate"].median_ms),
    );
    row("pbkdf2", `${label}: project core, native, portable`, ms(median(softCore)));
    row("pbkdf2", `${label}: pbkdf2 crate, native, portable`, ms(median(softCrate)));
    row("pbkdf2", `${label}: Rust Worker in workerd (${rustPath})`, ms(median(cost.rust)));
    row("pbkdf2", `${label}: JavaScript Worker in workerd (WebCrypto)`, ms(median(cost.js)));
    row(
      "pbkdf2",
      `${label}: ratio Rust Worker / JavaScript Worker`,
      ratio(median(cost.rust.map((value, i) => value / cost.js[i]))),
    );
    row(
      "pbkdf2",
      `${label}: ratio project core / pbkdf2 crate, both native portable`,
      ratio(median(softCore.map((value, i) => value / softCrate[i]))),
    );
    if (iterations > 100_000) {
      row(
        "pbkdf2",
        `${label}: ratio Rust Worker (wasm core) / project core native portable`,
        ratio(median(cost.rust) / median(softCore)),
        "target 1.15x",
      );
    } else {
      row(
        "pbkdf2",
        `${label}: ratio Rust Worker (WebCrypto) / project core native with extensions`,
        ratio(median(cost.rust) / median(core)),
        "target 1.2x",
      );
    }
    results[iterations] = cost;
  }
  return results;
}

function oha(worker, account, requests, connections, bearer) {
  const output = run(OHA, [
    "-n",
    String(requests),
    "-c",
    String(connections),
    "--no-tui",
    "--output-format",
    "json",
    "-m",
    "POST",
    "-H",
    `Authorization: Bearer ${bearer}`,
    "-T",
    "application/json",
    "-d",
    JSON.stringify({ user_password: "bench-password" }),
    `${worker.base}${PATH}`,
  ]);
  const report = JSON.parse(output);
  // A non-200 answer is counted and shown, not hidden: the local runtime occasionally answers
  // 503 itself under load, and any from the Worker would be a finding.
  const statuses = report.statusCodeDistribution;
  const failed = Object.entries(statuses)
    .filter(([status]) => status !== "200")
    .reduce((sum, [, count]) => sum + count, 0);
  return {
    rps: report.summary.requestsPerSec,
    p50: report.latencyPercentiles.p50 * 1000,
    p99: report.latencyPercentiles.p99 * 1000,
    failed,
  };
}

async function loadSection(rust, js) {
  console.log("==> load (oha)");
  const plans = [
    { iterations: 1_000, requests: flags.quick ? 200 : 1_000, connections: 10 },
    { iterations: 600_000, requests: flags.quick ? 8 : 20, connections: 2 },
  ];
  for (const { iterations, requests, connections } of plans) {
    const account = `bench-${iterations}`;
    const bearer = await token(account);
    const results = { rust: [], js: [] };
    for (let round = 0; round < ROUNDS; round++) {
      results.rust.push(oha(rust, account, requests, connections, bearer));
      results.js.push(oha(js, account, requests, connections, bearer));
    }
    const cost = iterations.toLocaleString("en-US");
    const label = `${cost} iterations, ${requests} requests at c=${connections}`;
    for (const key of ["rps", "p50", "p99"]) {
      const format = key === "rps" ? (value) => `${value.toFixed(0)}/s` : ms;
      const rustValues = results.rust.map((r) => r[key]);
      const jsValues = results.js.map((r) => r[key]);
      row(
        "load",
        `${label}: ${key} Rust / JavaScript`,
        `${format(median(rustValues))} / ${format(median(jsValues))}`,
        `ratio ${ratio(median(rustValues.map((value, i) => value / jsValues[i])))}`,
      );
    }
    const failed = (side) => results[side].reduce((sum, r) => sum + r.failed, 0);
    row(
      "load",
      `${label}: answers other than 200, Rust / JavaScript`,
      `${failed("rust")} / ${failed("js")}`,
      `of ${ROUNDS * requests} each`,
    );
  }
}

function sizeSection() {
  console.log("==> size");
  const wasm = readFileSync(resolve(ROOT, "build/index_bg.wasm"));
  const js = readFileSync(resolve(ROOT, "build/index.js"));
  const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
  row("size", "wasm raw / gzip", `${kb(wasm.length)} / ${kb(gzipSync(wasm, { level: 9 }).length)}`);
  row("size", "JS glue raw / gzip", `${kb(js.length)} / ${kb(gzipSync(js, { level: 9 }).length)}`);
  const total = gzipSync(wasm, { level: 9 }).length + gzipSync(js, { level: 9 }).length;
  row("size", "bundle gzip, wasm and JS", kb(total), "target 250 KiB");
}

async function scaleSection(rustConfigPath) {
  console.log("==> scale: 1,000,000 log rows over 10,000 accounts");
  // `userlog-admin seed` makes accounts seed-0 .. seed-9999, all with the password below at
  // 1,000 iterations: seed-0 has 100,000 rows, seed-1 1,000, seed-2 10, and the rest share what
  // is left of the 1,000,000 (about 90 each), with realistic values spread over six years.
  run("cargo", ["build", "-q", "-p", "user-info-log-admin"]);
  const started = performance.now();
  run(
    resolve(ROOT, "target/debug/userlog-admin"),
    [
      "seed",
      "--accounts",
      "10000",
      "--rows",
      "1000000",
      "--password-iterations",
      "1000",
      "--persist-to",
      STATE,
    ],
    { input: "bench-password\n", stdio: ["pipe", "pipe", "inherit"] },
  );
  console.log(`   seeded in ${((performance.now() - started) / 1000).toFixed(0)} s`);

  const plan = d1Execute(
    "--json",
    "--command",
    "EXPLAIN QUERY PLAN SELECT data_type, value_before, value_after, changed_at_ms " +
      "FROM modification_log WHERE account_id = 'seed-0' ORDER BY changed_at_ms DESC, id DESC",
  );
  const steps = JSON.parse(plan)[0].results.map((step) => step.detail);
  row(
    "scale",
    "list query plan",
    steps.join("; "),
    steps.some((step) => /TEMP B-TREE/.test(step)) ? "SORTS" : "index order, no sort step",
  );

  const rust = await startWorker("rust", rustConfigPath);
  try {
    for (const [account, count] of [
      ["seed-2", 10],
      ["seed-1", 1_000],
      ["seed-0", 100_000],
    ]) {
      const label = `account with ${count.toLocaleString("en-US")} rows`;
      for (const [what, extra] of [
        ["no page_size (up to 1,000 rows)", {}],
        ["page of 50", { page_size: 50 }],
      ]) {
        await post(rust, account, "bench-password", extra);
        const times = [];
        for (let round = 0; round < ROUNDS; round++)
          times.push(await post(rust, account, "bench-password", extra));
        row("scale", `${label}: ${what}`, ms(median(times)));
      }
    }
  } finally {
    stop(rust);
  }
}

function seed() {
  const accounts = [1_000, 100_000, 600_000].map(
    (iterations) =>
      `INSERT INTO accounts (id, id_number, password_hash)
       VALUES ('bench-${iterations}', '110105199001011234', '${phc("bench-password", iterations)}');
       INSERT INTO modification_log
         (account_id, data_type, value_before, value_after, changed_at_ms)
       VALUES ('bench-${iterations}', 'email', 'a@example.com', 'b@example.com', 1700000000000),
              ('bench-${iterations}', 'nickname', 'ann', 'Ann', 1700000100000),
              ('bench-${iterations}', 'phone_number', '138', '139', 1700000200000);`,
  );
  writeFileSync(resolve(RUN_DIR, "seed.sql"), accounts.join("\n"));
  run("node_modules/.bin/wrangler", [
    "d1",
    "migrations",
    "apply",
    "DB",
    "--local",
    "--persist-to",
    STATE,
  ]);
  d1Execute("--file", resolve(RUN_DIR, "seed.sql"));
}

// Builds the Worker with `overrides` in the environment and copies the result aside.
function buildVariant(name, overrides) {
  run("bash", ["scripts/build-worker.sh"], { env: { ...env, ...overrides } });
  const copy = resolve(RUN_DIR, "profiles", name);
  rmSync(copy, { recursive: true, force: true });
  mkdirSync(copy, { recursive: true });
  cpSync(resolve(ROOT, "build"), copy, { recursive: true });
  const wasm = readFileSync(resolve(copy, "index_bg.wasm"));
  const js = readFileSync(resolve(copy, "index.js"));
  const gzip = gzipSync(wasm, { level: 9 }).length + gzipSync(js, { level: 9 }).length;
  return { config: rustConfig(copy, `wrangler-${name}.toml`), gzipKiB: gzip / 1024 };
}

async function profilesSection() {
  console.log("==> profiles");
  const variants = [
    ["opt-level-s", { CARGO_PROFILE_RELEASE_OPT_LEVEL: "s" }],
    ["opt-level-z", { CARGO_PROFILE_RELEASE_OPT_LEVEL: "z" }],
    [
      "no-lto-16-units",
      { CARGO_PROFILE_RELEASE_LTO: "false", CARGO_PROFILE_RELEASE_CODEGEN_UNITS: "16" },
    ],
    ["thin-lto", { CARGO_PROFILE_RELEASE_LTO: "thin" }],
    ["wasm-opt-O3", { WASM_OPT_LEVEL: "-O3" }],
    ["wasm-opt-Oz", { WASM_OPT_LEVEL: "-Oz" }],
    ["no-wasm-opt", { WASM_OPT_LEVEL: "-O0" }],
  ];
  const base = buildVariant("default", {});
  const built = variants.map(([name, overrides]) => [name, buildVariant(name, overrides)]);
  run("bash", ["scripts/build-worker.sh"]);

  const baseWorker = await startWorker("default", base.config);
  try {
    row(
      "profiles",
      "default (opt-level 3, fat LTO, 1 unit, wasm-opt -O): bundle gzip",
      `${base.gzipKiB.toFixed(1)} KiB`,
    );
    for (const [name, variant] of built) {
      const worker = await startWorker(name, variant.config);
      try {
        const cost = { base: [], variant: [] };
        await post(worker, "bench-600000", "bench-password");
        for (let round = 0; round < ROUNDS; round++) {
          for (const [key, target] of [
            ["base", baseWorker],
            ["variant", worker],
          ]) {
            const full = await post(target, "bench-600000", "bench-password");
            cost[key].push(full - (await post(target, "bench-1000", "bench-password")));
          }
        }
        row(
          "profiles",
          `${name}: bundle gzip / wasm core at 600,000`,
          `${variant.gzipKiB.toFixed(1)} KiB / ${ms(median(cost.variant))}`,
          `default ${ms(median(cost.base))}; time ratio ` +
            ratio(median(cost.variant.map((value, i) => value / cost.base[i]))),
        );
      } finally {
        stop(worker);
      }
    }
  } finally {
    stop(baseWorker);
  }
}

// `wrangler d1 execute` against the bench database.
const d1Execute = (...args) =>
  run("node_modules/.bin/wrangler", [
    "d1",
    "execute",
    "DB",
    "--local",
    "--persist-to",
    STATE,
    ...args,
  ]);

function printTable() {
  const date = new Date().toISOString().slice(0, 10);
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  console.log(`\nBenchmark of ${date} on ${cpus().length} cores, ${cpu}`);
  console.log(
    `Medians of ${ROUNDS} rounds or more; ratios are medians of round-by-round ratios.\n`,
  );
  console.log("| section | measurement | value | note |");
  console.log("|---|---|---|---|");
  for (const { section, what, value, note } of rows) {
    console.log(`| ${section} | ${what} | ${value} | ${note} |`);
  }
}

mkdirSync(RUN_DIR, { recursive: true });
rmSync(STATE, { recursive: true, force: true });
console.log("==> building the Worker, the native timer and the load generator");
run("bash", ["scripts/build-worker.sh"]);
run("cargo", ["build", "--release", "-q", "-p", "user-info-log-bench"]);
run("cargo", ["build", "--release", "-q", "-p", "user-info-log-bench", "--features", "portable"]);
if (!existsSync(OHA) || !run(OHA, ["--version"]).includes(OHA_VERSION)) {
  console.log(`==> installing oha ${OHA_VERSION} from crates.io (first run only, several minutes)`);
  run("cargo", ["install", "oha", "--version", OHA_VERSION, "--locked"], { stdio: "inherit" });
}
seed();

const rustConfigPath = rustConfig();
const jsConfigPath = resolve(ROOT, "bench/js-worker/wrangler.toml");
console.log("==> cold start");
const cold = { rust: [], js: [] };
for (let round = 0; wanted.has("cold") && round < ROUNDS; round++) {
  for (const [key, config] of [
    ["rust", rustConfigPath],
    ["js", jsConfigPath],
  ]) {
    const worker = await startWorker(key, config);
    cold[key].push(worker.coldMs);
    stop(worker);
    await new Promise((done) => setTimeout(done, 500));
  }
}
if (wanted.has("cold")) {
  row(
    "size",
    "start of wrangler dev to first answer, Rust / JavaScript",
    `${ms(median(cold.rust))} / ${ms(median(cold.js))}`,
    `ratio ${ratio(median(cold.rust.map((value, i) => value / cold.js[i])))}`,
  );
}

const rust = await startWorker("rust", rustConfigPath);
const js = await startWorker("js", jsConfigPath);
try {
  if (wanted.has("pbkdf2")) await pbkdf2Section(rust, js);
  if (wanted.has("load")) await loadSection(rust, js);
} finally {
  stop(rust);
  stop(js);
}
if (wanted.has("size")) sizeSection();
if (wanted.has("profiles")) await profilesSection();
if (wanted.has("scale") && !flags.quick) await scaleSection(rustConfigPath);
printTable();
