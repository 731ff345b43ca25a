#!/usr/bin/env bash
# Installs everything the build and the tests need, on a machine that has only Rust and Node.js.
# Safe to run again: each step skips what is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*" >&2; }

for tool in cargo node npm; do
  command -v "$tool" >/dev/null || { echo "setup: $tool is required but not on PATH" >&2; exit 1; }
done

if [[ ! -x node_modules/.bin/wrangler || package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "installing wrangler, wasm-opt and test helpers from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
fi

if command -v rustup >/dev/null; then
  rustup target list --installed | grep -qx wasm32-unknown-unknown \
    || { say "adding the wasm32-unknown-unknown target"; rustup target add wasm32-unknown-unknown; }
  # A minimal rustup profile leaves these out; the test command needs both.
  for component in clippy rustfmt; do
    rustup component list --installed | grep -q "^$component" \
      || { say "adding the $component component"; rustup component add "$component"; }
  done
fi

cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"

# worker-build and wasm-bindgen are built from crates.io (several minutes, once per machine).
if [[ "$("$cargo_bin/worker-build" --version 2>/dev/null)" != *"0.8.7"* ]]; then
  say "building worker-build 0.8.7 (first run only, about 5 minutes)"
  cargo install worker-build --version 0.8.7 --locked
fi

# The CLI must be the exact version of the wasm-bindgen crate in Cargo.lock. It is installed
# without --locked because its own lock file names a crate release that has since been yanked.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
if [[ "$("$cargo_bin/wasm-bindgen" --version 2>/dev/null)" != "wasm-bindgen $bindgen_version" ]]; then
  say "building wasm-bindgen-cli $bindgen_version (first run only, about 5 minutes)"
  cargo install wasm-bindgen-cli --version "$bindgen_version"
fi
