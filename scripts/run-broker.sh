#!/usr/bin/env bash
# The README's run command: installs what is missing, builds mote-broker (Release)
# and runs it in the foreground. Arguments go to mote-broker, e.g.
#   scripts/run-broker.sh -c /etc/mote/mote.conf
# Without arguments the broker listens on 127.0.0.1:1883 only.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOTE_BUILD_TESTS=OFF \
  -DMOTE_BUILD_BENCH=OFF >/dev/null
cmake --build build/release --target mote-broker -j "$(nproc)"
exec build/release/broker/mote-broker "$@"
