#!/usr/bin/env bash
# Runs every check: formatting, lints for the native and wasm targets, unit tests, the
# integration tests against the Worker in workerd with a throwaway local D1, and the load check.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export CI=true WRANGLER_SEND_METRICS=false

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> cargo clippy (native and wasm32)"
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo clippy --lib --target wasm32-unknown-unknown --quiet -- -D warnings

echo "==> cargo test (unit and integration)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace 2>&1 | tee "$log"

echo "==> no secret in the Workers' output"
# The integration suite lists every secret, token, password and hash it used in secrets.txt;
# none of them may appear in anything the Workers printed.
leaks=0
for run in target/integration/*/; do
  [[ -f "$run/secrets.txt" ]] || continue
  if grep -F -f "$run/secrets.txt" "$run"/logs/*.log >/dev/null; then
    echo "a secret from $run/secrets.txt appears in the Workers' output" >&2
    leaks=1
  fi
  echo "checked $(wc -l < "$run/secrets.txt") secrets against $(cat "$run"/logs/*.log | wc -l) log lines"
done
[[ "$leaks" == 0 ]] || exit 1

echo "==> wrangler deploy --dry-run for staging and production"
mkdir -p target/dry-run
for env in staging production; do
  if ! node_modules/.bin/wrangler deploy --dry-run --env "$env" --outdir "target/dry-run/$env" \
    > "target/dry-run/$env.log" 2>&1; then
    cat "target/dry-run/$env.log" >&2
    exit 1
  fi
  grep -o 'Total Upload: .*' "target/dry-run/$env.log" | sed "s/^/$env: /"
done
# The bundle's budget (README, "Performance"): wrangler's gzip figure for what it would upload.
gzip_kib=$(grep -o 'gzip: [0-9.]* KiB' target/dry-run/production.log | grep -o '[0-9.]*')
if ! awk -v kib="$gzip_kib" 'BEGIN { exit !(kib <= 250) }'; then
  echo "the bundle is $gzip_kib KiB gzip, over its budget of 250 KiB" >&2
  exit 1
fi

echo "==> load: 2000 mixed requests at concurrency 50"
node scripts/load.mjs --requests 2000 --concurrency 50

# One closing line for the whole run: the Rust tests summed over the test binaries, and the
# checks around them, which would have stopped the script had they failed.
awk '/^test result:/ { passed += $4; failed += $6 }
     END { printf "%d Rust tests passed, %d failed; ", passed, failed }' "$log"
echo "formatting, lints, secret scan, deploy dry runs and load check passed"
