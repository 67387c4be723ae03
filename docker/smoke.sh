#!/usr/bin/env bash
# Curl-driven checks of every route of a running gateway serving the demo WIT.
# BASE_URL defaults to the local demo (`wrpc-gateway demo` listens on 127.0.0.1:8080).
# Fails loudly, naming the check, on any wrong status or body.
set -uo pipefail
BASE_URL="${BASE_URL:-http://127.0.0.1:8080}"
GREETER="wrpc-gateway:demo/greeter@0.1.0"
TYPES="wrpc-gateway:demo/types@0.1.0"
KV="wrpc-gateway:demo/keyvalue@0.1.0"
BLOBS="wrpc-gateway:demo/blobs@0.1.0"
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check NAME EXPECTED_STATUS EXPECTED_BODY_SUBSTRING CURL_ARGS...
check() {
  local name=$1 want_status=$2 want_body=$3
  shift 3
  local status
  status=$(curl -sS -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' "$@" 2>"$tmp/err") || status="curl-failed($(cat "$tmp/err"))"
  local body
  body=$(cat "$tmp/body" 2>/dev/null)
  if [ "$status" != "$want_status" ]; then
    echo "FAIL $name: status $status, expected $want_status; body: $body" >&2
    failed=$((failed + 1))
  elif [ -n "$want_body" ] && [[ "$body" != *"$want_body"* ]]; then
    echo "FAIL $name: body $body does not contain $want_body" >&2
    failed=$((failed + 1))
  else
    echo "ok   $name"
    passed=$((passed + 1))
  fi
}

post() { # post NAME STATUS BODY_SUBSTRING PATH JSON [extra curl args...]
  local name=$1 st=$2 want=$3 path=$4 data=$5
  shift 5
  check "$name" "$st" "$want" -X POST -H 'Content-Type: application/json' --data-binary "$data" "$@" "$BASE_URL$path"
}

check "GET /healthz" 200 '"status":"ok"' "$BASE_URL/healthz"
check "GET /readyz" 200 '"status":"ready"' "$BASE_URL/readyz"
check "GET /functions" 200 '"alias":"bucket.get"' "$BASE_URL/functions"
check "GET /openapi.json" 200 '"openapi":"3.1.0"' "$BASE_URL/openapi.json"
post "hello" 200 '"Hello, smoke!"' "/invoke/$GREETER/hello" '{"name":"smoke"}'
post "hello, parameters as an array" 200 '"Hello, array!"' "/invoke/$GREETER/hello" '["array"]'
post "record" 200 '{"x":1,"y":-2}' "/invoke/$TYPES/echo-record" '{"p":{"x":1,"y":-2}}'
post "variant" 200 '{"tag":"rectangle","val":[1.5,2.0]}' "/invoke/$TYPES/echo-variant" '{"s":{"tag":"rectangle","val":[1.5,2]}}'
post "u64 max stays exact" 200 '18446744073709551615' "/invoke/$TYPES/echo-u64" '{"n":"18446744073709551615"}'
post "nested option" 200 '{"tag":"some","val":null}' "/invoke/$TYPES/echo-option" '{"o":{"tag":"some","val":null}}'
post "no result answers 204" 204 '' "/invoke/$TYPES/nothing" ''
post "resource: open a bucket" 200 '{"tag":"ok","val":"' "/invoke/$KV/open" '{"identifier":"smoke"}'
# The handle is the opaque token `open` gave, passed back as it is.
bucket=$(sed -n 's/.*"val":"\([A-Za-z0-9_-]*\)".*/\1/p' "$tmp/body")
post "resource method by alias" 200 '{"tag":"ok"}' "/invoke/$KV/bucket.set" '{"self":"'"$bucket"'","key":"k","value":"dmFsdWU="}'
post "resource method by wire name, percent-encoded" 200 '{"tag":"ok","val":"dmFsdWU="}' "/invoke/$KV/%5Bmethod%5Dbucket.get" '{"self":"'"$bucket"'","key":"k"}'
post "a handle the gateway did not issue" 400 '"path":"/self"' "/invoke/$KV/bucket.get" '{"self":"c21va2U=","key":"k"}'
post "WIT-level error is still a 200" 200 '{"tag":"err","val":{"tag":"access-denied"}}' "/invoke/$KV/open" '{"identifier":"private"}'
post "stream<u64> result as a JSON array" 200 '[1,2,3]' "/invoke/$BLOBS/count" '{"n":3}' -H 'Accept: application/json'
post "stream<u64> result as NDJSON" 200 '3' "/invoke/$BLOBS/count" '{"n":3}'
post "bad value names its place" 400 '"path":"/p/y"' "/invoke/$TYPES/echo-record" '{"p":{"x":1,"y":"no"}}'
post "malformed JSON" 400 '"code":"invalid_argument"' "/invoke/$TYPES/echo-record" '{"p":'
post "unknown function" 404 '"code":"not_found"' "/invoke/$GREETER/goodbye" '{}'
post "unknown instance" 404 '"code":"not_found"' "/invoke/nobody:here/iface/f" '{}'
check "wrong method" 405 '"code":"invalid_argument"' "$BASE_URL/invoke/$GREETER/hello"
grep -qi '^allow: POST' "$tmp/headers" && { echo "ok   405 names Allow: POST"; passed=$((passed + 1)); } || { echo "FAIL 405 without Allow: POST" >&2; failed=$((failed + 1)); }
check "unsupported content type" 415 '"code":"invalid_argument"' -X POST -H 'Content-Type: text/plain' --data-binary 'hi' "$BASE_URL/invoke/$GREETER/hello"
check "request id echoed" 200 '' -X POST -H 'X-Request-Id: smoke-1' -H 'Content-Type: application/json' --data-binary '{"name":"id"}' "$BASE_URL/invoke/$GREETER/hello"
grep -qi '^x-request-id: smoke-1' "$tmp/headers" && { echo "ok   X-Request-Id kept"; passed=$((passed + 1)); } || { echo "FAIL X-Request-Id not echoed" >&2; failed=$((failed + 1)); }
head -c $((17 * 1024 * 1024)) /dev/zero > "$tmp/big"
check "body over the limit" 413 '"code":"resource_exhausted"' -X POST -H 'Content-Type: application/json' --data-binary @"$tmp/big" "$BASE_URL/invoke/$GREETER/hello"
# stream<u8> both ways, as curl users do it.
head -c 3000000 /dev/urandom > "$tmp/blob"
sha=$(sha256sum "$tmp/blob" | cut -d' ' -f1)
check "upload a file (raw body → stream<u8>)" 200 "\"sha256\":\"$sha\"" -X POST -H 'Content-Type: application/octet-stream' --data-binary @"$tmp/blob" "$BASE_URL/invoke/$BLOBS/upload"
curl -sS -X POST -H 'Content-Type: application/json' --data-binary '{"n":1000000}' -o "$tmp/down" "$BASE_URL/invoke/$BLOBS/download"
[ "$(wc -c < "$tmp/down")" = 1000000 ] && { echo "ok   download 1 MB (stream<u8> → chunked body)"; passed=$((passed + 1)); } || { echo "FAIL download: $(wc -c < "$tmp/down") bytes" >&2; failed=$((failed + 1)); }
curl -sS -X POST -H 'Content-Type: application/octet-stream' --data-binary @"$tmp/blob" -o "$tmp/echoed" "$BASE_URL/invoke/$BLOBS/echo"
cmp -s "$tmp/blob" "$tmp/echoed" && { echo "ok   echo a file byte for byte"; passed=$((passed + 1)); } || { echo "FAIL echo differs" >&2; failed=$((failed + 1)); }
check "SSE" 200 'data: 2' -X POST -H 'Accept: text/event-stream' -H 'Content-Type: application/json' --data-binary '{"n":2}' "$BASE_URL/invoke/$BLOBS/count"
check "unknown route" 404 '"code":"not_found"' "$BASE_URL/nowhere"
check "GET / is the console" 200 '<script src="console/app.js"' "$BASE_URL/"
grep -qi "^content-security-policy: default-src 'none'" "$tmp/headers" && { echo "ok   the console has a strict CSP"; passed=$((passed + 1)); } || { echo "FAIL the console without its CSP" >&2; failed=$((failed + 1)); }
check "the console's script" 200 'wrpc-gateway console' "$BASE_URL/console/app.js"
check "GET /metrics" 200 'wrpc_gateway_http_requests_total' "$BASE_URL/metrics"

echo "smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
