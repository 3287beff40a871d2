#!/usr/bin/env bash
# Measures mote-broker side by side with Debian's mosquitto using mote-bench.
#
#   scripts/bench.sh                      # 3 rounds (about 10 minutes)
#   BENCH_ROUNDS=1 BENCH_DURATION=2 scripts/bench.sh   # a quick look
#
# Both brokers run on free loopback ports with the same limits:
#   max_inflight_messages 20       (outgoing QoS 1/2 unacknowledged per client)
#   max_queued_messages 1000000    (queued QoS 1/2 per client beyond in-flight)
#   max_connections -1, allow_anonymous true, logging: errors and warnings only
# A smaller max_queued_messages makes mosquitto 2.0.11 drop QoS 1/2 messages under
# fan-in long before its queue is full (mote-bench reports that as loss). mote-bench
# itself bounds the queues: publishers pause while a subscriber is more than
# --backlog (5000) messages behind.
#
# Every scenario runs against each broker alternately (A B A B ...) for BENCH_ROUNDS
# rounds; the table gives medians and the ratio Mote/mosquitto. The latency scenario
# runs at half of mosquitto's median fan-in QoS 1 throughput. Idle-connection storms
# use a freshly started broker so that RSS per connection is measured from a clean
# baseline. Results: the table on stdout, every run's JSON line in
# $BENCH_OUT/results.jsonl, and the section "## Broker throughput, latency and memory
# (mote-bench)" of docs/benchmarks.md is rewritten (other sections are kept).
#
# Environment: BENCH_ROUNDS (3), BENCH_DURATION (4 s per throughput run),
# BENCH_BUILD_DIR (build-bench), BENCH_OUT (a temporary directory),
# BENCH_NO_DOCS=1 (do not touch docs/benchmarks.md), BENCH_SKIP_BUILD=1.
# Exit status: 0 when every run was correct (no loss at QoS 1/2, no duplicates at
# QoS 2, no reordering), 1 otherwise, 2 when something could not be set up.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION:-4}
BUILD_DIR=${BENCH_BUILD_DIR:-build-bench}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/mote-bench.XXXXXX)}
mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
: >"$RESULTS"
MOSQUITTO=/usr/sbin/mosquitto

log() { echo "bench: $*" >&2; }

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# --- setup -------------------------------------------------------------------------
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  bash scripts/setup.sh
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOTE_BUILD_BENCH=ON \
    -DCMAKE_DISABLE_FIND_PACKAGE_CppUTest=ON >/dev/null
  cmake --build "$BUILD_DIR" --target mote-bench -j "$(nproc)"
  cmake --build "$BUILD_DIR" --target mote-broker -j "$(nproc)" || log "mote-broker did not build"
fi
BENCH=$ROOT/$BUILD_DIR/tests/load/mote-bench
MOTE=$ROOT/$BUILD_DIR/broker/mote-broker
[ -x "$BENCH" ] || { log "no $BENCH"; exit 2; }
[ -x "$MOSQUITTO" ] || { log "no $MOSQUITTO"; exit 2; }
BROKERS=(mote mosquitto)
if [ ! -x "$MOTE" ]; then
  log "WARNING: no mote-broker executable; measuring mosquitto only"
  BROKERS=(mosquitto)
fi

# Idle-connection storms need descriptors in both the broker and the loader.
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
log "open files limit: $NOFILE"

# --- brokers -----------------------------------------------------------------------
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

BROKER_PID=""
BROKER_PORT=""
start_broker() {  # $1 = mote | mosquitto
  local name=$1 conf
  BROKER_PORT=$(free_port)
  conf=$OUT/$name.conf
  cat >"$conf" <<EOF
listener $BROKER_PORT 127.0.0.1
allow_anonymous true
max_connections -1
max_inflight_messages 20
max_queued_messages 1000000
log_type error
log_type warning
EOF
  if [ "$name" = mote ]; then
    "$MOTE" -c "$conf" >>"$OUT/$name.log" 2>&1 &
  else
    "$MOSQUITTO" -c "$conf" >>"$OUT/$name.log" 2>&1 &
  fi
  BROKER_PID=$!
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$BROKER_PORT") 2>/dev/null; then return 0; fi
    kill -0 "$BROKER_PID" 2>/dev/null || break
    sleep 0.1
  done
  log "$name did not start (see $OUT/$name.log)"
  return 1
}

stop_broker() {
  if [ -n "$BROKER_PID" ] && kill -0 "$BROKER_PID" 2>/dev/null; then
    kill "$BROKER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$BROKER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$BROKER_PID" 2>/dev/null || true
    wait "$BROKER_PID" 2>/dev/null || true
  fi
  BROKER_PID=""
}
trap stop_broker EXIT

