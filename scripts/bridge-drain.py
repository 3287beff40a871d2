#!/usr/bin/python3
"""Bridge drain pacing (issue 13): how fast a gateway's backlog goes upstream after
an outage, for several bridge_outgoing_rate settings. A measurement that prints
figures, not a test (docs/benchmarks.md, "Bridge drain pacing").

    scripts/bridge-drain.py [--broker build/dev/broker/mote-broker] [-n 5000]
                            [--rates 0,200,1000] [--no-persistence]

For each rate R:
1. The upstream, Debian's mosquitto, starts on a free 127.0.0.1 port with
   persistence; a subscriber makes a persistent session there (Clean Session 0,
   drain/# at QoS 1) so that nothing the bridge delivers is lost whoever comes
   back first; then the upstream stops (SIGTERM, its session saved).
2. The gateway, mote-broker, starts with a bridge to that port (topic drain/# out
   1, restart_timeout 1 1, bridge_outgoing_rate R) and, unless --no-persistence,
   persistence with strict durability; the bridge cannot connect.
3. A publisher sends N QoS 1 messages to the gateway (drain/backlog, payload the
   sequence number), each acknowledged by the gateway (PUBACK).
4. The upstream starts again on the same port, the subscriber reconnects, and the
   bridge reconnects within its backoff and drains. The subscriber timestamps every
   arrival.
5. Once a fifth of the backlog has arrived upstream, a "live" QoS 1 message is
   published to the gateway (drain/live); its wait is the time from its publication
   to its arrival upstream. The policy is FIFO: it queues behind the
   backlog.
Printed per R: messages/s over the drain (first to last arrival) and in each
second, whether all N arrived in order, and the live message's wait.

Uses paho-mqtt from Debian's python3 (python3-paho-mqtt), hence /usr/bin/python3.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import paho.mqtt.client as mqtt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"
MOSQUITTO = "/usr/sbin/mosquitto"


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("broker exited with status %s" % proc.returncode)
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("broker did not listen on %d" % port)


def stop(proc):
    if proc is None or proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


class Process:
    """A broker with a configuration file and a log in `workdir`."""

    def __init__(self, name, argv_head, conf_lines, workdir, port):
        self.name = name
        self.port = port
        self.conf = os.path.join(workdir, name + ".conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(conf_lines) + "\n")
        self.log_path = os.path.join(workdir, name + ".log")
        self.argv = argv_head + ["-c", self.conf]
        self.proc = None

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        wait_port(self.port, self.proc)

    def stop(self):
        stop(self.proc)

    def log_tail(self, n=30):
        with open(self.log_path, "rb") as f:
            return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-n:])


class Subscriber:
    """The upstream subscriber: persistent session, records (monotonic time, topic,
    payload) of every message."""

    def __init__(self, port):
        self.port = port
        self.arrivals = []
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.c = mqtt.Client(client_id="drain-sub", clean_session=False, protocol=mqtt.MQTTv311)
        self.c.max_inflight_messages_set(1000)
        self.c.on_connect = self._on_connect
        self.c.on_subscribe = lambda *a: self.ready.set()
        self.c.on_message = self._on_message

    def _on_connect(self, client, _u, _flags, rc):
        if rc == 0:
            client.subscribe("drain/#", 1)

    def _on_message(self, _c, _u, msg):
        t = time.monotonic()
        with self.lock:
            self.arrivals.append((t, msg.topic, bytes(msg.payload)))

    def connect(self):
        self.ready.clear()
        self.c.connect(HOST, self.port, keepalive=30)
        self.c.loop_start()
        if not self.ready.wait(10):
            raise RuntimeError("subscriber: no SUBACK from the upstream")

    def disconnect(self):
        self.c.disconnect()
        self.c.loop_stop()

    def snapshot(self):
        with self.lock:
            return list(self.arrivals)


class Publisher:
    """A QoS 1 publisher to the gateway that records when each PUBACK came."""

    def __init__(self, port):
        self.acked = {}
        self.cv = threading.Condition()
        self.c = mqtt.Client(client_id="drain-pub", clean_session=True, protocol=mqtt.MQTTv311)
        self.c.max_inflight_messages_set(200)
        self.c.max_queued_messages_set(0)
        self.c.on_publish = self._on_publish
        self.c.connect(HOST, port, keepalive=30)
        self.c.loop_start()

    def _on_publish(self, _c, _u, mid):
        with self.cv:
            self.acked[mid] = time.monotonic()
            self.cv.notify_all()

    def publish(self, topic, payload):
        return self.c.publish(topic, payload, qos=1).mid

    def wait_acked(self, mids, timeout):
        deadline = time.monotonic() + timeout
        with self.cv:
            while not all(m in self.acked for m in mids):
                if not self.cv.wait(max(0.0, deadline - time.monotonic())) and time.monotonic() >= deadline:
                    raise RuntimeError("gateway acknowledged %d of %d messages"
                                       % (sum(m in self.acked for m in mids), len(mids)))
            return max(self.acked[m] for m in mids)

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


def run_rate(broker, rate, n, persistence, workdir, policy="fifo"):
    up_port, gw_port = free_port(), free_port()
    up_dir = os.path.join(workdir, "up-%d" % rate)
    gw_dir = os.path.join(workdir, "gw-%d" % rate)
    os.makedirs(up_dir)
    os.makedirs(gw_dir)
    upstream = Process("upstream-%d" % rate, [MOSQUITTO], [
        "listener %d %s" % (up_port, HOST), "allow_anonymous true", "persistence true",
        "persistence_location %s/" % up_dir, "max_queued_messages 0", "max_inflight_messages 0",
    ], workdir, up_port)
    gw_conf = ["listener %d %s" % (gw_port, HOST), "allow_anonymous true",
               "connection drain", "address %s:%d" % (HOST, up_port), "topic drain/# out 1",
               "restart_timeout 1 1", "bridge_outgoing_rate %d" % rate, "bridge_drain_policy %s" % policy]
    if persistence:
        gw_conf += ["persistence true", "persistence_location %s" % gw_dir, "persistence_durability strict"]
    gateway = Process("gateway-%d" % rate, [broker], gw_conf, workdir, gw_port)
    sub = pub = None
    try:
        # 1. The subscriber's persistent session upstream, then the outage.
        upstream.start()
        sub = Subscriber(up_port)
        sub.connect()
        sub.disconnect()
        upstream.stop()
        # 2-3. The backlog at the gateway.
        gateway.start()
        pub = Publisher(gw_port)
        t0 = time.monotonic()
        mids = [pub.publish("drain/backlog", b"%d" % i) for i in range(n)]
        pub.wait_acked(mids, 60)
        publish_s = time.monotonic() - t0
        # 4. The upstream returns.
        upstream.start()
        t_up = time.monotonic()
        sub = Subscriber(up_port)
        sub.connect()
        # 5. Once a fifth of the backlog has arrived, publish the live message.
        deadline = time.monotonic() + 30
        while len(sub.snapshot()) < n // 5 and time.monotonic() < deadline:
            time.sleep(0.002)
        if not sub.snapshot():
            raise RuntimeError("nothing arrived upstream within 30 s\n--- gateway log ---\n%s"
                               % gateway.log_tail())
        live_sent = time.monotonic()
        live_behind = n - len(sub.snapshot())
        live_mid = pub.publish("drain/live", b"live")
        live_acked = pub.wait_acked([live_mid], 10)
        expect_s = n / rate if rate else 0
        deadline = time.monotonic() + max(30.0, 2 * expect_s + 10)
        while time.monotonic() < deadline:
            got = sub.snapshot()
            if sum(1 for a in got if a[1] == "drain/backlog") >= n and any(a[1] == "drain/live" for a in got):
                break
            time.sleep(0.05)
        return report(rate, n, publish_s, t_up, sub.snapshot(), (live_sent, live_acked, live_behind), gateway)
    finally:
        if pub is not None:
            pub.close()
        if sub is not None:
            try:
                sub.disconnect()
            except Exception:  # noqa: BLE001 (the upstream may be gone)
                pass
        gateway.stop()
        upstream.stop()


def report(rate, n, publish_s, t_up, arrivals, live_info, gateway):
    live_sent, live_acked, live_behind = live_info
    backlog = [(t, int(p)) for t, topic, p in arrivals if topic == "drain/backlog"]
    live = [t for t, topic, _p in arrivals if topic == "drain/live"]
    seqs = [s for _t, s in backlog]
    distinct = len(set(seqs))
    in_order = seqs == sorted(seqs)
    label = "unlimited" if rate == 0 else "%d msg/s" % rate
    print("bridge_outgoing_rate %d (%s), N = %d" % (rate, label, n))
    print("  backlog published to the gateway (all acknowledged) in %.2f s" % publish_s)
    if not backlog:
        print("  NOTHING arrived upstream\n--- gateway log ---\n%s" % gateway.log_tail())
        return None
    t_first, t_last = backlog[0][0], backlog[-1][0]
    span = t_last - t_first
    overall = (len(backlog) - 1) / span if span > 0 else float("inf")
    print("  upstream restarted -> first arrival %.2f s (bridge reconnect backoff)" % (t_first - t_up))
    print("  arrived %d of %d (%d distinct, %d duplicates), %s"
          % (len(backlog), n, distinct, len(backlog) - distinct, "in order" if in_order else "NOT in order"))
    print("  drain: %.2f s from first to last arrival, %.0f msg/s overall" % (span, overall))
    buckets = {}
    for t, _s in backlog:
        buckets[int(t - t_first)] = buckets.get(int(t - t_first), 0) + 1
    per_s = [buckets.get(i, 0) for i in range(int(span) + 1)]
    print("  per second: %s" % " ".join(str(x) for x in per_s))
    wait = None
    if live:
        wait = live[0] - live_sent
        after = sum(1 for t, _s in backlog if t > live[0])
        print("  live message: published %.2f s into the drain with %d backlog messages not yet "
              "upstream; acknowledged by the gateway after %.3f s, upstream after %.2f s; "
              "backlog messages arriving after it: %d"
              % (live_sent - t_first, live_behind, live_acked - live_sent, wait, after))
    else:
        print("  live message: did NOT arrive")
    return {"rate": rate, "n": n, "arrived": len(backlog), "in_order": in_order, "span": span,
            "overall": overall, "per_s": per_s, "live_wait": wait}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--broker", default=os.environ.get("MOTE_BROKER",
                                                       os.path.join(ROOT, "build/dev/broker/mote-broker")))
    ap.add_argument("-n", type=int, default=5000)
    ap.add_argument("--rates", default="0,200,1000")
    ap.add_argument("--no-persistence", action="store_true")
    ap.add_argument("--policy", choices=("fifo", "live_first"), default="fifo",
                    help="bridge_drain_policy of the gateway")
    args = ap.parse_args()
    if not os.access(args.broker, os.X_OK):
        sys.exit("bridge-drain: no mote-broker at %s (build it, or pass --broker)" % args.broker)
    if not os.access(MOSQUITTO, os.X_OK):
        sys.exit("bridge-drain: %s is missing (apt-get install mosquitto)" % MOSQUITTO)
    rates = [int(r) for r in args.rates.split(",")]
    workdir = tempfile.mkdtemp(prefix="mote-drain-")
    print("bridge drain: %s, upstream %s, N = %d, bridge_drain_policy %s, gateway persistence %s, %s UTC"
          % (args.broker, MOSQUITTO, args.n, args.policy, "off" if args.no_persistence else "on (strict)",
             time.strftime("%Y-%m-%d %H:%M", time.gmtime())))
    print("load average: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
    ok = True
    try:
        for rate in rates:
            r = run_rate(args.broker, rate, args.n, not args.no_persistence, workdir, args.policy)
            ok = ok and r is not None and r["arrived"] == args.n and r["live_wait"] is not None
            sys.stdout.flush()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
