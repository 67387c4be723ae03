#!/usr/bin/env bash
# libFuzzer targets (the package in fuzz/: WIT parser, JSON reader, value
# decoder fed in pieces, wRPC frame reader, request-head rules), built with
# -sanitize=fuzzer,address (Linux), each run for SECONDS (default 60) on
# seeds made at run time from ../shared (scripts/fuzz-seeds.py). Fails on
# any finding; the input that crashed is kept in .build-fuzz/findings/.
# FUZZ_TARGETS picks targets; FUZZ_JOBS runs that many workers per target.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
targets="${FUZZ_TARGETS:-FuzzWIT FuzzJSON FuzzValues FuzzFrames FuzzHead}"
scratch="$PWD/.build-fuzz"
shared="${SHARED_DIR:-../shared}"
# Only the targets asked for are built (FuzzHead alone needs none of the codec).
for t in $targets; do
  swift build --package-path fuzz --scratch-path "$scratch/build" -c release -Xswiftc -sanitize=fuzzer,address --product "$t"
done
bin="$(swift build --package-path fuzz --scratch-path "$scratch/build" -c release --show-bin-path)"
rm -rf "$scratch/seeds"
python3 scripts/fuzz-seeds.py "$shared" "$scratch/seeds"
mkdir -p "$scratch/findings"
status=0
for t in $targets; do
  corpus="$scratch/corpus/$t"
  mkdir -p "$corpus"
  log="$scratch/$t.log"
  # Leaks are checked in every target. FuzzValues keeps the WIT types of its
  # table in a static, which LeakSanitizer cannot see through (not a leak:
  # scripts/lsan-suppressions.txt); the others run unsuppressed, so FuzzWIT
  # still reports any real leak of a WIT load.
  lsan=""; [ "$t" = FuzzValues ] && lsan="suppressions=$PWD/scripts/lsan-suppressions.txt"
  # The corpus grows across local runs; the seeds are read, never written.
  if ASAN_OPTIONS="detect_leaks=1" LSAN_OPTIONS="$lsan" \
       "$bin/$t" "$corpus" "$scratch/seeds/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -detect_leaks=1 \
       -max_len=65536 -print_final_stats=1 -artifact_prefix="$scratch/findings/$t-" >"$log" 2>&1; then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    echo "fuzz: $t: no findings in ${seconds}s, $execs executions"
  else
    echo "fuzz: $t FOUND A PROBLEM (log: $log, input in $scratch/findings/):"
    grep -m5 -E 'ERROR|Fatal error|fatal error|SUMMARY' "$log" || tail -20 "$log"
    status=1
  fi
done
exit $status