# run_one BROKER SCENARIO-NAME ARGS...: one mote-bench run against a running broker;
# appends its JSON line (tagged with broker and scenario) to $RESULTS.
FAILED=0
run_one() {
  local broker=$1 name=$2 rc=0 line
  shift 2
  if [ -z "$BROKER_PID" ] || ! kill -0 "$BROKER_PID" 2>/dev/null; then
    [ -n "$BROKER_PID" ] && log "$broker died; restarting"
    start_broker "$broker" || return 1
  fi
  timeout 900 "$BENCH" --port "$BROKER_PORT" --broker-pid "$BROKER_PID" --label "$broker $name" "$@" \
    >"$OUT/run.out" 2>&1 || rc=$?
  line=$(grep '^JSON ' "$OUT/run.out" | tail -1 | cut -c6-)
  if [ -z "$line" ]; then
    line='{"ok":false,"errors":"no result (exit '$rc')"}'
  fi
  if [ "$rc" != 0 ]; then
    FAILED=1
    log "$broker $name: errors: $(grep -m1 'result' "$OUT/run.out" || true)"
  fi
  python3 - "$broker" "$name" "$line" >>"$RESULTS" <<'EOF'
import json, sys
r = json.loads(sys.argv[3])
r["broker"], r["name"] = sys.argv[1], sys.argv[2]
print(json.dumps(r))
EOF
  grep -E '^  (delivered|latency|connections|broker RSS|result)' "$OUT/run.out" | sed "s/^/  [$broker $name] /" >&2 || true
}

# --- throughput scenarios ----------------------------------------------------------
SCENARIOS=(
  "fan-in-8-1-q0|--scenario fan-in --pubs 8 --qos 0"
  "fan-in-8-1-q1|--scenario fan-in --pubs 8 --qos 1"
  "fan-in-8-1-q2|--scenario fan-in --pubs 8 --qos 2"
  "fan-out-1-100-q0|--scenario fan-out --subs 100 --qos 0"
  "fan-out-1-100-q1|--scenario fan-out --subs 100 --qos 1"
  "many-10x10-q0|--scenario many-to-many --pubs 10 --subs 10 --qos 0"
  "many-10x10-q1|--scenario many-to-many --pubs 10 --subs 10 --qos 1"
)
COMMON=(--payload 64 --duration "$DURATION" --window 16 --backlog 5000 --mqtt 3.1.1)

