#!/usr/bin/env python3
"""Smoke test of mote-bench against a broker it starts itself on a free loopback port.

Runs a small fan-in for about 3 s at QoS 0, 1 and 2 (MQTT 3.1.1, and QoS 1 once with
MQTT 5.0), then a fan-out to 50 subscribers at QoS 0 (where slow subscribers make
the broker queue output behind a full socket), and asserts correctness only: zero loss at
QoS 1/2, zero duplicates at QoS 2, zero reordering, zero protocol errors, and for
the fan-out no connection error either. Speed is never asserted. The broker is
mote-broker when --broker is given, else Debian's mosquitto; it is stopped by PID.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def start_broker(args, workdir):
    port = free_port()
    conf = os.path.join(workdir, "broker.conf")
    with open(conf, "w") as f:
        f.write("listener %d 127.0.0.1\nallow_anonymous true\n"
                "max_inflight_messages 20\nmax_queued_messages 1000000\n" % port)
    cmd = [args.broker, "-c", conf] if args.broker else ["/usr/sbin/mosquitto", "-c", conf]
    log = open(os.path.join(workdir, "broker.log"), "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    if not wait_listening(port, proc):
        proc.kill()
        proc.wait()
        sys.exit("smoke: broker %s did not start listening on %d" % (cmd[0], port))
    return proc, port


def run_bench(args, port, pid, extra):
    cmd = [args.bench, "--port", str(port), "--broker-pid", str(pid), "--scenario", "fan-in",
           "--pubs", "4", "--payload", "64", "--duration", "3", "--drain", "10"] + extra
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    sys.stdout.write(out.stdout)
    sys.stderr.write(out.stderr)
    lines = [l[5:] for l in out.stdout.splitlines() if l.startswith("JSON ")]
    if len(lines) != 1:
        return None, out.returncode
    return json.loads(lines[0]), out.returncode


def check(result, rc, qos, strict=False):
    problems = []
    if result is None:
        return ["no JSON line (exit %d)" % rc]
    if result["published"] == 0:
        problems.append("nothing was published")
    if result["delivered"] == 0:
        problems.append("nothing was delivered")
    # QoS 1 and 2 are at-least-once and exactly-once [MQTT-4.3.2], [MQTT-4.3.3]:
    # with no reconnects nothing may be lost.
    if qos > 0 and result["lost"] != 0:
        problems.append("%d messages lost" % result["lost"])
    if qos == 2 and result["duplicates"] != 0:
        problems.append("%d duplicates at QoS 2" % result["duplicates"])
    # Ordered per publisher and topic (§4.6).
    if result["reordered"] != 0:
        problems.append("%d reordered" % result["reordered"])
    if result["protocol_errors"] != 0 or result["id_reuse"] != 0:
        problems.append("protocol errors %d, QoS 2 id reuse %d"
                        % (result["protocol_errors"], result["id_reuse"]))
    if (qos > 0 or strict) and rc != 0:
        problems.append("mote-bench exit status %d" % rc)
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--broker", help="mote-broker executable; default: /usr/sbin/mosquitto")
    ap.add_argument("--mosquitto", action="store_true", help="use Debian's mosquitto (the default)")
    args = ap.parse_args()
    failures = []
    with tempfile.TemporaryDirectory(prefix="mote-bench-smoke-") as workdir:
        proc, port = start_broker(args, workdir)
        try:
            runs = [(0, ["--qos", "0"]), (1, ["--qos", "1"]), (2, ["--qos", "2"]),
                    (1, ["--qos", "1", "--mqtt", "5"])]
            # Later options override the fan-in defaults of run_bench().
            fan_out = ["--scenario", "fan-out", "--subs", "50", "--qos", "0"]
            for qos, extra in runs + [(0, fan_out)]:
                result, rc = run_bench(args, port, proc.pid, extra)
                for p in check(result, rc, qos, strict=extra is fan_out):
                    failures.append("%s: %s" % (" ".join(extra), p))
                if proc.poll() is not None:
                    failures.append("broker exited with status %d" % proc.returncode)
                    break
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait()
            if failures:
                with open(os.path.join(workdir, "broker.log")) as f:
                    sys.stderr.write("--- broker log (tail) ---\n" + "".join(f.readlines()[-30:]))
    if failures:
        print("SMOKE FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("smoke: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
