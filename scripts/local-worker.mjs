// A throwaway local Worker for the scripts that drive it from outside (load.mjs,
// schemathesis.mjs): the built Worker in workerd through `wrangler dev`, against a local D1 of
// its own under target/, with accounts seeded and a random signing secret.
import { spawn, spawnSync } from "node:child_process";
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { SignJWT } from "jose";

export const ROOT = resolve(import.meta.dirname, "..");
export const PATH = "/user/info/get_user_info_modification_log";

const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };

// Runs a command from the repository root and exits with its output if it fails. `options` go
// to spawnSync; its `env`, if any, is the whole environment.
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: "utf8", env, ...options });
  if (result.status !== 0) {
    console.error(`failed: ${command} ${args.join(" ")}\n${result.stdout}${result.stderr}`);
    process.exit(1);
  }
  return result.stdout;
}

// A PHC string of `password`, as the Worker stores hashes.
export function phc(password, iterations = 1000) {
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  const b64 = (bytes) => bytes.toString("base64").replace(/=+$/, "");
  return `$pbkdf2-sha256$i=${iterations},l=32$${b64(salt)}$${b64(hash)}`;
}

function freePort() {
  return new Promise((done) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

// Writes wrangler.toml to `path` without its [build] step (the Worker is built beforehand) and
// with its relative paths made absolute, since the copy lives elsewhere. `build` is the folder
// holding the built Worker.
export function writeWorkerConfig(path, build = resolve(ROOT, "build")) {
  let inBuild = false;
  const lines = readFileSync(resolve(ROOT, "wrangler.toml"), "utf8")
    .split("\n")
    .filter((line) => {
      if (line.startsWith("[")) inBuild = line.trim() === "[build]";
      return !inBuild;
    });
  const config = lines
    .join("\n")
    .replace('main = "build/worker/shim.mjs"', `main = "${build}/worker/shim.mjs"`)
    .replace('directory = "public"', `directory = "${ROOT}/public"`);
  writeFileSync(path, config);
  return path;
}

// Starts `wrangler dev` with `config` on a free port, its D1 state in `state`, and `vars`
// (NAME:value strings). Resolves once the Worker answers, with its base URL, the time that took
// (`coldMs`) and a stop function.
export async function startWrangler({ config, state, vars, pollMs = 250 }) {
  const port = await freePort();
  const inspector = await freePort();
  const started = performance.now();
  const child = spawn(
    "node_modules/.bin/wrangler",
    [
      "dev",
      "--config",
      config,
      "--port",
      String(port),
      "--inspector-port",
      String(inspector),
      "--persist-to",
      state,
      "--show-interactive-dev-session=false",
      "--var",
      ...vars,
    ],
    { cwd: ROOT, detached: true, stdio: "ignore", env },
  );
  const stop = () => {
    try {
      process.kill(-child.pid);
    } catch {
      // already gone
    }
  };

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      const response = await fetch(`${base}/ready`);
      await response.arrayBuffer();
      if (response.status === 404) return { base, coldMs: performance.now() - started, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      stop();
      throw new Error("wrangler dev did not answer within 180 s");
    }
    await new Promise((done) => setTimeout(done, pollMs));
  }
}

// Builds the Worker, migrates a fresh local D1 under `runDir` and runs `seedSql` in it, then
// starts the Worker with `vars` on a free port and a random signing secret. Returns its base
// URL, the secret, a token maker and a stop function.
export async function startLocalWorker({ runDir, seedSql, vars = [] }) {
  const state = resolve(runDir, "state");
  mkdirSync(runDir, { recursive: true });
  rmSync(state, { recursive: true, force: true });
  run("bash", ["scripts/build-worker.sh"]);
  const config = writeWorkerConfig(resolve(runDir, "wrangler.toml"));

  const seedFile = resolve(runDir, "seed.sql");
  writeFileSync(seedFile, seedSql);
  const local = ["--local", "--persist-to", state];
  run("node_modules/.bin/wrangler", ["d1", "migrations", "apply", "DB", ...local]);
  run("node_modules/.bin/wrangler", ["d1", "execute", "DB", ...local, "--file", seedFile]);

  const secret = randomBytes(32).toString("hex");
  const worker = await startWrangler({
    config,
    state,
    vars: ["ENDPOINT_ENABLED:true", `JWT_SECRET:${secret}`, `ADDRESS_HASH_KEY:${secret}`, ...vars],
  });

  const token = (sub, options = {}) =>
    new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(sub)
      .setExpirationTime(options.exp ?? Math.floor(Date.now() / 1000) + 3600)
      .sign(new TextEncoder().encode(options.secret ?? secret));
  return { base: worker.base, secret, token, stop: worker.stop };
}
