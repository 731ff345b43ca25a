#!/usr/bin/env bash
# Builds the Worker into build/worker/: Rust to wasm, wasm-bindgen glue, wasm-opt, and the shim.
#
# worker-build would otherwise download wasm-bindgen, wasm-opt and esbuild from release pages;
# it uses these variables instead, pointing at what scripts/setup.sh installed.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$cargo_bin/wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/.bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/.bin/esbuild}"

"$cargo_bin/worker-build" --release

# wasm-opt, with the feature set worker-build would enable (what workerd supports) and without
# the name section. WASM_OPT_LEVEL chooses the optimisation level, for measuring others; README,
# "Performance", says why the default stays.
features=(mutable-globals sign-ext nontrapping-float-to-int bulk-memory multivalue
  reference-types exception-handling)
"$WASM_OPT_BIN" build/index_bg.wasm -o build/index_bg.wasm "${WASM_OPT_LEVEL:--O}" \
  --strip-debug --strip-producers "${features[@]/#/--enable-}"
