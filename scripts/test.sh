#!/usr/bin/env bash
# The whole test suite on a fresh machine: system packages, `swift test`,
# then the built binary as a user runs it (the WIT corpus listings, the curl
# smoke test against a live demo, the OpenAPI checks).
# With arguments (e.g. --filter GatewayTests) only `swift test "$@"` runs.
# The tests read the shared spec and corpus from ../shared (or $WRPC_SHARED_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
export WRPC_SHARED_DIR="${WRPC_SHARED_DIR:-$(cd .. && pwd)/shared}"
scripts/install-system-deps.sh
if [ $# -gt 0 ]; then
  exec swift test "$@"
fi
swift test

swift build --product wrpc-gateway
bin=.build/debug/wrpc-gateway
for entry in "$WRPC_SHARED_DIR"/wit-corpus/*/; do
  input="$entry/wit"; [ -d "$input" ] || input=$(ls "$entry"/*.wit)
  diff <("$bin" wit signatures "$input" | sort) <(sort "$entry/expected-signatures.txt") >/dev/null \
    || { echo "wit signatures differs for $entry"; exit 1; }
done
echo "wit signatures: every corpus entry matches"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
"$bin" demo --listen "127.0.0.1:$port" > "$log" 2>&1 &
demo=$!
trap 'kill $demo 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
BASE_URL="http://127.0.0.1:$port" docker/smoke.sh
"$bin" healthcheck --listen "127.0.0.1:$port"
kill -TERM $demo
wait $demo || { echo "the demo did not stop cleanly"; cat "$log"; exit 1; }
trap - EXIT
rm -f "$log"

WRPC_GATEWAY_BIN="$bin" scripts/openapi-check.sh
