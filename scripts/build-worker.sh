#!/usr/bin/env bash
# Builds the Worker into build/worker/: Rust to wasm, wasm-bindgen glue, wasm-opt, and the shim.
#
# worker-build would otherwise download wasm-bindgen, wasm-opt and esbuild from release pages;
# it uses these variables instead, pointing at what scripts/setup.sh installed.
set -euo pipefail
cd "$(dirname "$0")/.."

# The integration tests build once and then start several `wrangler dev` instances, each of
# which would run this script again and race on build/; they set this to skip the repeat.
if [[ "${USERLOG_SKIP_BUILD:-}" == "1" ]]; then
  exit 0
fi

cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$cargo_bin/wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/.bin/esbuild}"

exec "$cargo_bin/worker-build" --release