for round in $(seq "$ROUNDS"); do
  for entry in "${SCENARIOS[@]}"; do
    name=${entry%%|*}
    # shellcheck disable=SC2206
    args=(${entry#*|})
    for broker in "${BROKERS[@]}"; do
      # Each broker keeps running across its scenarios; switch by restarting.
      stop_broker
      start_broker "$broker" || exit 2
      log "round $round: $broker $name"
      run_one "$broker" "$name" "${args[@]}" "${COMMON[@]}"
    done
  done
done
stop_broker

# --- latency at a fixed rate -------------------------------------------------------
RATE=$(python3 - "$RESULTS" <<'EOF'
import json, statistics, sys
v = [json.loads(l) for l in open(sys.argv[1])]
d = [r.get("deliv_per_s", 0) for r in v if r["broker"] == "mosquitto" and r["name"] == "fan-in-8-1-q1" and r.get("ok")]
print(int(statistics.median(d) / 2) if d else 20000)
EOF
)
log "latency runs at $RATE msg/s (half of mosquitto's fan-in QoS 1 median)"
for round in $(seq "$ROUNDS"); do
  for broker in "${BROKERS[@]}"; do
    stop_broker
    start_broker "$broker" || exit 2
    log "round $round: $broker latency"
    run_one "$broker" "latency-q1-rate" --scenario fan-in --pubs 8 --qos 1 --rate "$RATE" "${COMMON[@]}"
  done
done
stop_broker

# --- idle connections --------------------------------------------------------------
STORMS=("idle-10k|10000")
if [ "$NOFILE" -ge 60000 ]; then
  STORMS+=("idle-50k|50000")
else
  log "ulimit -n is $NOFILE: skipping the 50 000 connection storm"
fi
for round in $(seq "$ROUNDS"); do
  for entry in "${STORMS[@]}"; do
    name=${entry%%|*}
    n=${entry#*|}
    for broker in "${BROKERS[@]}"; do
      stop_broker
      start_broker "$broker" || exit 2
      sleep 0.5  # let the fresh broker settle before the RSS baseline
      log "round $round: $broker $name"
      run_one "$broker" "$name" --scenario storm --conns "$n" --hold 3 --max-pending 512 --mqtt 3.1.1
    done
  done
done
stop_broker

# --- summary and docs --------------------------------------------------------------
CMDLINE="BENCH_ROUNDS=$ROUNDS BENCH_DURATION=$DURATION scripts/bench.sh"
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$RESULTS" "$ROUNDS" "$RATE" "$CMDLINE" "${BENCH_NO_DOCS:-0}" "$DURATION" "$LOAD_START" "$LOAD_END" "$NOFILE" <<'EOF'
import json, os, re, statistics, subprocess, sys, time

results_path, rounds, rate, cmdline, no_docs, duration, load_start, load_end, nofile = sys.argv[1:10]
runs = [json.loads(l) for l in open(results_path)]

def med(broker, name, key):
    v = [r[key] for r in runs if r.get("broker") == broker and r.get("name") == name and key in r]
    return statistics.median(v) if v else None

def all_ok(broker, name):
    v = [r.get("ok", False) for r in runs if r.get("broker") == broker and r.get("name") == name]
    if not v:
        return "n/a"
    return "yes" if all(v) else "NO ({} of {} runs failed)".format(v.count(False), len(v))

def fmt(x, unit=""):
    if x is None:
        return "n/a"
    if abs(x) >= 100:
        return "{:,.0f}{}".format(x, unit)
    return "{:.1f}{}".format(x, unit)

def fmt2(x):
    return "n/a" if x is None else "{:.2f}".format(x)

for r in runs:
    if r.get("elapsed_s"):
        r["bench_load"] = r.get("bench_cpu_s", 0) / r["elapsed_s"]

def ratio(a, b):
    return "{:.2f}x".format(a / b) if a and b else "n/a"

names = []
for r in runs:
    if r.get("name") not in names:
        names.append(r.get("name"))

rows = []
rows.append("| Scenario | Metric | Mote | mosquitto | Mote/mosquitto | Correct (Mote / mosquitto) |")
rows.append("|---|---|---|---|---|---|")
for n in names:
    ok = "{} / {}".format(all_ok("mote", n), all_ok("mosquitto", n))
    if n.startswith("idle"):
        m, q = med("mote", n, "rss_per_conn"), med("mosquitto", n, "rss_per_conn")
        rows.append("| {} | broker RSS bytes per idle connection | {} | {} | {} | {} |".format(n, fmt(m), fmt(q), ratio(m, q), ok))
        m, q = med("mote", n, "connect_per_s"), med("mosquitto", n, "connect_per_s")
        rows.append("| {} | connections/s (CONNECT to CONNACK) | {} | {} | {} | |".format(n, fmt(m), fmt(q), ratio(m, q)))
    elif n.startswith("latency"):
        for key, label in (("lat_p50_us", "p50"), ("lat_p99_us", "p99"), ("lat_p999_us", "p99.9"), ("lat_max_us", "max")):
            m, q = med("mote", n, key), med("mosquitto", n, key)
            rows.append("| {} @ {} msg/s | latency {} (us) | {} | {} | {} | {} |".format(n, rate, label, fmt(m), fmt(q), ratio(m, q), ok if label == "p50" else ""))
    else:
        m, q = med("mote", n, "deliv_per_s"), med("mosquitto", n, "deliv_per_s")
        rows.append("| {} | delivered msg/s | {} | {} | {} | {} |".format(n, fmt(m), fmt(q), ratio(m, q), ok))
        m, q = med("mote", n, "deliv_per_cpu_s"), med("mosquitto", n, "deliv_per_cpu_s")
        rows.append("| {} | deliveries per broker CPU-second | {} | {} | {} | |".format(n, fmt(m), fmt(q), ratio(m, q)))
        m, q = med("mote", n, "broker_rss_after"), med("mosquitto", n, "broker_rss_after")
        m, q = (m / 1048576.0 if m else None), (q / 1048576.0 if q else None)
        rows.append("| {} | broker RSS at the end of the run (MiB) | {} | {} | {} | |".format(n, fmt(m), fmt(q), ratio(m, q)))
        m, q = med("mote", n, "lat_p99_us"), med("mosquitto", n, "lat_p99_us")
        rows.append("| {} | latency p99 at full load (us) | {} | {} | {} | |".format(n, fmt(m), fmt(q), ratio(m, q)))
        # How busy the loader was: near 1.0 means mote-bench, not the broker, set the pace.
        m, q = med("mote", n, "bench_load"), med("mosquitto", n, "bench_load")
        rows.append("| {} | mote-bench CPU share (1.0 = loader saturated) | {} | {} | | |".format(n, fmt2(m), fmt2(q)))
# The project's targets, checked on the medians.
def target(label, value, ok):
    return "- {}: {} -> {}".format(label, value, "met" if ok else "NOT met")

checks = []
for n, goal in (("fan-in-8-1-q0", 10), ("fan-in-8-1-q1", 10), ("fan-out-1-100-q0", 5), ("fan-out-1-100-q1", 5),
                ("many-10x10-q0", 5), ("many-10x10-q1", 5)):
    m, q = med("mote", n, "deliv_per_s"), med("mosquitto", n, "deliv_per_s")
    if m is not None and q:
        checks.append(target("{} throughput >= {}x mosquitto".format(n, goal), "{:.2f}x".format(m / q), m >= goal * q))
lat = [n for n in names if n.startswith("latency")]
if lat:
    m, q = med("mote", lat[0], "lat_p99_us"), med("mosquitto", lat[0], "lat_p99_us")
    if m is not None and q is not None:
        checks.append(target("p99 at {} msg/s <= mosquitto's".format(rate), "{:.0f} us vs {:.0f} us".format(m, q), m <= q))
for n in names:
    if n.startswith("idle"):
        m = med("mote", n, "rss_per_conn")
        if m is not None:
            checks.append(target("{}: <= 1 KB broker RSS per idle connection".format(n), "{:.0f} B".format(m), m <= 1024))
if "idle-50k" not in names:
    checks.append("- 50 000 idle connections: not run (open-file limit {}; it needs about 60 000)".format(nofile))
table = "\n".join(rows) + "\n\nTargets (medians):\n\n" + "\n".join(checks)
print(table)

if no_docs == "1":
    sys.exit(0)
cpu = "unknown"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
nproc = os.cpu_count()
kernel = os.uname().release
mosq_version = subprocess.run(["/usr/sbin/mosquitto", "-h"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True).stdout.splitlines()[0].strip()
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE, text=True).stdout.strip()
heading = "## Broker throughput, latency and memory (mote-bench)"
section = """{heading}

Measured by `scripts/bench.sh` on {date}: mote-broker (commit {commit}, Release) and
{mosq} on the same machine, one after the other (A B A B ...), {rounds} round(s),
medians shown. Machine: {nproc} CPU(s), {cpu}, Linux {kernel}; the load generator
(mote-bench, one process, one libuv loop) shares the machine with the broker. Load
average (1, 5, 15 min) at the start: {load_start}; at the end: {load_end}. With other
work on the machine the brokers get only a share of the CPUs, so absolute rates vary
between runs; "deliveries per broker CPU-second" is the steadier comparison.

Command:

```
{cmdline}
```

Equal limits for both brokers: `max_inflight_messages 20`, `max_queued_messages
1000000`, `max_connections -1`, anonymous access, errors and warnings logged only.
Throughput runs: {duration} s of publishing, 64-byte payloads, MQTT 3.1.1, a window of
16 unacknowledged QoS 1/2 PUBLISH per publisher, and publishers pause while a
subscriber is more than 5000 messages behind (so broker queues stay bounded and the
figures are sustained rates, not queue fill rates). "Correct" means no loss at QoS 1
and 2, no duplicates at QoS 0 and 2, no reordering per publisher, no protocol error.
The latency scenario is fan-in 8->1 at QoS 1 at a fixed {rate} msg/s, half of
mosquitto's median fan-in QoS 1 throughput. Idle connections are opened against a
freshly started broker; bytes per connection = (broker VmRSS with all connections
held - VmRSS before) / connections.

{table}
""".format(heading=heading, date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), commit=commit,
           mosq=mosq_version, rounds=rounds, nproc=nproc, cpu=cpu, kernel=kernel, cmdline=cmdline,
           duration=duration, rate=rate, table=table, load_start=load_start, load_end=load_end)
analysis = "tests/load/bench-analysis.md"
if os.path.exists(analysis):
    section += "\n" + open(analysis).read().rstrip("\n") + "\n"

path = "docs/benchmarks.md"
text = open(path).read() if os.path.exists(path) else "# Mote benchmarks\n\n"
start = text.find(heading)
if start < 0:
    text = text.rstrip("\n") + "\n\n" + section
else:
    nxt = re.search(r"^## ", text[start + len(heading):], re.M)
    end = start + len(heading) + nxt.start() if nxt else len(text)
    text = text[:start] + section + ("\n" if nxt else "") + text[end:]
open(path, "w").write(text)
print("bench: rewrote the mote-bench section of " + path, file=sys.stderr)
EOF
log "all JSON results: $RESULTS"
exit "$FAILED"
