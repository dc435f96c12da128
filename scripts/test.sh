#!/usr/bin/env bash
# Sets up a fresh Debian machine, checks formatting, builds ebb with warnings as errors, runs
# every test, then builds and runs the unit and integration tests again under ASan+UBSan, then
# runs every libFuzzer target for a fixed time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== clang-format"
scripts/format.sh --check

echo "== build (warnings as errors)"
scripts/build.sh build -DEBB_WERROR=ON -DEBB_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "== tests"
(cd build && ctest --output-on-failure --timeout 900 -j2)

echo "== build (ASan+UBSan)"
scripts/build.sh build-asan -DEBB_WERROR=ON -DEBB_SANITIZE=ON -DEBB_BUILD_TESTS=ON \
  -DEBB_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug
echo "== tests under ASan+UBSan (container, manifest, end-to-end and fault-matrix tests ran above)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure --timeout 900 -j2 -LE 'container|manifests|e2e|faults')

echo "== fuzzing (libFuzzer under ASan+UBSan, a fixed time per target)"
scripts/fuzz.sh
