#!/usr/bin/env bash
# TLS and transport-seam figures (docs/tls.md, docs/benchmarks.md "TLS listeners").
#
#   scripts/bench-tls.sh BUILD_DIR [BASELINE_MOTE_BROKER]
#
# 1. TLS: mote-broker against Debian's mosquitto with the same throw-away
#    certificates (made here with openssl: ECDSA P-256 and RSA 2048 server keys):
#    - TLS connections per second: mote-bench --scenario storm --tls (TCP connect,
#      full TLS 1.2 handshake, CONNECT/CONNACK; no session resumption), 16 at once;
#    - QoS 1 fan-in over TLS: 8 publishers, 1 subscriber, 64-byte payloads.
# 2. Plain TCP before/after the transport seam: fan-in QoS 1 and fan-out QoS 0/1
#    with BASELINE_MOTE_BROKER (a build of main) and BUILD_DIR's mote-broker,
#    alternated A B A B. Skipped without a baseline.
#
# Prints one line per run (mote-bench's summary) and a median table at the end.
# 3. WebSockets: fan-in QoS 0/1 and fan-out QoS 0 with mote-bench --ws against
#    mote-broker and mosquitto's websockets listener, and mote over plain TCP.
# Environment: ROUNDS (3), DURATION (3 s per throughput run), CONNS (300),
# SKIP_TLS=1, SKIP_WS=1 (leave those parts out).
set -euo pipefail
BUILD=${1:?usage: bench-tls.sh BUILD_DIR [BASELINE_MOTE_BROKER]}
BASE=${2:-}
MOTE=$BUILD/broker/mote-broker
BENCH=$BUILD/tests/load/mote-bench
MOSQUITTO=/usr/sbin/mosquitto
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-3}
CONNS=${CONNS:-300}
OUT=$(mktemp -d /tmp/mote-bench-tls.XXXXXX)
RESULTS=$OUT/results.txt
: >"$RESULTS"
log() { echo "bench-tls: $*" >&2; }

# --- certificates ---------------------------------------------------------------------
ossl() { (cd "$OUT" && openssl "$@" >/dev/null 2>&1); }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt -days 2 \
  -subj "/CN=Mote bench CA"
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$OUT/san.ext"
ossl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ec.key -out ec.csr -subj /CN=localhost
ossl x509 -req -in ec.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out ec.crt -days 2 -extfile san.ext
ossl req -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr -subj /CN=localhost
ossl x509 -req -in rsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out rsa.crt -days 2 -extfile san.ext
# mosquitto started as root drops to its own user: let it read the throw-away files.
chmod 755 "$OUT"; chmod 644 "$OUT"/*

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

PID=""
PORT=""
start() {  # $1 = label, $2 = binary, $3 = key kind (ec|rsa|plain)
  PORT=$(free_port)
  local conf=$OUT/$1.conf
  {
    if [ "$3" = ws ]; then
      # mosquitto 2.0.11 cannot start with only a websockets listener
      # (eclipse-mosquitto/mosquitto#2284) and binds websockets to all interfaces.
      [ "$1" = "${1#mote}" ] && echo "listener $(free_port) 127.0.0.1" && echo "listener $PORT"
      [ "$1" != "${1#mote}" ] && echo "listener $PORT 127.0.0.1"
      echo "protocol websockets"
    elif [ "$3" != plain ]; then
      echo "listener $PORT 127.0.0.1"
      echo "certfile $OUT/$3.crt"
      echo "keyfile $OUT/$3.key"
    else
      echo "listener $PORT 127.0.0.1"
    fi
    printf 'allow_anonymous true\nmax_connections -1\nmax_inflight_messages 20\nmax_queued_messages 1000000\n'
    printf 'log_type error\nlog_type warning\n'
  } >"$conf"
  "$2" -c "$conf" >>"$OUT/$1.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then sleep 0.2; return 0; fi
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  log "$1 did not start: $(tail -3 "$OUT/$1.log")"
  return 1
}

stop() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  PID=""
}

# run NAME BROKER_LABEL -- mote-bench args; records "NAME BROKER_LABEL VALUE".
run() {
  local name=$1 who=$2; shift 3
  local text value c0 c1
  c0=$(awk '{print $14+$15}' "/proc/$PID/stat")
  text=$("$BENCH" --port "$PORT" --broker-pid "$PID" "$@" 2>&1 || true)
  c1=$(awk '{print $14+$15}' "/proc/$PID/stat")
  if ! grep -q "result *OK" <<<"$text"; then
    log "$name $who: not OK:"; echo "$text" | grep -v '^JSON' >&2
    value=FAIL
  elif grep -q "^  connections" <<<"$text"; then
    value=$(sed -n 's/.*(\([0-9.]*\) conn\/s).*/\1/p' <<<"$text")
    # Broker CPU (user+system) per connection, in microseconds (clock ticks of 10 ms).
    echo "$name/broker-cpu-us-per-conn $who $(( (c1 - c0) * 10000 / CONNS ))" | tee -a "$RESULTS"
  else
    value=$(sed -n 's/^  delivered .*= \([0-9.]*\) msg\/s.*/\1/p' <<<"$text")
    # Deliveries per broker CPU-second: steadier than msg/s on a shared machine.
    local per_cpu
    per_cpu=$(sed -n 's/^  broker .* \([0-9.]*\) deliveries per CPU-second.*/\1/p' <<<"$text")
    [ -n "$per_cpu" ] && echo "$name/cpu-s $who $per_cpu" | tee -a "$RESULTS"
  fi
  echo "$name $who $value" | tee -a "$RESULTS"
}

