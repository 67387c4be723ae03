#!/usr/bin/env bash
# The whole test suite on a fresh machine: system packages, `swift test`,
# then the built binary as a user runs it (the WIT corpus listings, the world
# rule, the curl smoke test against a live demo, the OpenAPI checks, the
# console in a real headless Chromium, pools with backend processes killed
# and stopped), memory under backend faults, a short run of each fuzz
# target, the deployment files, and the image's build.
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
WRPC_GATEWAY_BIN="$bin" scripts/world-rule-check.sh

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
egress_sock="$(mktemp -u -t wrpc-test-egress-XXXXXX).sock"
"$bin" demo --listen "127.0.0.1:$port" --egress-listen "unix://$egress_sock" > "$log" 2>&1 &
demo=$!
trap 'kill $demo 2>/dev/null || true; rm -f "$log"' EXIT
wait_healthy() {
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "nothing healthy on port $1"; return 1
}
wait_healthy "$port"
BASE_URL="http://127.0.0.1:$port" docker/smoke.sh
"$bin" healthcheck --listen "127.0.0.1:$port"

# The demo's egress, called with JSON through a second gateway (the lines the
# demo prints): it fetches the demo gateway's own /healthz with libcurl.
port2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --wit builtin:wrpc-http --target "unix://$egress_sock" --listen "127.0.0.1:$port2" --log-level warning &
second=$!
trap 'kill $demo $second 2>/dev/null || true; rm -f "$log"' EXIT
wait_healthy "$port2"
request='{"request": {"method": {"tag": "get"}, "scheme": {"tag": "HTTP"}, "authority": "127.0.0.1:'$port'", "path-with-query": "/healthz", "headers": [], "body": "", "trailers": null}, "options": null}'
answer=$(curl -sS "http://127.0.0.1:$port2/invoke/wrpc:http/outgoing-handler@0.1.0/handle" -H 'Content-Type: application/json' -d "$request")
python3 - "$answer" <<'PY'
import base64, json, sys
answer = json.loads(sys.argv[1])
assert answer["tag"] == "ok", answer
assert answer["val"]["status"] == 200, answer
assert json.loads(base64.b64decode(answer["val"]["body"])) == {"status": "ok"}, answer
PY
denied=$(curl -sS "http://127.0.0.1:$port2/invoke/wrpc:http/outgoing-handler@0.1.0/handle" -H 'Content-Type: application/json' \
  -d '{"request": {"method": {"tag": "get"}, "scheme": {"tag": "HTTPS"}, "authority": "example.com", "path-with-query": "/", "headers": [], "body": "", "trailers": null}, "options": null}')
[ "$denied" = '{"tag":"err","val":{"tag":"HTTP-request-denied"}}' ] || { echo "the demo egress did not deny example.com: $denied"; exit 1; }
echo "demo egress: fetched the gateway's /healthz through a second gateway; other URLs denied"
kill -TERM $second
wait $second || { echo "the second gateway did not stop cleanly"; exit 1; }

kill -TERM $demo
wait $demo || { echo "the demo did not stop cleanly"; cat "$log"; exit 1; }
trap - EXIT
rm -f "$log"

WRPC_GATEWAY_BIN="$bin" scripts/tls-smoke.sh
WRPC_GATEWAY_BIN="$bin" scripts/openapi-check.sh
WRPC_GATEWAY_BIN="$bin" scripts/browser-test.sh

# Pools with real processes: SIGKILL and SIGSTOP of a backend behind one gateway.
WRPC_GATEWAY_BIN="$bin" scripts/pool-check.sh
# Memory under faults: RSS within 10% of its baseline after
# 3,050 refused, hung, killed and abandoned calls (about 75 s).
python3 scripts/fault-memory-check.py "$bin"
# libFuzzer targets (fuzz/), 20 s each: about 4 minutes with their build.
scripts/fuzz.sh 20
# The deployment files (Kubernetes manifests, Dockerfile, compose), then the
# image's build stage from exactly the files it copies (a release build).
scripts/deploy-check.sh
scripts/docker-build-check.sh
