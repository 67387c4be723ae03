#!/usr/bin/env bash
# Pools as a user runs them: two demo-backend processes behind one gateway
# (`--target A,B`); one killed with SIGKILL, calls keep succeeding and
# /readyz names it; the other stopped with SIGSTOP (hung): calls that land
# on it get 504 at the gateway's deadline, and once two in a row failed
# with nothing completed for --hung-after-ms it is ejected; with the other
# refusing, the pool is in panic and still calls it (504, not 503); resumed,
# its first completed call brings it back; killed too, calls get 503 at once.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${WRPC_GATEWAY_BIN:-.build/debug/wrpc-gateway}"
[ -x "$bin" ] || swift build --product wrpc-gateway
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
p1=$(free_port); p2=$(free_port); gp=$(free_port)
"$bin" demo-backend --listen "tcp://127.0.0.1:$p1" --threads 1 --log-level warning & b1=$!
"$bin" demo-backend --listen "tcp://127.0.0.1:$p2" --threads 1 --log-level warning & b2=$!
trap 'kill -CONT $b2 2>/dev/null || true; kill $b1 $b2 ${gw:-} 2>/dev/null || true' EXIT
for p in $p1 $p2; do
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.1; done
done
WRPC_GATEWAY_ROUTES="wrpc-gateway:demo/types@0.1.0=tcp://127.0.0.1:$p2,tcp://127.0.0.1:$p1" \
"$bin" serve --wit demo/wit --target "tcp://127.0.0.1:$p1" --target "tcp://127.0.0.1:$p2" --balance round-robin \
  --eject-base-ms 60000 --eject-max-ms 60000 --timeout-ms 1000 --hung-after-ms 1000 --eject-after-failures 2 --readyz-details --listen "127.0.0.1:$gp" --threads 1 --log-level error & gw=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$gp/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
base="http://127.0.0.1:$gp"
hello() { curl -s -o /dev/null -w '%{http_code}' "$base/invoke/wrpc-gateway:demo/greeter@0.1.0/hello" \
  -H 'Content-Type: application/json' -H "Wrpc-Timeout-Ms: ${1:-10000}" -d '{"name":"pool"}'; }

python3 - "$(curl -s "$base/functions")" "$p1" "$p2" <<'PY'
import json, sys
functions, p1, p2 = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
pools = {f["instance"]: (f["target"], [b["target"] for b in f["backends"]]) for f in functions}
a, b = f"tcp://127.0.0.1:{p1}", f"tcp://127.0.0.1:{p2}"
assert pools["wrpc-gateway:demo/greeter@0.1.0"] == (f"{a},{b}", [a, b]), pools
assert pools["wrpc-gateway:demo/types@0.1.0"] == (f"{b},{a}", [b, a]), pools
PY
for _ in 1 2 3 4; do [ "$(hello)" = 200 ] || { echo "pool-check: a call failed with both backends up"; exit 1; }; done
metrics=$(curl -s "$base/metrics")
for p in $p1 $p2; do
  grep -q "wrpc_gateway_backend_calls_total{target=\"tcp://127.0.0.1:$p\"} 2" <<<"$metrics" \
    || { echo "pool-check: round-robin did not give tcp://127.0.0.1:$p two calls"; echo "$metrics" | grep backend; exit 1; }
done

kill -KILL $b1; wait $b1 2>/dev/null || true
for _ in $(seq 1 10); do [ "$(hello)" = 200 ] || { echo "pool-check: a call failed after one backend was killed"; exit 1; }; done
ready=$(curl -s "$base/readyz")
grep -q '"status":"ready"' <<<"$ready" && grep -q "tcp://127.0.0.1:$p1" <<<"$ready" \
  || { echo "pool-check: /readyz does not name the killed backend: $ready"; exit 1; }
echo "pool-check: SIGKILL of one backend: every call succeeded, /readyz names it"

kill -STOP $b2
# Wrpc-Timeout-Ms 1000 is the gateway's own deadline (--timeout-ms), so its passing counts.
expect_504() {
  local start code elapsed
  start=$(date +%s%N)
  code=$(hello 1000)
  elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
  [ "$code" = 504 ] || { echo "pool-check: a call to the stopped backend got $code, not 504 ($1)"; exit 1; }
  [ "$elapsed" -ge 990 ] || { echo "pool-check: the 504 came after $elapsed ms, before the 1000 ms deadline ($1)"; exit 1; }
}
ejections() { curl -s "$base/metrics" | grep -F "wrpc_gateway_backend_ejections_total{target=\"tcp://127.0.0.1:$p2\"}" | awk '{print $2}'; }
expect_504 "first"
[ "$(ejections)" = 0 ] || { echo "pool-check: one timed-out call ejected the stopped backend"; exit 1; }
expect_504 "second"
[ "$(ejections)" = 1 ] || { echo "pool-check: two timed-out calls with nothing completed for 1 s did not eject the stopped backend"; exit 1; }
expect_504 "panic: the other refuses, so the pool still calls the stopped one"
curl -s "$base/metrics" | grep -qF "wrpc_gateway_backend_panic_calls_total{target=\"tcp://127.0.0.1:$p2\"} 1" \
  || { echo "pool-check: the call in panic is not counted"; exit 1; }
echo "pool-check: SIGSTOP of the other: 504 at the deadline, ejected after two with nothing completed, still called in panic"
kill -CONT $b2
[ "$(hello)" = 200 ] || { echo "pool-check: the resumed backend did not answer"; exit 1; }
curl -s "$base/readyz" | grep -q '"status":"ready"' || { echo "pool-check: /readyz is not ready with the resumed backend"; exit 1; }
kill -KILL $b2; wait $b2 2>/dev/null || true
start=$(date +%s%N)
code=$(hello 20000)
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$code" = 503 ] || { echo "pool-check: with both backends refusing a call got $code, not 503"; exit 1; }
[ "$elapsed" -lt 5000 ] || { echo "pool-check: the 503 took $elapsed ms (deadline 20000)"; exit 1; }
curl -s "$base/readyz" | grep -q '"code":"unavailable"' || { echo "pool-check: /readyz is ready with no backend"; exit 1; }
echo "pool-check: resumed, it answered and was back; both killed: 503 at once ($elapsed ms) and not ready"
kill -TERM $gw; wait $gw || { echo "pool-check: the gateway did not stop cleanly"; exit 1; }
