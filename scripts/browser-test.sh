#!/usr/bin/env bash
# The console in a real headless Chromium against a live `wrpc-gateway demo`
# (Tests/Browser). Arguments go to pytest, e.g. -k hello.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(scripts/browser-setup.sh)
bin="${WRPC_GATEWAY_BIN:-.build/debug/wrpc-gateway}"
[ -x "$bin" ] || swift build --product wrpc-gateway
export WRPC_GATEWAY_BIN="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
export PYTHONDONTWRITEBYTECODE=1
cd Tests/Browser
exec "../../$venv/bin/pytest" -p no:cacheprovider -q "$@"
