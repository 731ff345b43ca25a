// Property-based API testing: schemathesis generates requests from docs/openapi.json, sends them
// to the Worker running locally (as scripts/local-worker.mjs starts it), and checks every answer
// against the description: no server error, a documented status, content type and headers, and
// a body that matches the schema.
//
//   node scripts/schemathesis.mjs [--max-examples 600]
//
// `npm run schemathesis` runs scripts/setup.sh first. schemathesis comes from PyPI, pinned, into
// target/schemathesis-venv on first use. Every request carries a valid token for an account with
// a history, so generated bodies reach the password check; the attempt limits are raised out of
// the way, since all requests come from one address and most passwords are wrong.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { ROOT, phc, run, startLocalWorker } from "./local-worker.mjs";

const SCHEMATHESIS = "schemathesis==4.32.5";

const { values: options } = parseArgs({
  options: { "max-examples": { type: "string", default: "600" } },
});

const venv = resolve(ROOT, "target/schemathesis-venv");
const cli = resolve(venv, "bin/schemathesis");
if (!existsSync(cli)) {
  console.log(`==> installing ${SCHEMATHESIS} into target/schemathesis-venv (first run only)`);
  run("python3", ["-m", "venv", venv]);
  run(resolve(venv, "bin/pip"), ["install", "--quiet", SCHEMATHESIS]);
}

console.log("==> building the Worker and a throwaway local D1");
const worker = await startLocalWorker({
  runDir: resolve(ROOT, "target/schemathesis"),
  seedSql: `
    INSERT INTO accounts (id, id_number, password_hash)
    VALUES ('fuzzed', '110105199001011234', '${phc("right password")}');
    INSERT INTO modification_log (account_id, data_type, value_before, value_after, changed_at_ms)
    VALUES ('fuzzed', 'email', NULL, 'a@example.com', 1700000000000);`,
  vars: [
    "PASSWORD_MAX_FAILURES:1000",
    "ADDRESS_MAX_FAILURES:100000",
    "PASSWORD_HASH_ITERATIONS:1000",
  ],
});

let status;
try {
  const token = await worker.token("fuzzed");
  console.log(`==> schemathesis against ${worker.base}`);
  const result = spawnSync(
    cli,
    [
      "--config-file",
      "scripts/schemathesis.toml",
      "run",
      "docs/openapi.json",
      "--url",
      worker.base,
      "--header",
      `Authorization: Bearer ${token}`,
      "--checks",
      "all",
      "--max-examples",
      options["max-examples"],
      "--seed",
      "20261203",
      "--workers",
      "1",
      "--warnings",
      "off",
    ],
    { cwd: ROOT, stdio: "inherit", env: { ...process.env, SCHEMATHESIS_TELEMETRY: "false" } },
  );
  status = result.status ?? 1;
} finally {
  worker.stop();
}
process.exit(status);
