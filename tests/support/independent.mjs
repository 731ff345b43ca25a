// Makes password hashes and tokens with implementations independent of this project, for the
// cross-check tests: Node's own PBKDF2 and the `jose` JWT library.
//
//   node tests/support/independent.mjs pbkdf2 '{"password": "...", "iterations": 600000}'
//   node tests/support/independent.mjs jwt '{"secret": "...", "sub": "...", "alg": "HS256",
//                                           "exp_in_secs": 3600}'
//   node tests/support/independent.mjs jwt '{"jwk": {...private JWK...}, "kid": "...",
//                                           "sub": "...", "alg": "EdDSA", "exp_in_secs": 3600}'
//
// Omitting exp_in_secs makes a token without `exp`; a kid goes into the header. Each prints one
// line.
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { SignJWT, importJWK } from "jose";

const [command, json] = process.argv.slice(2);
const input = JSON.parse(json ?? "{}");

const unpadded = (bytes) => bytes.toString("base64").replace(/=+$/, "");

if (command === "pbkdf2") {
  const salt = randomBytes(16);
  const password = Buffer.from(input.password.normalize("NFC"), "utf8");
  const hash = pbkdf2Sync(password, salt, input.iterations, 32, "sha256");
  console.log(`$pbkdf2-sha256$i=${input.iterations},l=32$${unpadded(salt)}$${unpadded(hash)}`);
} else if (command === "jwt") {
  const header = input.kid === undefined ? { alg: input.alg } : { alg: input.alg, kid: input.kid };
  let token = new SignJWT({}).setProtectedHeader(header).setSubject(input.sub);
  token = token.setIssuedAt();
  if (input.exp_in_secs !== undefined) {
    token = token.setExpirationTime(Math.floor(Date.now() / 1000) + input.exp_in_secs);
  }
  const key =
    input.jwk === undefined
      ? new TextEncoder().encode(input.secret)
      : await importJWK(input.jwk, input.alg);
  console.log(await token.sign(key));
} else {
  console.error("usage: independent.mjs pbkdf2|jwt '<json>'");
  process.exit(2);
}
