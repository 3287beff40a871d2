#!/usr/bin/env bash
# Builds tests/packaging/consumer the two ways docs/firmware-client.md offers a
# firmware engineer, and runs each program once:
#   1. add_subdirectory(<mote>/firmware-client) from this checkout;
#   2. find_package(MoteClient) after `cmake --install` of a client-only build.
#   consumer_test.sh SOURCE_DIR WORK_DIR
set -euo pipefail
src=$1
work=$2
rm -rf "$work"
mkdir -p "$work"

step() {  # step LOG command...: runs quietly, prints the log on failure
  local log=$1
  shift
  "$@" >>"$log" 2>&1 || { cat "$log"; echo "consumer_test: FAILED: $*" >&2; exit 1; }
}

step "$work/subdir.log" cmake -S "$src/tests/packaging/consumer" -B "$work/subdir" -G Ninja \
  -DMOTE_CONSUME=subdir -DMOTE_SOURCE="$src"
step "$work/subdir.log" cmake --build "$work/subdir"
"$work/subdir/consumer"
echo "consumer_test: ok: add_subdirectory(firmware-client)"

step "$work/install.log" cmake -S "$src" -B "$work/client" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DMOTE_BUILD_BROKER=OFF -DMOTE_BUILD_TESTS=OFF -DMOTE_BUILD_BENCH=OFF
step "$work/install.log" cmake --build "$work/client"
step "$work/install.log" cmake --install "$work/client" --prefix "$work/prefix"
step "$work/installed.log" cmake -S "$src/tests/packaging/consumer" -B "$work/installed" -G Ninja \
  -DMOTE_CONSUME=installed -DCMAKE_PREFIX_PATH="$work/prefix"
step "$work/installed.log" cmake --build "$work/installed"
"$work/installed/consumer"
echo "consumer_test: ok: find_package(MoteClient) from an installed prefix"
