// Runs SQL against the local D1 database that `wrangler dev --persist-to DIR` uses, for the
// integration tests: one process for the whole run instead of a `wrangler d1 execute` per
// statement. It reaches the database through wrangler's own getPlatformProxy, so the statements
// go through the same local D1 implementation as the Worker's.
//
//   node tests/support/d1-shell.mjs DIR
//
// Reads one JSON object per line, {"sql": "..."}, runs that single statement, and answers one
// line: {"ok": true, "results": [...], "rows_read": N} or {"ok": false, "error": "..."}. It prints
// {"ready": true} once the database is open, and exits when its input closes.
import { createInterface } from "node:readline";
import { getPlatformProxy } from "wrangler";

const [persistTo] = process.argv.slice(2);
if (!persistTo) {
  console.error("usage: d1-shell.mjs PERSIST_DIR");
  process.exit(2);
}

// `wrangler dev --persist-to DIR` keeps its state under DIR/v3.
const { env, dispose } = await getPlatformProxy({ persist: { path: `${persistTo}/v3` } });
console.log(JSON.stringify({ ready: true }));

// The running Workers write to the same SQLite file, so a statement can meet a lock for a moment;
// it is tried again a few times before the error is reported.
async function run(sql) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await env.DB.prepare(sql).all();
    } catch (error) {
      if (attempt >= 20 || !/SQLITE_BUSY|database is locked/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  try {
    const { results, meta } = await run(JSON.parse(line).sql);
    console.log(JSON.stringify({ ok: true, results, rows_read: meta?.rows_read ?? null }));
  } catch (error) {
    console.log(JSON.stringify({ ok: false, error: String(error) }));
  }
}

await dispose();
