#!/usr/bin/env bash
# Starts the Worker locally at http://127.0.0.1:8787 with a local D1 database that is migrated
# and seeded with the demo accounts (demo/seed.sql). Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export CI=true WRANGLER_SEND_METRICS=false

if [[ ! -f .dev.vars ]]; then
  echo "==> creating .dev.vars from .dev.vars.example (demo secrets, local use only)"
  cp .dev.vars.example .dev.vars
fi
# A .dev.vars made by an older checkout may lack secrets added since; take them from the example.
for name in JWT_SECRET ADDRESS_HASH_KEY; do
  if ! grep -q "^$name=" .dev.vars; then
    echo "==> adding the demo $name to .dev.vars"
    grep "^$name=" .dev.vars.example >> .dev.vars
  fi
done

echo "==> migrating and seeding the local D1 database"
node_modules/.bin/wrangler d1 migrations apply DB --local
node_modules/.bin/wrangler d1 execute DB --local --file demo/seed.sql >/dev/null

echo "==> building the operator tools"
cargo build --quiet -p user-info-log-admin

cat <<'MSG'
==> starting the Worker (http://127.0.0.1:8787 unless --port says otherwise)

The first build takes a few minutes. Once wrangler reports that it is ready, try it from
another terminal in this directory, at the address wrangler printed (Ctrl-C here stops the
Worker):

  TOKEN=$(npm run --silent demo-token)
  curl -si -X POST http://127.0.0.1:8787/user/info/get_user_info_modification_log \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"user_password":"demo-password"}'

MSG

# wrangler builds the Worker first (wrangler.toml, [build]) and rebuilds it when src/ changes.
exec node_modules/.bin/wrangler dev "$@"
