#!/usr/bin/env bash
# Runs the gateway with its embedded demo backend on http://127.0.0.1:8080
# (pass --listen HOST:PORT to change it). Installs missing system packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-deps.sh
swift build --product wrpc-gateway
exec .build/debug/wrpc-gateway demo "$@"