trap 'stop' EXIT
TPUT=(--payload 64 --duration "$DURATION" --window 16 --backlog 5000 --mqtt 3.1.1)
for round in $(seq "$ROUNDS"); do
  log "round $round/$ROUNDS"
  for kind in ec rsa; do
    [ "${SKIP_TLS:-0}" = 1 ] && break
    for who in mote mosquitto; do
      bin=$MOTE; [ "$who" = mosquitto ] && bin=$MOSQUITTO
      start "$who-$kind" "$bin" "$kind"
      run "tls-connects-$kind" "$who" -- --tls "$OUT/ca.crt" --scenario storm --conns "$CONNS" --hold 0.5 \
        --max-pending 16 --mqtt 3.1.1
      stop
      start "$who-$kind" "$bin" "$kind"
      run "tls-fan-in-q1-$kind" "$who" -- --tls "$OUT/ca.crt" --scenario fan-in --pubs 8 --qos 1 "${TPUT[@]}"
      stop
    done
  done
  # MQTT over WebSockets against TCP (mote) and mosquitto's websockets listener.
  if [ "${SKIP_WS:-0}" != 1 ]; then
    for sc in "fan-in-q0|--scenario fan-in --pubs 8 --qos 0" "fan-in-q1|--scenario fan-in --pubs 8 --qos 1" \
              "fan-out-q0|--scenario fan-out --subs 100 --qos 0"; do
      for who in mote mosquitto; do
        bin=$MOTE; [ "$who" = mosquitto ] && bin=$MOSQUITTO
        start "$who-ws" "$bin" ws
        # shellcheck disable=SC2086
        run "ws-${sc%%|*}" "$who" -- --ws ${sc#*|} "${TPUT[@]}"
        stop
      done
      start "mote-tcp" "$MOTE" plain
      # shellcheck disable=SC2086
      run "ws-${sc%%|*}" "mote-tcp" -- ${sc#*|} "${TPUT[@]}"
      stop
    done
  fi
  if [ -n "$BASE" ]; then
    for who in before after; do
      bin=$MOTE; [ "$who" = before ] && bin=$BASE
      for sc in "fan-in-q1|--scenario fan-in --pubs 8 --qos 1" "fan-out-q0|--scenario fan-out --subs 100 --qos 0" \
                "fan-out-q1|--scenario fan-out --subs 100 --qos 1"; do
        start "plain-$who" "$bin" plain
        # shellcheck disable=SC2086
        run "plain-${sc%%|*}" "$who" -- ${sc#*|} "${TPUT[@]}"
        stop
      done
    done
  fi
done

echo
echo "median over $ROUNDS round(s) (conn/s for tls-connects, delivered msg/s otherwise):"
python3 - "$RESULTS" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, who, value = line.split()
    rows.setdefault(name, {}).setdefault(who, []).append(value)
for name, by in rows.items():
    cells = []
    for who, vals in by.items():
        nums = [float(v) for v in vals if v != "FAIL"]
        med = statistics.median(nums) if nums else float("nan")
        cells.append("%s %.0f%s" % (who, med, "" if len(nums) == len(vals) else " (%d FAIL)" % (len(vals) - len(nums))))
    print("%-22s %s" % (name, " | ".join(cells)))
PY
log "raw results: $RESULTS; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
