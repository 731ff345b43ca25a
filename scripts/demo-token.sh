#!/usr/bin/env bash
# Prints a one-hour token for the demo account, signed with JWT_SECRET from .dev.vars.
set -euo pipefail
cd "$(dirname "$0")/.."

exec cargo run --quiet -p user-info-log-admin -- mint-token --account-id "${1:-demo}"
