#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, docs/fuzzing.md) with clang under ASan+UBSan in build-fuzz
# and runs each for a fixed time, two at a time, from the committed corpus (fuzz/corpus/<target>).
# Fails on any crash, leak, timeout or broken invariant, printing the reproducer's path.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 40: 10 targets, 2 at a time, in under 4 min)
# EBB_FUZZ_TARGETS="quantity decide" runs only those.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-40}
# CI fuzzes with a fixed seed, so a red run is the code's doing and can be replayed; elsewhere each
# run explores anew (libFuzzer's seed 0 is random). EBB_FUZZ_SEED overrides both.
seed=${EBB_FUZZ_SEED:-$([[ ${CI:-} == true ]] && echo 1 || echo 0)}
build_dir=build-fuzz

export CCACHE_DIR=${EBB_CACHE_DIR:-$HOME/.cache/ebb}/ccache
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
mkdir -p "$CCACHE_DIR"
# Its own build type: -O1 keeps the instrumented build fast, and assertions stay on (no NDEBUG):
# Result::value() on an error is a finding too.
CC=clang CXX=clang++ cmake -S . -B "$build_dir" -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
  -DEBB_BUILD_FUZZ=ON -DEBB_BUILD_TESTS=OFF -DEBB_BUILD_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=Fuzz -DCMAKE_CXX_FLAGS_FUZZ="-O1 -gline-tables-only" >/dev/null
cmake --build "$build_dir" --target ebb_fuzz -j"$(nproc)"

targets=${EBB_FUZZ_TARGETS:-$(sed -n 's/^ebb_fuzz_target(\([a-z_]*\) .*/\1/p' fuzz/CMakeLists.txt)}
out=$build_dir/fuzz-out
rm -rf "$out"
mkdir -p "$out"

dict_for() {
  case $1 in
    documents | kubeconfig) echo fuzz/dict/yaml.dict ;;
    decide | kube_objects | prometheus_recording | prometheus_response) echo fuzz/dict/json.dict ;;
    redis_reply) echo fuzz/dict/resp.dict ;;
  esac
}

# One target: new inputs go to a scratch corpus (the committed one is only read); a crash is
# written as $out/<target>/crash-<sha1> (or leak-, timeout-, oom-).
run_one() {
  local t=$1 dict
  mkdir -p "$out/$t/new"
  dict=$(dict_for "$t")
  "$build_dir/fuzz/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -seed="$seed" \
    -print_final_stats=1 -artifact_prefix="$out/$t/" ${dict:+-dict=$dict} \
    "$out/$t/new" "fuzz/corpus/$t" >"$out/$t.log" 2>&1
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=()
pids=()
names=()
jobs=${EBB_FUZZ_JOBS:-$(nproc)}
finish() {  # waits for the oldest job
  local i=$1
  if wait "${pids[$i]}"; then
    printf '%-22s %s\n' "${names[$i]}" "$(grep -o 'stat::number_of_executed_units: *[0-9]*' \
      "$out/${names[$i]}.log" | grep -o '[0-9]*$') runs, $(grep -o 'cov: [0-9]* ft: [0-9]*' \
      "$out/${names[$i]}.log" | tail -1)"
  else
    failed+=("${names[$i]}")
  fi
}
next=0
for t in $targets; do
  run_one "$t" &
  pids+=($!)
  names+=("$t")
  if ((${#pids[@]} - next >= jobs)); then
    finish $next
    next=$((next + 1))
  fi
done
while ((next < ${#pids[@]})); do
  finish $next
  next=$((next + 1))
done

if ((${#failed[@]})); then
  for t in "${failed[@]}"; do
    echo "== fuzz_$t FAILED; log: $out/$t.log"
    grep -E 'ERROR|SUMMARY|invariant|terminate|exception|what\(\)' "$out/$t.log" | head -20 || true
    for f in "$out/$t"/crash-* "$out/$t"/leak-* "$out/$t"/timeout-* "$out/$t"/oom-*; do
      [[ -e $f ]] && echo "reproducer: $f  (rerun: $build_dir/fuzz/fuzz_$t $f)"
    done
  done
  exit 1
fi
echo "fuzz: all targets ran ${seconds}s without a finding"
