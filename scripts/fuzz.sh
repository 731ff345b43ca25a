#!/usr/bin/env bash
# Fuzzes the parsers and checks that take request input, each for a bounded time:
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Targets: token, stored_hash, body, mask (all by default; 60 seconds each). Seeds come from
# fuzz/corpus/<target>/; what a run discovers stays in target/fuzz-corpus/ and is not committed.
# A crash leaves its input under fuzz/artifacts/<target>/: fix it, then keep the input as a unit
# test next to the code it broke.
#
# cargo-fuzz needs sanitizer flags that only nightly Rust accepts; RUSTC_BOOTSTRAP lets this
# stable toolchain accept them for this build alone.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(token stored_hash body mask)

cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
if [[ "$("$cargo_bin/cargo-fuzz" --version 2>/dev/null)" != *"0.13.2"* ]]; then
  echo "==> building cargo-fuzz 0.13.2 (first run only)" >&2
  cargo install cargo-fuzz --version 0.13.2 --locked
fi

export RUSTC_BOOTSTRAP=1
for target in "${targets[@]}"; do
  echo "==> fuzzing $target for ${seconds}s"
  found="target/fuzz-corpus/$target"
  mkdir -p "$found"
  cargo fuzz run --fuzz-dir fuzz "$target" "$found" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -max_len=16384 -print_final_stats=1
done
