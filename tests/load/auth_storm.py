#!/usr/bin/env python3
"""Password checks must not stall other clients (issue 10 item 2).

Starts a broker (mote-broker, or Debian's mosquitto for comparison) with a password
file written by mote-passwd (default $7$, 20 000 PBKDF2 rounds), runs mote-bench
fan-in (1 publisher, 1 subscriber, QoS 0, fixed rate) twice: alone, then while
STORM threads connect with a wrong password as fast as the broker answers. Prints
the subscriber's latency percentiles for both runs and the refused CONNECTs per
second. Not a pass/fail test: the figures go into docs/benchmarks.md.

usage: auth_storm.py --bench PATH/mote-bench [--broker PATH] [--passwd PATH/mote-passwd]
                     [--duration 8] [--rate 2000] [--storm 8] [--iterations N]
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
import harness  # noqa: E402
from mqttraw import connect  # noqa: E402


def storm(port, stop, counts, idx):
    pkt = connect(4, client_id="storm%d" % idx, username="storm", password="wrong")
    while not stop.is_set():
        try:
            with socket.create_connection((harness.HOST, port), timeout=5) as s:
                s.sendall(pkt)
                data = s.recv(4)
                if data[:2] == b"\x20\x02":
                    counts[idx] += 1
        except OSError:
            time.sleep(0.01)


def bench(bench_path, port, duration, rate, label):
    out = subprocess.run([bench_path, "--port", str(port), "--pubs", "1", "--subs", "1", "--qos", "0",
                          "--rate", str(rate), "--duration", str(duration), "--label", label],
                         capture_output=True, text=True, timeout=duration + 120)
    for line in out.stdout.splitlines():
        if line.startswith("JSON "):
            return json.loads(line[5:])
    raise RuntimeError("mote-bench gave no JSON line:\n" + out.stdout + out.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--broker", default=harness.broker_binary())
    ap.add_argument("--passwd", default=None)
    ap.add_argument("--duration", type=float, default=8)
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--storm", type=int, default=8)
    ap.add_argument("--iterations", type=int, default=20000)
    a = ap.parse_args()
    passwd = a.passwd or os.path.join(os.path.dirname(harness.broker_binary()), "mote-passwd")
    tmp = tempfile.mkdtemp(prefix="mote-auth-storm-")
    os.chmod(tmp, 0o755)
    pw = os.path.join(tmp, "pw")
    subprocess.run([passwd, "-c", "-I", str(a.iterations), "-b", pw, "storm", "right"], check=True)
    os.chmod(pw, 0o644)  # mosquitto reads it as its own user
    b = harness.Broker(["allow_anonymous true", "password_file " + pw], binary=a.broker).start()
    try:
        time.sleep(0.3)
        quiet = bench(a.bench, b.port, a.duration, a.rate, "no storm")
        stop = threading.Event()
        counts = [0] * a.storm
        threads = [threading.Thread(target=storm, args=(b.port, stop, counts, i)) for i in range(a.storm)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        t0 = time.monotonic()
        busy = bench(a.bench, b.port, a.duration, a.rate, "storm")
        elapsed = time.monotonic() - t0
        stop.set()
        for t in threads:
            t.join()
    finally:
        b.stop()
    name = "mote-broker" if harness.is_mote(a.broker) else "mosquitto"
    print("broker %s, $7$ %d rounds, fan-in 1->1 QoS 0 at %d msg/s for %.0f s, %d storm threads"
          % (name, a.iterations, a.rate, a.duration, a.storm))
    for label, r in (("no storm", quiet), ("storm", busy)):
        print("  %-9s delivered %6d/%-6d  p50 %8.1f us  p99 %9.1f us  p99.9 %9.1f us  max %9.1f us"
              % (label, r["delivered"], r["expected"], r["lat_p50_us"], r["lat_p99_us"], r["lat_p999_us"],
                 r["lat_max_us"]))
    print("  wrong-password CONNECTs refused during the storm run: %.0f/s" % (sum(counts) / elapsed))


if __name__ == "__main__":
    main()
