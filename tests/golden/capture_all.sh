#!/usr/bin/env bash
# Runs every capture that tests/unit/common/golden/golden_test.cpp is built from and
# prints the packets with the exact command lines. Each run starts capture.py on a
# free loopback port and stops it by waiting for its PID (it exits after DISCONNECT).
# Usage: tests/golden/capture_all.sh [PAHO_CAPTURE_BINARY]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
paho=${1:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() {  # deliver-topic, command... (the command gets -h/-p or PORT appended by caller)
  local deliver=$1; shift
  rm -f "$tmp/port"
  local args=(--port-file "$tmp/port" --timeout 8)
  [ -n "$deliver" ] && args+=(--deliver "$deliver")
  python3 "$here/capture.py" "${args[@]}" > "$tmp/out" &
  local cap=$!
  for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
  local port; port=$(cat "$tmp/port")
  local cmd=("${@//@PORT@/$port}")
  "${cmd[@]}" > /dev/null 2>&1 || true
  wait "$cap"
  echo "== $*"
  cat "$tmp/out"
}

echo "mosquitto clients: $(mosquitto_pub --help | sed -n 2p)"
run "" mosquitto_pub -h 127.0.0.1 -p @PORT@ -V mqttv311 -i golden-pub -q 1 -t golden/t -m hello \
  --will-topic golden/will --will-payload bye --will-qos 1 --will-retain -u user -P pass
run "" mosquitto_pub -h 127.0.0.1 -p @PORT@ -V mqttv5 -i golden-pub5 -q 2 -t golden/t -m hello -k 30 \
  --will-topic golden/will --will-payload bye --will-qos 1 \
  -D connect session-expiry-interval 60 -D connect receive-maximum 10 \
  -D will will-delay-interval 5 -D will content-type text/plain \
  -D publish user-property k v -D publish content-type text/plain -D publish message-expiry-interval 30
run golden/t mosquitto_sub -h 127.0.0.1 -p @PORT@ -V mqttv311 -i golden-sub -q 2 -t golden/t -t 'golden/+/x' -C 1
run golden/t mosquitto_sub -h 127.0.0.1 -p @PORT@ -V mqttv5 -i golden-sub5 -q 1 -t golden/t -t 'golden/#' -C 1 \
  -D subscribe subscription-identifier 7 -D subscribe user-property a b
if [ -n "$paho" ]; then
  echo "paho: libpaho-mqttpp3 $(dpkg-query -W -f '${Version}' libpaho-mqttpp-dev 2>/dev/null || echo '?')," \
       "libpaho-mqtt3 $(dpkg-query -W -f '${Version}' libpaho-mqtt-dev 2>/dev/null || echo '?')"
  run "" "$paho" @PORT@ 4
  run "" "$paho" @PORT@ 5
fi
