#!/usr/bin/env bash
# The OpenAPI checks: every generated document is valid OpenAPI 3.1, and
# schemathesis against a live demo gateway finds no server error, no
# undocumented status and no response that violates its schema.
# Tools come pinned from PyPI into .build-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${WRPC_SHARED_DIR:-$(cd .. && pwd)/shared}"
bin="${WRPC_GATEWAY_BIN:-.build/debug/wrpc-gateway}"
venv=.build-venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q 4.32.5 || ! [ -x "$venv/bin/openapi-spec-validator" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q schemathesis==4.32.5 openapi-spec-validator==0.9.0
fi
[ -x "$bin" ] || swift build --product wrpc-gateway

# 1. The documents: the checked-in demo one is current and valid, and so is
#    the one generated for every WIT corpus entry.
diff <("$bin" openapi --wit demo/wit) openapi/demo.json >/dev/null || { echo "openapi/demo.json is stale: run $bin openapi --wit demo/wit > openapi/demo.json"; exit 1; }
"$venv/bin/openapi-spec-validator" openapi/demo.json openapi/gateway.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for entry in "$shared"/wit-corpus/*/; do
  input="$entry/wit"; [ -d "$input" ] || input=$(ls "$entry"/*.wit)
  name=$(basename "$entry")
  # A package with no interfaces and several worlds has no document of its
  # own (the gateway asks for --world): one per world instead.
  worlds=("")
  if ! "$bin" openapi --wit "$input" > /dev/null 2> "$tmp/err"; then
    grep -q 'choose one with --world: ' "$tmp/err" || { cat "$tmp/err"; exit 1; }
    read -r -a worlds <<< "$(sed -n 's/.*choose one with --world: //p' "$tmp/err" | tr -d ',')"
  fi
  for world in "${worlds[@]}"; do
    out="$tmp/$name${world:+-${world//[:\/]/-}}"
    "$bin" openapi --wit "$input" ${world:+--world "$world"} > "$out.json"
    "$bin" openapi --wit "$input" ${world:+--world "$world"} --url-streams > "$out-urls.json"
  done
done
"$venv/bin/openapi-spec-validator" "$tmp"/*.json

# 2. schemathesis against the live demo.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" demo --listen "127.0.0.1:$port" --log-level error > "$tmp/demo.log" 2>&1 &
demo=$!
trap 'kill $demo 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$port"
# schemathesis 4.32 mangles `prefixItems` in response schemas (converting them
# to draft 7 and then rejecting the result as 3.1): the operations whose
# results hold tuples run without its response-schema check, and their
# responses are validated by scripts/openapi_responses.py instead.
tuple_ops=$("$venv/bin/python" scripts/openapi_responses.py list openapi/demo.json)
exclude=(); include=()
for op in $tuple_ops; do exclude+=(--exclude-operation-id "$op"); include+=(--include-operation-id "$op"); done
# A resource handle parameter takes only a token the gateway issued (in a
# result); a made-up one that fits the schema is rightly a 400. Those
# operations run without the check that schema-valid requests succeed.
handle_ops=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(op["operationId"] for path in d["paths"].values() for op in path.values()
               if "wrpc-resource-handle" in json.dumps(op.get("requestBody", {}))))' openapi/demo.json)
handles=()
for op in $handle_ops; do exclude+=(--exclude-operation-id "$op"); handles+=(--include-operation-id "$op"); done
# Deterministic by default, so CI checks what was checked before it; set
# SCHEMATHESIS_SEED (and SCHEMATHESIS_EXAMPLES) to explore further.
if [ -n "${SCHEMATHESIS_SEED:-}" ]; then generation=(--seed "$SCHEMATHESIS_SEED"); else generation=(--generation-deterministic); fi
common=(--checks all --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" --workers 2 --phases examples,fuzzing "${generation[@]}" --warnings off)
"$venv/bin/schemathesis" run "$base/openapi.json" "${common[@]}" "${exclude[@]}"
"$venv/bin/schemathesis" run "$base/openapi.json" "${common[@]}" --exclude-checks response_schema_conformance "${include[@]}"
"$venv/bin/schemathesis" run "$base/openapi.json" "${common[@]}" --exclude-checks positive_data_acceptance "${handles[@]}"
"$venv/bin/python" scripts/openapi_responses.py check openapi/demo.json "$base"

# 3. With an API key: the served document declares its security schemes and
#    401/429 answers, and schemathesis, sending the key, is still clean (its
#    ignored_auth check also sends requests without it).
key=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
echo "schemathesis:$key" > "$tmp/keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" demo --listen "127.0.0.1:$port" --api-keys-file "$tmp/keys" --rate-limit 100000/s --log-level error > "$tmp/demo-auth.log" 2>&1 &
secured=$!
trap 'kill $demo $secured 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
curl -sf -H "X-API-Key: $key" "http://127.0.0.1:$port/openapi.json" > "$tmp/secured.json"
"$venv/bin/openapi-spec-validator" "$tmp/secured.json"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/openapi.json")" = 401 ] || { echo "/openapi.json answered without a key"; exit 1; }
"$venv/bin/schemathesis" run "$tmp/secured.json" --url "http://127.0.0.1:$port" -H "X-API-Key: $key" "${common[@]}" \
  --max-examples "${SCHEMATHESIS_AUTH_EXAMPLES:-10}" "${exclude[@]}"
echo "openapi: documents valid, schemathesis clean (also with an API key)"
