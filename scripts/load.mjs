// Load check: sends a mix of valid, wrong-password, bad-token and malformed requests to the Worker
// running in workerd (`wrangler dev`) against a throwaway local D1, and counts the answers by kind
// and status. It fails (exit 1) on any answer outside what its kind may get, any 5xx and any
// dropped connection.
//
//   node scripts/load.mjs [--requests 2000] [--concurrency 50]
//
// It builds the Worker (scripts/build-worker.sh), so run scripts/setup.sh once first; `npm run
// load` does both. Every request comes from the same local address, so the run raises the
// per-address limit (ADDRESS_MAX_FAILURES) out of the way; the per-account limit stays at its
// default of 5.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { PATH, ROOT, phc, startLocalWorker } from "./local-worker.mjs";

const { values: options } = parseArgs({
  options: {
    requests: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "50" },
  },
});
const REQUESTS = Number(options.requests);
const CONCURRENCY = Number(options.concurrency);
if (!(REQUESTS > 0 && CONCURRENCY > 0)) {
  console.error("--requests and --concurrency must be positive numbers");
  process.exit(2);
}

const VALID_ACCOUNTS = 100;
const WRONG_ACCOUNTS = 20;

function seedSql() {
  const account = (id, password) =>
    `INSERT INTO accounts (id, id_number, password_hash)
     VALUES ('${id}', '110105199001011234', '${phc(password)}');`;
  const sql = [];
  for (let i = 0; i < VALID_ACCOUNTS; i++) {
    sql.push(account(`load-ok-${i}`, `load-pass-${i}`));
    sql.push(
      `INSERT INTO modification_log
         (account_id, data_type, value_before, value_after, changed_at_ms)
       VALUES ('load-ok-${i}', 'email', 'a@example.com', 'b@example.com', ${1.7e12 + i});`,
    );
  }
  for (let i = 0; i < WRONG_ACCOUNTS; i++) sql.push(account(`load-wrong-${i}`, "right"));
  return sql.join("\n");
}

// The request of number `n`: its kind, what it sends, and the statuses its kind may get. Of every
// 20 requests, 8 are valid, 5 have a wrong password, 4 a bad token and 3 are malformed; `k`
// counts requests of the same kind, to cycle through accounts and variants.
async function request(n) {
  const json = { "Content-Type": "application/json" };
  const body = (password) => JSON.stringify({ user_password: password });
  const round = Math.floor(n / 20);
  const slot = n % 20;
  if (slot < 8) {
    const i = (round * 8 + slot) % VALID_ACCOUNTS;
    const headers = { ...json, Authorization: `Bearer ${await token(`load-ok-${i}`)}` };
    const init = { method: "POST", headers, body: body(`load-pass-${i}`) };
    return { kind: "valid", init, expect: [200] };
  }
  if (slot < 13) {
    const i = (round * 5 + slot - 8) % WRONG_ACCOUNTS;
    const headers = { ...json, Authorization: `Bearer ${await token(`load-wrong-${i}`)}` };
    const init = { method: "POST", headers, body: body("wrong") };
    return { kind: "wrong password", init, expect: [401, 429] };
  }
  if (slot < 17) {
    const k = round * 4 + slot - 13;
    const bad = [
      () => "not-a-jwt",
      () => token("load-ok-0", { secret: "another-secret-of-at-least-32-bytes!" }),
      () => token("load-ok-0", { exp: 1 }),
      () => token("no-such-account"),
    ][k % 4];
    const headers = { ...json, Authorization: `Bearer ${await bad()}` };
    return { kind: "bad token", init: { method: "POST", headers, body: body("x") }, expect: [401] };
  }
  const k = round * 3 + slot - 17;
  const valid = { ...json, Authorization: `Bearer ${await token("load-ok-1")}` };
  const [init, status] = [
    [{ method: "POST", headers: valid, body: "{not json" }, 400],
    [{ method: "POST", headers: { ...valid, "Content-Type": "text/plain" }, body: body("x") }, 400],
    [{ method: "POST", headers: valid, body: "x".repeat(20_000) }, 400],
    [{ method: "GET", headers: valid }, 405],
    [{ method: "POST", headers: json, body: body("x") }, 401],
  ][k % 5];
  return { kind: "malformed", init, expect: [status] };
}

async function load(base) {
  const counts = new Map();
  const latencies = [];
  let unexpected = 0;
  let dropped = 0;
  let next = 0;

  async function worker() {
    while (next < REQUESTS) {
      const { kind, init, expect } = await request(next++);
      const url = `${base}${PATH}`;
      const started = performance.now();
      let status;
      try {
        const response = await fetch(url, init);
        await response.arrayBuffer();
        status = response.status;
      } catch {
        dropped++;
        status = "dropped";
      }
      latencies.push(performance.now() - started);
      const key = `${kind}\t${status}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (status !== "dropped" && !expect.includes(status)) unexpected++;
    }
  }

  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { counts, latencies, unexpected, dropped, seconds };
}

console.log("==> building the Worker and a throwaway local D1");
const worker = await startLocalWorker({
  runDir: resolve(ROOT, "target/load"),
  seedSql: seedSql(),
  // The seeded hashes use 1,000 iterations; at the default policy of 600,000 every first
  // sign-in would rewrite its hash at full cost, which is not what this check measures.
  vars: ["ADDRESS_MAX_FAILURES:100000", "PASSWORD_HASH_ITERATIONS:1000"],
});
const token = worker.token;
console.log(`==> ${REQUESTS} requests at concurrency ${CONCURRENCY}`);
let result;
try {
  result = await load(worker.base);
} finally {
  worker.stop();
}

const { counts, latencies, unexpected, dropped, seconds } = result;
latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
console.log("kind\tstatus\tcount");
for (const key of [...counts.keys()].sort()) console.log(`${key}\t${counts.get(key)}`);
const serverErrors = [...counts]
  .filter(([key]) => /\t5\d\d$/.test(key))
  .reduce((sum, [, n]) => sum + n, 0);
console.log(
  `${REQUESTS} requests in ${seconds.toFixed(1)} s (${(REQUESTS / seconds).toFixed(0)}/s), ` +
    `p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms`,
);
console.log(
  `5xx: ${serverErrors}, unexpected statuses: ${unexpected}, dropped connections: ${dropped}`,
);
process.exit(serverErrors === 0 && unexpected === 0 && dropped === 0 ? 0 : 1);
