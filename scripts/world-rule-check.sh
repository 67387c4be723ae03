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

# Several worlds, no interfaces (wRPC's version test): refused, worlds named.
versions="$shared/wit-corpus/runtime.versions/wit"
serve=(serve --target tcp://127.0.0.1:1 --listen 127.0.0.1:0)
for command in openapi serve; do
  args=("$command"); [ "$command" = serve ] && args=("${serve[@]}")
  if timeout 60 "$bin" "${args[@]}" --wit "$versions" > /dev/null 2> "$tmp/err"; then
    fail "$command started on a package with two worlds"
  fi
  grep -q 'test:versions/runner, test:versions/test' "$tmp/err" || fail "$command did not name the worlds: $(cat "$tmp/err")"
done

# Nothing callable: refused, worlds and interfaces named.
printf 'package foo:bar;\ninterface types { type id = u64; }\nworld w { export types; }\n' > "$tmp/types.wit"
for command in openapi serve; do
  args=("$command"); [ "$command" = serve ] && args=("${serve[@]}")
  if timeout 60 "$bin" "${args[@]}" --wit "$tmp/types.wit" > /dev/null 2> "$tmp/err"; then
    fail "$command started with no callable function"
  fi
  grep -q 'no callable functions in package foo:bar.*foo:bar/w.*foo:bar/types (0 functions)' "$tmp/err" || fail "$command: $(cat "$tmp/err")"
done
echo "world rule: one world served, several refused, nothing callable refused"
