#!/usr/bin/env bash
# Regenerates docs/console.png (shown in the README): the console in headless
# Chromium against a live demo, after a call through its form.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(scripts/browser-setup.sh)
bin="${WRPC_GATEWAY_BIN:-.build/debug/wrpc-gateway}"
[ -x "$bin" ] || swift build --product wrpc-gateway
export WRPC_GATEWAY_BIN="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
export PYTHONDONTWRITEBYTECODE=1
"$venv/bin/python" Tests/Browser/screenshot.py "$(pwd)/docs/console.png"
