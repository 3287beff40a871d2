#!/usr/bin/env bash
# The durable store's crash campaign: the test of tests/interop/store/test_crash.py
# with more SIGKILLs. mote-broker (persistence true, strict durability unless told
# otherwise) is killed at random moments while QoS 1 and QoS 2 publishers send into
# the persistent sessions of an online and an intermittently offline subscriber;
# at the end every acknowledged message must have reached both subscribers (QoS 1 at
# least once, QoS 2 exactly once, in order per publisher).
#
#   scripts/crash-campaign.sh            # 1000 kills
#   scripts/crash-campaign.sh 200        # 200 kills
#   CRASH_SEED=42 CRASH_DURABILITY=relaxed scripts/crash-campaign.sh 50
#
# Environment: CRASH_BUILD_DIR (build/dev), CRASH_SEED (the time), CRASH_DURABILITY
# (strict). Exit status 0 when nothing acknowledged was lost or duplicated.
set -euo pipefail
cd "$(dirname "$0")/.."
kills="${1:-1000}"
build="${CRASH_BUILD_DIR:-build/dev}"
if [ ! -x "$build/broker/mote-broker" ]; then
  cmake --build "$build" -j2 --target mote-broker
fi
seed="${CRASH_SEED:-$(date +%s)}"
MOTE_BROKER="$build/broker/mote-broker" PYTHONPATH=tests/interop PYTHONDONTWRITEBYTECODE=1 \
  exec python3 tests/interop/store/test_crash.py --kills "$kills" --seed "$seed" \
  --durability "${CRASH_DURABILITY:-strict}"
