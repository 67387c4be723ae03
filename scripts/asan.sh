#!/usr/bin/env bash
# The test suite under AddressSanitizer and LeakSanitizer (not in CI: its
# build takes about ten minutes on 2 cores, the tests three more). The
# gateway processes the tests start are the
# ASan build too, and inherit the options: a leak at their exit fails the
# tests that check their exit status. Suppressions, each with its reason:
# scripts/asan-suppressions.txt (a toolchain bug in Foundation's
# Process.run) and scripts/lsan-suppressions.txt (false leaks of WIT types,
# a leak in swift-crypto, a cycle in the toolchain's XCTest runner).
# Tests that bound the resident set skip that bound (ResidentMemory.measurable).
# Extra arguments go to `swift test` (e.g. --filter GatewayTests).
set -uo pipefail
cd "$(dirname "$0")/.."
export WRPC_SHARED_DIR="${WRPC_SHARED_DIR:-$(cd .. && pwd)/shared}"
# glibc's malloc, not jemalloc: the sanitizer's runtime replaces malloc (Package.swift).
export WRPC_GATEWAY_MALLOC=system
scratch=.build-asan
log="$scratch/asan.log"
swift build --build-tests --sanitize=address --scratch-path "$scratch" || exit 2
ASAN_OPTIONS="suppressions=$PWD/scripts/asan-suppressions.txt ${ASAN_OPTIONS:-}" \
LSAN_OPTIONS="suppressions=$PWD/scripts/lsan-suppressions.txt ${LSAN_OPTIONS:-}" \
  swift test --skip-build --sanitize=address --scratch-path "$scratch" "$@" >"$log" 2>&1
status=$?
echo "asan: failing tests:"
grep -E '^✘ Test .* failed after' "$log" | sed 's/^/  /'
errors=$(grep -c 'ERROR: AddressSanitizer' "$log")
leaks=$(grep -c 'ERROR: LeakSanitizer' "$log")
echo "asan: $errors memory errors, $leaks leak reports, swift test exit $status (log: $log)"
grep -A1 -E 'SUMMARY: AddressSanitizer' "$log" | sort | uniq -c | sort -rn | head -20
[ "$errors" -eq 0 ] && [ "$leaks" -eq 0 ] && [ "$status" -eq 0 ]
