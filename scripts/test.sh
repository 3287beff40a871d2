#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every suite.
#   1. host build with GCC, warnings as errors: unit, interop, e2e and smoke-load tests;
#      then the client unit tests against the 3.1.1-only client (-DMOTE_MQTT5=OFF)
#   2. Clang build with ASan+UBSan and libFuzzer: the same suites plus bounded fuzz runs;
#      then the 3.1.1-only client unit tests under ASan+UBSan
#   3. cross builds for Cortex-M and ARM Linux: no-heap check and size report
# Exits non-zero on the first failing stage.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash scripts/setup.sh

JOBS=$(nproc)
CTEST_ARGS=(--output-on-failure --no-tests=error -j "$JOBS")
SAN_ENV=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
# The 3.1.1-only client (MOTE_MQTT_V5=0 for the whole tree) is what a 3.1.1-only
# firmware image flashes. Its trees build and run mote_client_tests alone: the other
# suites registered there test 5.0 as well.
V311_ARGS=(-DMOTE_MQTT5=OFF -DMOTE_BUILD_BROKER=OFF -DMOTE_BUILD_BENCH=OFF)

stage() { printf '\n=== %s ===\n' "$*"; }

stage "host build (gcc, -Werror)"
cmake -S . -B build/ci -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMOTE_WERROR=ON >/dev/null
cmake --build build/ci -j "$JOBS"
stage "host tests"
(cd build/ci && ctest "${CTEST_ARGS[@]}")

stage "3.1.1-only client build: client unit tests"
cmake -S . -B build/ci-v311 -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMOTE_WERROR=ON "${V311_ARGS[@]}" >/dev/null
cmake --build build/ci-v311 -j "$JOBS" --target mote_client_tests
build/ci-v311/tests/mote_client_tests -c

stage "sanitizer build (clang, ASan+UBSan, libFuzzer)"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMOTE_WERROR=ON \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DMOTE_SANITIZE=ON -DMOTE_FUZZ=ON -DMOTE_BUILD_BENCH=OFF >/dev/null
cmake --build build/asan -j "$JOBS"
stage "sanitizer tests and fuzz runs"
(cd build/asan && env "${SAN_ENV[@]}" ctest "${CTEST_ARGS[@]}")

stage "3.1.1-only client build (clang, ASan+UBSan): client unit tests"
cmake -S . -B build/asan-v311 -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMOTE_WERROR=ON \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DMOTE_SANITIZE=ON -DMOTE_FUZZ=OFF "${V311_ARGS[@]}" >/dev/null
cmake --build build/asan-v311 -j "$JOBS" --target mote_client_tests
env "${SAN_ENV[@]}" build/asan-v311/tests/mote_client_tests -c

if [ -x scripts/cross-check.sh ]; then
  stage "cross builds, no-heap check and size report"
  bash scripts/cross-check.sh
fi

stage "all suites passed"
