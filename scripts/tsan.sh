#!/usr/bin/env bash
# The test suite under ThreadSanitizer (not in CI: about 20 minutes on 2
# cores). Built with -DWRPC_TSAN so that `Locked` tells TSan about each
# lock (Swift's Mutex is invisible to it: see Sources/Locking/Locked.swift).
# Prints every distinct pair of racing accesses; exits 1 if TSan reported
# any. Timing-bound tests fail under TSan's slowdown; they are listed, not
# counted. Extra arguments go to `swift test` (e.g. --filter EventLoopsTests).
set -uo pipefail
cd "$(dirname "$0")/.."
export WRPC_SHARED_DIR="${WRPC_SHARED_DIR:-$(cd .. && pwd)/shared}"
scratch=.build-tsan
log="$scratch/tsan.log"
swift build --build-tests --sanitize=thread -Xswiftc -DWRPC_TSAN --scratch-path "$scratch" || exit 2
TSAN_OPTIONS="halt_on_error=0 report_signal_unsafe=0 ${TSAN_OPTIONS:-}" \
  swift test --skip-build --sanitize=thread --scratch-path "$scratch" "$@" >"$log" 2>&1
echo "tsan: failing tests (timing bounds under TSan's slowdown are expected):"
grep -E '^✘ Test [^ ]+ failed' "$log" | sed 's/^/  /'
reports=$(grep -c 'WARNING: ThreadSanitizer' "$log")
echo "tsan: $reports reports (log: $log)"
awk '/WARNING: ThreadSanitizer/{w=1; n=0; next}
     w && /^  (Read|Write|Modifying|Previous|Swift access)/{getline l; split(l, a, " "); sig = sig " | " a[2]; n++; if (n == 2) {print sig; sig = ""; w = 0}}' "$log" \
  | sort | uniq -c | sort -rn | head -40 | swift demangle --simplified
[ "$reports" -eq 0 ]
