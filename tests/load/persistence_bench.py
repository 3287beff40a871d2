#!/usr/bin/env python3
"""Figures for the durable store (docs/benchmarks.md, "Persistence (SQLite store)").

restart:  fills a mote-broker (persistence true, relaxed) with N retained messages
          and M persistent sessions (one subscription each), stops it (SIGTERM),
          then measures the restart: time until the listener accepts, the
          broker's own "loaded in" line, RSS after loading, database size.
fanin:    mote-bench fan-in QoS 1 (8 publishers -> 1 subscriber with a persistent
          session) against mote-broker in memory, strict and relaxed, and
          mosquitto with `persistence true`, alternately for --rounds rounds.

    persistence_bench.py --broker BUILD/broker/mote-broker --bench BUILD/tests/load/mote-bench \
        restart --retained 1000000 --sessions 10000
    persistence_bench.py --broker ... --bench ... fanin --rounds 3 --duration 4
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))

import mqttraw as raw  # noqa: E402
from harness import HOST, free_port, rss_kb  # noqa: E402

MOSQUITTO = "/usr/sbin/mosquitto"


def start(binary, conf_lines, workdir, name):
    port = free_port()
    conf = os.path.join(workdir, name + ".conf")
    with open(conf, "w") as f:
        f.write("listener %d %s\nallow_anonymous true\n" % (port, HOST) + "\n".join(conf_lines) + "\n")
    log = open(os.path.join(workdir, name + ".log"), "ab")
    t0 = time.monotonic()
    proc = subprocess.Popen([binary, "-c", conf], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    while True:
        if proc.poll() is not None:
            raise RuntimeError("%s exited: %s" % (name, open(log.name).read()[-2000:]))
        try:
            socket.create_connection((HOST, port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.005)
    return proc, port, time.monotonic() - t0, log


def stop(proc):
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait(timeout=600)


def db_bytes(workdir):
    return sum(os.path.getsize(os.path.join(workdir, f)) for f in os.listdir(workdir)
               if f.startswith("mote.db"))


def fill(port, retained, sessions, payload):
    c = raw.RawClient(port, timeout=30)
    c.connect_ok(4, client_id="filler")
    batch = []
    for i in range(retained):
        batch.append(raw.publish(4, "retained/%d/%d" % (i // 1000, i % 1000), payload, qos=0, retain=True))
        if len(batch) == 2000:
            c.send(b"".join(batch))
            batch = []
    if batch:
        c.send(b"".join(batch))
    c.send(raw.h("C0 00"))  # PINGRESP after every PUBLISH before it was handled
    first, _ = c.recv_packet(600)
    assert first == 0xD0
    c.close()
    for i in range(sessions):
        s = raw.RawClient(port, timeout=30)
        s.connect_ok(4, client_id="persist-%d" % i, clean=False)
        s.send(raw.subscribe(4, 1, "devices/%d/cmd" % i, 1))
        first, _ = s.recv_packet(30)
        assert first == 0x90
        s.send(raw.h("E0 00"))
        s.close()


def restart_bench(args):
    workdir = tempfile.mkdtemp(prefix="mote-pbench-")
    conf = ["persistence true", "persistence_location %s" % workdir, "persistence_durability relaxed",
            "sys_interval 0", "log_type error", "log_type warning", "log_type notice"]
    payload = b"p" * args.payload
    proc, port, _, log = start(args.broker, conf, workdir, "fill")
    rss0 = rss_kb(proc.pid)
    t0 = time.monotonic()
    fill(port, args.retained, args.sessions, payload)
    fill_s = time.monotonic() - t0
    time.sleep(1.5)  # the relaxed commit
    rss_full = rss_kb(proc.pid)
    stop(proc)
    log.close()
    size = db_bytes(workdir)
    results = []
    for _ in range(args.rounds):
        proc, port, ready_s, log = start(args.broker, conf, workdir, "restart")
        rss = rss_kb(proc.pid)
        c = raw.RawClient(port)
        c.connect_ok(4, client_id="persist-0", clean=False)
        c.close()
        stop(proc)
        log.close()
        text = open(os.path.join(workdir, "restart.log")).read()
        loaded = [int(x) for x in re.findall(r"loaded in (\d+) ms", text)][-1]
        restored = re.findall(r"restored (\d+) session\(s\), (\d+) subscription\(s\), (\d+) retained", text)[-1]
        results.append({"ready_s": round(ready_s, 2), "loaded_ms": loaded, "rss_kb": rss,
                        "restored": [int(x) for x in restored]})
    out = {"retained": args.retained, "sessions": args.sessions, "payload": args.payload,
           "fill_s": round(fill_s, 1), "rss_empty_kb": rss0, "rss_full_kb": rss_full, "db_bytes": size,
           "restarts": results}
    print("JSON " + json.dumps(out))
    shutil.rmtree(workdir, ignore_errors=True)


def fanin_bench(args):
    variants = [
        ("mote-memory", args.broker, []),
        ("mote-strict", args.broker, ["persistence true", "persistence_durability strict"]),
        ("mote-relaxed", args.broker, ["persistence true", "persistence_durability relaxed"]),
        # Strict delivers at most one in-flight window per commit to a subscriber:
        # the same run with a larger window.
        ("mote-strict-inflight200", args.broker, ["persistence true", "persistence_durability strict",
                                                   "max_inflight_messages 200"]),
        ("mosquitto-persistence", MOSQUITTO, ["persistence true"]),
    ]
    rates = {name: [] for name, _, _ in variants}
    for rnd in range(args.rounds):
        for name, binary, extra in variants:
            workdir = tempfile.mkdtemp(prefix="mote-pbench-")
            conf = ["max_queued_messages 1000000", "log_type error", "log_type warning"]
            if not any(l.startswith("max_inflight_messages") for l in extra):
                conf.append("max_inflight_messages 20")
            conf += [l for l in extra] + (["persistence_location %s/" % workdir] if extra else [])
            proc, port, _, log = start(binary, conf, workdir, name)
            cmd = [args.bench, "--scenario", "fan-in", "--qos", "1", "--pubs", "8", "--port", str(port),
                   "--duration", str(args.duration), "--session", "persistent", "--broker-pid", str(proc.pid),
                   "--label", name]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            stop(proc)
            log.close()
            line = [l for l in r.stdout.splitlines() if l.startswith("JSON ")]
            if r.returncode != 0 or not line:
                print("%s round %d: mote-bench failed (%d)\n%s%s" % (name, rnd, r.returncode, r.stdout[-2000:],
                                                                    r.stderr[-2000:]))
                rates[name].append(None)
            else:
                j = json.loads(line[0][5:])
                rates[name].append(j)
                print("%s round %d: %s" % (name, rnd, line[0][5:]), flush=True)
            shutil.rmtree(workdir, ignore_errors=True)
    print("\nsummary: median over %d round(s) (all runs)" % args.rounds)
    for name, _, _ in variants:
        ok = [j for j in rates[name] if j]
        def med(key):
            vals = [j[key] for j in ok]
            return (statistics.median(vals) if vals else float("nan")), vals
        d, dv = med("deliv_per_s")
        c, _ = med("deliv_per_cpu_s")
        p99, _ = med("lat_p99_us")
        correct = all(j["ok"] for j in ok) and len(ok) == len(rates[name])
        print("  %-22s delivered/s %10.0f  per broker CPU-s %10.0f  p99 %8.0f us  correct %s  runs %s"
              % (name, d, c, p99, "yes" if correct else "NO", [round(x) for x in dv]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--broker", required=True)
    ap.add_argument("--bench")
    sub = ap.add_subparsers(dest="what", required=True)
    r = sub.add_parser("restart")
    r.add_argument("--retained", type=int, default=1000000)
    r.add_argument("--sessions", type=int, default=10000)
    r.add_argument("--payload", type=int, default=64)
    r.add_argument("--rounds", type=int, default=3)
    f = sub.add_parser("fanin")
    f.add_argument("--rounds", type=int, default=3)
    f.add_argument("--duration", type=float, default=4)
    args = ap.parse_args()
    if args.what == "restart":
        restart_bench(args)
    else:
        fanin_bench(args)


if __name__ == "__main__":
    main()
