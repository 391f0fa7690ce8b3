#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz: clang, ASan + UBSan) into build-fuzz and runs each
# for a bounded time: first its kept regressions, then fuzzing from its seed corpus.
# A crash, a leak, undefined behaviour, a timeout or running out of memory fails the script,
# and the input is copied to tests/fuzz/regressions/TARGET/ to be committed. docs/testing.md.
#
#   scripts/fuzz.sh                  every target, FUZZ_SECONDS (default 60) each
#   scripts/fuzz.sh topology patch   only these
#   FUZZ_SECONDS=600 scripts/fuzz.sh kea_answer
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
build=build-fuzz
all=(preferences kea_answer api_request http_head patch topology)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for t in "${targets[@]}"; do
  [ -f "tests/fuzz/${t}_fuzz.cpp" ] || { echo "fuzz: no target '$t' (known: ${all[*]})"; exit 2; }
done

# -O1 with assertions on (no -DNDEBUG): a broken assert is a finding too.
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DKEA_HA_FUZZ=ON -DKEA_HA_TESTS=OFF -DKEA_HA_JEMALLOC=OFF \
  "${launcher[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/%/_fuzz}"

export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Per input: 10 s is a hang (the seeds take milliseconds); 2 GiB is a leak or a blow-up.
limits=(-rss_limit_mb=2048 -timeout=10)

failed=()
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/${t}_fuzz"
  regressions="tests/fuzz/regressions/$t"
  work="$build/fuzz-corpus/$t"        # what fuzzing adds; the seeds in tests/ stay as committed
  artifacts="$build/fuzz-artifacts/$t"
  log="$build/fuzz-$t.log"
  rm -rf "$artifacts"
  : >"$log"
  mkdir -p "$work" "$artifacts" "$regressions"
  dict=()
  [ -f "tests/fuzz/dict/$t.dict" ] && dict=(-dict="tests/fuzz/dict/$t.dict")

  echo "== fuzz $t: regressions, then ${seconds} s from tests/fuzz/corpus/$t"
  mapfile -t kept < <(find "$regressions" -type f ! -name .gitkeep | sort)
  if [ ${#kept[@]} -gt 0 ] && ! "$bin" "${limits[@]}" "${kept[@]}" >>"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz $t: a kept regression fails again (tests/fuzz/regressions/$t); log: $log"
    failed+=("$t")
    continue
  fi
  if "$bin" "${limits[@]}" "${dict[@]}" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "$work" "tests/fuzz/corpus/$t" >>"$log" 2>&1; then
    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" | tr '\n' ' '; echo
    continue
  fi
  failed+=("$t")
  grep -E -A 30 'ERROR: |runtime error|fuzz contract broken|ALARM|out-of-memory' "$log" | head -n 60 || tail -n 40 "$log"
  for input in "$artifacts"/*; do
    [ -f "$input" ] || continue
    cp "$input" "$regressions/"
    echo "fuzz $t: the input is kept as $regressions/$(basename "$input"): commit it with the fix"
    echo "  (replay: $bin $regressions/$(basename "$input"))"
  done
  echo "fuzz $t: FAILED; log: $log"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds} s each, nothing found"
