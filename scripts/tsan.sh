#!/usr/bin/env bash
# The test suite under ThreadSanitizer (not in CI: its build takes about ten
# minutes on 2 cores, the tests five more). Built with -DWRPC_TSAN so that
# `Locked` tells TSan about each lock (Swift's Mutex is invisible to it: see
# Sources/Locking/Locked.swift).
# The tests run one at a time (--no-parallel): TSan slows every thread
# several times, and run side by side the tests' own deadlines (a backend's
# 10 s for a call's header, a body's minimum rate) expired for want of CPU.
# Prints every distinct pair of racing accesses and the failing tests;
# exits 1 if TSan reported anything or a test failed. Extra arguments go to
# `swift test` (e.g. --filter EventLoopsTests).
set -uo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."
export WRPC_SHARED_DIR="${WRPC_SHARED_DIR:-$(cd .. && pwd)/shared}"
# glibc's malloc, not jemalloc: the sanitizer's runtime replaces malloc (Package.swift).
export WRPC_GATEWAY_MALLOC=system
scratch=.build-tsan
log="$scratch/tsan.log"
swift build --build-tests --sanitize=thread -Xswiftc -DWRPC_TSAN --scratch-path "$scratch" || exit 2
# Reports of every process (the gateways and backends the tests start are
# TSan builds too) go to files of their own, one per process.
reports_dir="$PWD/$scratch/tsan-reports"
rm -rf "$reports_dir" && mkdir -p "$reports_dir"
TSAN_OPTIONS="halt_on_error=0 report_signal_unsafe=0 log_path=$reports_dir/report ${TSAN_OPTIONS:-}" \
  swift test --skip-build --sanitize=thread --scratch-path "$scratch" --no-parallel "$@" >"$log" 2>&1
status=$?
echo "tsan: failing tests:"
grep -E '^✘ Test .* failed after' "$log" | sed 's/^/  /'
reports=$(cat "$log" "$reports_dir"/* 2>/dev/null | grep -c 'WARNING: ThreadSanitizer')
echo "tsan: $reports reports, swift test exit $status (log: $log, reports: $reports_dir)"
awk '/WARNING: ThreadSanitizer/{w=1; n=0; next}
     w && /^  (Read|Write|Modifying|Previous|Swift access)/{getline l; split(l, a, " "); sig = sig " | " a[2]; n++; if (n == 2) {print sig; sig = ""; w = 0}}' "$log" "$reports_dir"/* \
  | sort | uniq -c | sort -rn | head -40 | swift demangle --simplified
[ "$reports" -eq 0 ] && [ "$status" -eq 0 ]
