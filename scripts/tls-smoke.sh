#!/usr/bin/env bash
# HTTPS as a user runs it: the built binary's demo with a certificate made
# here, a call with curl, then the certificate replaced and SIGHUP sent:
# new connections get the new one, and a bad file keeps it. The
# healthcheck command speaks HTTPS when WRPC_GATEWAY_TLS_CERT is set.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${WRPC_GATEWAY_BIN:-.build/debug/wrpc-gateway}"
tmp=$(mktemp -d)
trap 'kill $demo 2>/dev/null || true; rm -rf "$tmp"' EXIT
demo=
cert() { # NAME: an authority NAME-ca and a localhost certificate NAME signed by it
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$1 ca" \
    -keyout "$tmp/$1-ca.key" -out "$tmp/$1-ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout "$tmp/$1.key" -out "$tmp/$1.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$tmp/$1.ext"
  openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/$1-ca.pem" -CAkey "$tmp/$1-ca.key" -CAcreateserial -days 2 \
    -extfile "$tmp/$1.ext" -out "$tmp/$1.pem" 2>/dev/null
}
cert old
cert new
cp "$tmp/old.pem" "$tmp/live.pem"
cp "$tmp/old.key" "$tmp/live.key"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" demo --listen "127.0.0.1:$port" --tls-cert "$tmp/live.pem" --tls-key "$tmp/live.key" > "$tmp/demo.log" 2>&1 &
demo=$!
base="https://localhost:$port"
for _ in $(seq 1 100); do curl -sf --cacert "$tmp/old-ca.pem" "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
fail() { echo "tls-smoke: $1"; cat "$tmp/demo.log"; exit 1; }
[ "$(curl -s --cacert "$tmp/old-ca.pem" "$base/invoke/wrpc-gateway:demo/greeter@0.1.0/hello" \
     -H 'Content-Type: application/json' -d '{"name": "tls"}')" = '"Hello, tls!"' ] || fail "no answer over HTTPS"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true)" = 000 ] || fail "plain HTTP was answered"
WRPC_GATEWAY_TLS_CERT="$tmp/live.pem" "$bin" healthcheck --listen "127.0.0.1:$port" || fail "healthcheck over HTTPS failed"
if "$bin" healthcheck --listen "127.0.0.1:$port" 2>/dev/null; then fail "a plain-HTTP healthcheck passed on the TLS port"; fi
cp "$tmp/new.pem" "$tmp/live.pem"
cp "$tmp/new.key" "$tmp/live.key"
kill -HUP $demo
for _ in $(seq 1 50); do grep -q "TLS certificates reloaded" "$tmp/demo.log" && break; sleep 0.1; done
curl -sf --cacert "$tmp/new-ca.pem" "$base/healthz" >/dev/null || fail "the new certificate is not served after SIGHUP"
if curl -sf --cacert "$tmp/old-ca.pem" "$base/healthz" >/dev/null 2>&1; then fail "the old certificate is still served"; fi
echo broken > "$tmp/live.pem"
kill -HUP $demo
for _ in $(seq 1 50); do grep -q "TLS reload failed" "$tmp/demo.log" && break; sleep 0.1; done
grep -q "TLS reload failed" "$tmp/demo.log" || fail "a broken certificate file was not reported"
curl -sf --cacert "$tmp/new-ca.pem" "$base/healthz" >/dev/null || fail "a failed reload dropped the certificate in use"
kill -TERM $demo
wait $demo || fail "the demo did not stop cleanly"
demo=
echo "tls: HTTPS served, plain HTTP refused, healthcheck over HTTPS, certificates reloaded on SIGHUP"
