#!/usr/bin/env bash
# No silent empty gateway, as a user meets it: `serve` and `openapi` on a
# package with only a world serve that world; with several worlds, or with
# nothing callable, they exit non-zero naming the worlds and interfaces.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${WRPC_SHARED_DIR:-$(cd .. && pwd)/shared}"
bin="${WRPC_GATEWAY_BIN:-.build/debug/wrpc-gateway}"
tmp=$(mktemp -d)
gateway=""
trap '[ -n "$gateway" ] && kill $gateway 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL world rule: $*" >&2; exit 1; }

# One world, no interfaces (wRPC's Go hello client): its world is served.
client="$shared/wit-corpus/examples.go.hello-client/wit"
"$bin" openapi --wit "$client" > "$tmp/client.json" 2> "$tmp/err" || fail "openapi on a one-world package: $(cat "$tmp/err")"
grep -q '"/invoke/wrpc-examples:hello/handler/hello"' "$tmp/client.json" || fail "openapi did not document the world's function"
grep -q 'documenting world wrpc-examples:hello-go-client/client' "$tmp/err" || fail "openapi did not say which world"
"$bin" serve --wit "$client" --target tcp://127.0.0.1:1 --listen 127.0.0.1:0 > "$tmp/serve.log" 2>&1 &
gateway=$!
for _ in $(seq 1 600); do grep -q 'listening' "$tmp/serve.log" && break; kill -0 $gateway 2>/dev/null || break; sleep 0.1; done
port=$(sed -n 's/.*address=127\.0\.0\.1:\([0-9]*\).*listening.*/\1/p' "$tmp/serve.log")
[ -n "$port" ] || fail "serve on a one-world package did not start: $(cat "$tmp/serve.log")"
grep -q 'world=wrpc-examples:hello-go-client/client.*serving the only world' "$tmp/serve.log" || fail "serve did not log the world"
curl -sf "http://127.0.0.1:$port/functions" | grep -q '"alias":"hello"' || fail "serve did not list the world's function"
kill -TERM $gateway
wait $gateway || fail "serve did not stop cleanly"
gateway=""

# refused WIT PATTERN: serve and openapi both exit non-zero on WIT, saying PATTERN.
refused() {
  local command rc
  for command in "openapi" "serve --target tcp://127.0.0.1:1 --listen 127.0.0.1:0"; do
    rc=0
    timeout 60 "$bin" $command --wit "$1" > /dev/null 2> "$tmp/err" || rc=$?
    { [ $rc -ne 0 ] && [ $rc -ne 124 ]; } || fail "${command%% *} on $1 did not refuse (exit $rc)"
    grep -q "$2" "$tmp/err" || fail "${command%% *} on $1: $(cat "$tmp/err")"
  done
}

# Several worlds, no interfaces (wRPC's version test): refused, worlds named.
refused "$shared/wit-corpus/runtime.versions/wit" 'test:versions/runner, test:versions/test'

# Nothing callable: refused, worlds and interfaces named.
printf 'package foo:bar;\ninterface types { type id = u64; }\nworld w { export types; }\n' > "$tmp/types.wit"
refused "$tmp/types.wit" 'no callable functions in package foo:bar.*foo:bar/w.*foo:bar/types (0 functions)'
echo "world rule: one world served, several refused, nothing callable refused"
