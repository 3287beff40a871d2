#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every suite.
#   1. host build with GCC, warnings as errors: unit, interop, e2e and smoke-load tests
#   2. Clang build with ASan+UBSan and libFuzzer: the same suites plus bounded fuzz runs
#   3. cross builds for Cortex-M and ARM Linux: no-heap check and size report
# Exits non-zero on the first failing stage.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash scripts/setup.sh

JOBS=$(nproc)
CTEST_ARGS=(--output-on-failure --no-tests=error -j "$JOBS")

stage() { printf '\n=== %s ===\n' "$*"; }

stage "host build (gcc, -Werror)"
cmake -S . -B build/ci -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMOTE_WERROR=ON >/dev/null
cmake --build build/ci -j "$JOBS"
stage "host tests"
(cd build/ci && ctest "${CTEST_ARGS[@]}")

stage "sanitizer build (clang, ASan+UBSan, libFuzzer)"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMOTE_WERROR=ON \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DMOTE_SANITIZE=ON -DMOTE_FUZZ=ON -DMOTE_BUILD_BENCH=OFF >/dev/null
cmake --build build/asan -j "$JOBS"
stage "sanitizer tests and fuzz runs"
(cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest "${CTEST_ARGS[@]}")

if [ -x scripts/cross-check.sh ]; then
  stage "cross builds, no-heap check and size report"
  bash scripts/cross-check.sh
fi

stage "all suites passed"
