// The benchmark's baseline: the same endpoint written the way a JavaScript Worker would be, with
// WebCrypto for HMAC and PBKDF2, against the same D1 schema and queries. It answers the same
// envelopes for the paths the benchmark takes, and is not meant to be deployed.
const PATH = "/user/info/get_user_info_modification_log";
const encoder = new TextEncoder();

const envelope = (status, code, result, data = {}) =>
  new Response(JSON.stringify({ status, code, result, data }), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" },
  });
const invalidToken = () => envelope(401, "10001", "Token expired or invalid");
const invalidRequest = () => envelope(400, "10003", "Invalid request parameters");

// Keys are imported once per isolate, as a tuned JavaScript Worker would.
let hmacKey;
let addressKey;
async function verifyToken(token, secret) {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const decode = (part) =>
    Uint8Array.from(atob(part.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  let header, claims;
  try {
    header = JSON.parse(new TextDecoder().decode(decode(parts[0])));
    claims = JSON.parse(new TextDecoder().decode(decode(parts[1])));
  } catch {
    return null;
  }
  if (header.alg !== "HS256") return null;
  hmacKey ??= await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const signed = encoder.encode(`${parts[0]}.${parts[1]}`);
  if (!(await crypto.subtle.verify("HMAC", hmacKey, decode(parts[2]), signed))) return null;
  if (typeof claims.exp !== "number" || claims.exp + 60 < Date.now() / 1000) return null;
  return typeof claims.sub === "string" && claims.sub ? claims : null;
}

async function passwordMatches(password, phc) {
  const [, algorithm, params, salt, hash] = phc.split("$");
  if (algorithm !== "pbkdf2-sha256") throw new Error("stored hash");
  const iterations = Number(/i=(\d+)/.exec(params)[1]);
  const b64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(password.normalize("NFC")),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-256", salt: b64(salt), iterations },
      key,
      256,
    ),
  );
  const expected = b64(hash);
  let difference = bits.length ^ expected.length;
  for (let i = 0; i < bits.length; i++) difference |= bits[i] ^ expected[i];
  return difference === 0;
}

const mask = (id) => {
  const chars = [...id];
  if (chars.length < 8) return "*".repeat(chars.length);
  return chars.slice(0, 3).join("") + "*".repeat(chars.length - 7) + chars.slice(-4).join("");
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname !== PATH) return envelope(404, "10007", "Endpoint not found");
    if (request.method !== "POST") return envelope(405, "10008", "Method not allowed");

    const auth = request.headers.get("Authorization") ?? "";
    const claims = auth.startsWith("Bearer ")
      ? await verifyToken(auth.slice(7), env.JWT_SECRET)
      : null;
    if (!claims) return invalidToken();
    const account = await env.DB.prepare(
      "SELECT id_number, password_hash, token_generation FROM accounts WHERE id = ?1",
    )
      .bind(claims.sub)
      .first();
    if (!account || (claims.gen ?? 0) < account.token_generation) return invalidToken();

    if (!(request.headers.get("Content-Type") ?? "").startsWith("application/json"))
      return invalidRequest();
    let body;
    try {
      body = await request.json();
    } catch {
      return invalidRequest();
    }
    if (typeof body?.user_password !== "string") return invalidRequest();

    // Both attempt limits, as the Rust Worker keeps them: per address (stored as an HMAC) and
    // per account, reserved before hashing.
    const now = Date.now();
    const window = 900_000;
    const upsert = (table, key) =>
      `INSERT INTO ${table} VALUES (?1, 1, ?2) ON CONFLICT (${key}) DO UPDATE SET
         attempts = CASE WHEN window_started_ms <= ?2 - ${window} THEN 1 ELSE attempts + 1 END,
         window_started_ms = CASE WHEN window_started_ms <= ?2 - ${window} THEN ?2
                                  ELSE window_started_ms END
       RETURNING attempts`;
    addressKey ??= await crypto.subtle.importKey(
      "raw",
      encoder.encode(env.ADDRESS_HASH_KEY),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const address = request.headers.get("CF-Connecting-IP") ?? "none";
    const mac = new Uint8Array(
      await crypto.subtle.sign("HMAC", addressKey, encoder.encode(address)),
    );
    const addressHash = [...mac].map((byte) => byte.toString(16).padStart(2, "0")).join("");
    const [byAddress, byAccount] = await env.DB.batch([
      env.DB.prepare(upsert("address_attempts", "address_hash")).bind(addressHash, now),
      env.DB.prepare(upsert("password_attempts", "account_id")).bind(claims.sub, now),
    ]);
    const over =
      byAddress.results[0].attempts > Number(env.ADDRESS_MAX_FAILURES ?? 30) ||
      byAccount.results[0].attempts > Number(env.PASSWORD_MAX_FAILURES ?? 5);
    if (over) return envelope(429, "10005", "Too many password attempts, please try again later");
    if (!(await passwordMatches(body.user_password, account.password_hash))) {
      return envelope(401, "10004", "Password is incorrect");
    }

    const [, , rows] = await env.DB.batch([
      env.DB.prepare("DELETE FROM password_attempts WHERE account_id = ?1").bind(claims.sub),
      env.DB.prepare(
        "UPDATE address_attempts SET attempts = max(attempts - 1, 0) WHERE address_hash = ?1",
      ).bind(addressHash),
      env.DB.prepare(
        `SELECT data_type, value_before, value_after, changed_at_ms FROM modification_log
         WHERE account_id = ?1 ORDER BY changed_at_ms DESC, id DESC`,
      ).bind(claims.sub),
    ]);
    const userId = mask(account.id_number);
    const logs = rows.results.map((row) => ({
      user_id: userId,
      data_type: row.data_type,
      data_before_modification: row.value_before ?? "",
      data_after_modification: row.value_after ?? "",
      modification_time: new Date(row.changed_at_ms).toISOString().slice(0, 19),
    }));
    return envelope(200, "10000", "Get user info modification log successfully", {
      modification_logs: logs,
    });
  },
};
