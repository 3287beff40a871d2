#!/usr/bin/env python3
"""Crash test of the durable store (issue 11): mote-broker with persistence (strict
durability) is killed with SIGKILL at random moments while QoS 1 and QoS 2
publishers send into the persistent sessions of an online and an intermittently
offline subscriber. After the last restart every message whose PUBACK (QoS 1) or
PUBCOMP (QoS 2) the publisher received must have reached both subscribers: QoS 1
at least once, QoS 2 exactly once [MQTT-4.3.3-*], the first deliveries of each
publisher in the order it published [MQTT-4.6.0-*]. A message the publisher was
never acknowledged for is resent by the publisher (as the spec requires of a
client) and is not counted as lost while it is unacknowledged.

The clients are written here on raw sockets (mqttraw.py) so that every packet and
its acknowledgement is visible: no client library's own store or retry policy
hides a loss.

Run by ctest with 20 kills; scripts/crash-campaign.sh runs the same with more:
    test_crash.py --kills 1000 [--seed N] [--durability strict|relaxed]
"""

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import mqttraw as raw  # noqa: E402
from harness import HOST, free_port  # noqa: E402

TOPIC_PREFIX = "crash/"


class Link:
    """One MQTT 3.1.1 connection with a blocking reader."""

    def __init__(self, port, client_id, clean=False):
        self.sock = socket.create_connection((HOST, port), timeout=5)
        try:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buf = b""
            self.send(raw.connect(4, client_id, clean=clean, keepalive=60))
            first, body = self.read(5.0)
            if first >> 4 != raw.CONNACK or len(body) != 2 or body[1] != 0:
                raise ConnectionError("CONNECT refused: %02x %s" % (first, body.hex()))
            self.session_present = bool(body[0] & 1)
        except BaseException:
            self.sock.close()
            raise

    def send(self, data):
        self.sock.sendall(data)

    def read(self, timeout):
        """(first_byte, body); socket.timeout when nothing came; ConnectionError when closed."""
        self.sock.settimeout(timeout)
        while True:
            r = raw.decode_vbi(self.buf, 1) if len(self.buf) >= 2 else None
            if r is not None and r[1] + r[0] <= len(self.buf):
                length, start = r
                first, body = self.buf[0], self.buf[start:start + length]
                self.buf = self.buf[start + length:]
                return first, body
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buf += data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def ack(kind, pid, flags=0):
    return raw.pkt((kind << 4) | flags, pid.to_bytes(2, "big"))


class Publisher(threading.Thread):
    """Publishes "name:seq" at `qos` with a window of unacknowledged messages,
    reconnecting (persistent session) and resending per [MQTT-4.4.0-1] after
    every broker death."""

    WINDOW = 8

    def __init__(self, port, name, qos, stop):
        super().__init__(daemon=True)
        self.port, self.name, self.qos, self.stop_flag = port, name, qos, stop
        self.topic = TOPIC_PREFIX + name
        self.next_seq = 0
        self.outstanding = {}  # pid -> [seq, stage] with stage "pub" or "rel", in send order
        self.acked = []        # seqs in acknowledgement order
        self.error = None
        self.connections = 0

    def pid_of(self, seq):
        return seq % 60000 + 1

    def publish(self, link, seq, dup=False):
        payload = ("%s:%d" % (self.name, seq)).encode()
        link.send(raw.publish(4, self.topic, payload, qos=self.qos, pid=self.pid_of(seq), dup=dup))

    def resume(self, link):
        for pid, (seq, stage) in list(self.outstanding.items()):
            if stage == "pub":
                self.publish(link, seq, dup=True)
            else:
                link.send(ack(raw.PUBREL, pid, 0x02))

    def handle(self, link, first, body):
        kind, pid = first >> 4, int.from_bytes(body[:2], "big")
        entry = self.outstanding.get(pid)
        if kind == raw.PUBACK and entry and self.qos == 1:
            self.acked.append(entry[0])
            del self.outstanding[pid]
        elif kind == raw.PUBREC and entry and self.qos == 2:
            entry[1] = "rel"
            link.send(ack(raw.PUBREL, pid, 0x02))
        elif kind == raw.PUBCOMP and entry and self.qos == 2 and entry[1] == "rel":
            self.acked.append(entry[0])
            del self.outstanding[pid]
        elif kind in (raw.PUBACK, raw.PUBREC, raw.PUBCOMP):
            raise AssertionError("%s: unexpected %d for id %d (%s)" % (self.name, kind, pid, entry))

    def run(self):
        try:
            while not (self.stop_flag.is_set() and not self.outstanding):
                try:
                    link = Link(self.port, self.name)
                except OSError:
                    time.sleep(0.02)
                    continue
                self.connections += 1
                try:
                    self.resume(link)
                    while not (self.stop_flag.is_set() and not self.outstanding):
                        while not self.stop_flag.is_set() and len(self.outstanding) < self.WINDOW:
                            seq = self.next_seq
                            self.next_seq += 1
                            self.outstanding[self.pid_of(seq)] = [seq, "pub"]
                            self.publish(link, seq)
                        try:
                            first, body = link.read(1.0)
                        except socket.timeout:
                            continue
                        self.handle(link, first, body)
                    link.send(raw.h("E0 00"))
                except OSError:
                    pass
                finally:
                    link.close()
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = "%s: %r" % (self.name, e)


class Subscriber(threading.Thread):
    """A persistent session subscribed to crash/# at QoS 2. `online` stays
    connected (reconnecting after each broker death); otherwise it comes and goes,
    so that messages queue in its offline session."""

    def __init__(self, port, name, online, stop, rng):
        super().__init__(daemon=True)
        self.port, self.name, self.online, self.stop_flag, self.rng = port, name, online, stop, rng
        self.received = []         # (publisher, seq, qos) in arrival order
        self.pending_qos2 = set()  # ids PUBREC'd, waiting for PUBREL (the client's own state)
        self.error = None
        self.lock = threading.Lock()
        self.drain = threading.Event()  # set: stay connected (the final drain)

    def subscribe(self):
        link = Link(self.port, self.name)
        link.send(raw.subscribe(4, 1, TOPIC_PREFIX + "#", 2))
        while True:
            first, body = link.read(5.0)
            if first >> 4 == raw.SUBACK:
                if body[2] != 2:
                    raise AssertionError("SUBACK %s" % body.hex())
                break
        link.send(raw.h("E0 00"))
        link.close()

    def handle(self, link, first, body):
        kind = first >> 4
        if kind == raw.PUBLISH:
            topic, payload, qos, _retain, pid, _props = raw.publish_fields(4, first, body)
            name, seq = payload.decode().split(":")
            if qos == 1:
                with self.lock:
                    self.received.append((name, int(seq), qos))
                link.send(ack(raw.PUBACK, pid))
            elif qos == 2:
                if pid not in self.pending_qos2:  # [MQTT-4.3.3-*] method B: deliver on PUBLISH, once
                    self.pending_qos2.add(pid)
                    with self.lock:
                        self.received.append((name, int(seq), qos))
                link.send(ack(raw.PUBREC, pid))
            else:
                raise AssertionError("QoS 0 delivery of %s" % payload)
        elif kind == raw.PUBREL:
            pid = int.from_bytes(body[:2], "big")
            self.pending_qos2.discard(pid)
            link.send(ack(raw.PUBCOMP, pid))

    def run(self):
        try:
            while not self.stop_flag.is_set():
                try:
                    link = Link(self.port, self.name)
                except OSError:
                    time.sleep(0.02)
                    continue
                stay = None if (self.online or self.drain.is_set()) else time.monotonic() + self.rng.uniform(0.05, 0.3)
                try:
                    while not self.stop_flag.is_set():
                        if stay is not None and time.monotonic() > stay and not self.drain.is_set():
                            link.send(raw.h("E0 00"))  # normal DISCONNECT: the session stays
                            break
                        try:
                            first, body = link.read(0.1)
                        except socket.timeout:
                            continue
                        self.handle(link, first, body)
                except OSError:
                    pass
                finally:
                    link.close()
                if not self.online and not self.drain.is_set():
                    self.stop_flag.wait(self.rng.uniform(0.1, 0.8))  # offline: messages queue
        except Exception as e:  # noqa: BLE001
            self.error = "%s: %r" % (self.name, e)


class BrokerProcess:
    """mote-broker on a fixed port with its database in `workdir`, started and
    killed (SIGKILL) by PID."""

    def __init__(self, binary, workdir, durability):
        self.binary, self.workdir = binary, workdir
        self.port = free_port()
        self.conf = os.path.join(workdir, "mote.conf")
        with open(self.conf, "w") as f:
            f.write("listener %d %s\npersistence true\npersistence_location %s\n"
                    "persistence_durability %s\nmax_queued_messages 0\nmax_inflight_messages 20\n"
                    "log_type error\nlog_type warning\nlog_type notice\n"
                    % (self.port, HOST, workdir, durability))
        self.log = open(os.path.join(workdir, "broker.log"), "ab")
        self.proc = None
        self.starts = 0

    def start(self):
        self.proc = subprocess.Popen([self.binary, "-c", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)
        self.starts += 1
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("broker exited with %s at start %d\n%s"
                                     % (self.proc.returncode, self.starts, self.log_tail()))
            try:
                socket.create_connection((HOST, self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.01)
        raise AssertionError("broker did not listen within 20 s\n" + self.log_tail())

    def kill(self):
        if self.proc.poll() is not None:
            raise AssertionError("broker died by itself (status %s)\n%s"
                                 % (self.proc.returncode, self.log_tail()))
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                return self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                raise AssertionError("broker did not stop on SIGTERM within 10 s")
        return self.proc.returncode if self.proc else None

    def log_tail(self):
        self.log.flush()
        with open(os.path.join(self.workdir, "broker.log"), "rb") as f:
            return f.read()[-4000:].decode("utf-8", "replace")


def check(publishers, subscribers):
    """Problems found (empty: every acknowledged message was delivered as required)."""
    problems = []
    for sub in subscribers:
        with sub.lock:
            received = list(sub.received)
        for pub in publishers:
            mine = [(seq, qos) for name, seq, qos in received if name == pub.name]
            counts = {}
            for seq, qos in mine:
                if qos != pub.qos:
                    problems.append("%s got %s:%d at QoS %d" % (sub.name, pub.name, seq, qos))
                counts[seq] = counts.get(seq, 0) + 1
            lost = [seq for seq in pub.acked if seq not in counts]
            if lost:
                problems.append("%s: %d acknowledged message(s) of %s lost, first %s"
                                % (sub.name, len(lost), pub.name, lost[:10]))
            if pub.qos == 2:
                dups = sorted(seq for seq, n in counts.items() if n > 1)
                if dups:
                    problems.append("%s: %d QoS 2 message(s) of %s delivered twice, first %s"
                                    % (sub.name, len(dups), pub.name, dups[:10]))
            unknown = sorted(seq for seq in counts if seq >= pub.next_seq)
            if unknown:
                problems.append("%s: never-published %s:%s" % (sub.name, pub.name, unknown[:5]))
            seen, firsts = set(), []
            for seq, _qos in mine:
                if seq not in seen:
                    seen.add(seq)
                    firsts.append(seq)
            if firsts != sorted(firsts):
                bad = next(i for i in range(1, len(firsts)) if firsts[i] < firsts[i - 1])
                problems.append("%s: %s out of order: ... %s" % (sub.name, pub.name, firsts[max(0, bad - 3):bad + 2]))
    return problems


def campaign(binary, kills, seed, durability="strict", log=None):
    """Runs the campaign; returns (problems, summary dict)."""
    rng = random.Random(seed)
    workdir = tempfile.mkdtemp(prefix="mote-crash-")
    broker = BrokerProcess(binary, workdir, durability)
    stop = threading.Event()
    started = time.monotonic()
    threads = []
    try:
        broker.start()
        subscribers = [Subscriber(broker.port, "sub-online", True, stop, random.Random(seed + 1)),
                       Subscriber(broker.port, "sub-offline", False, stop, random.Random(seed + 2))]
        for s in subscribers:
            s.subscribe()  # SUBACK only after the subscription is on disk
        publishers = [Publisher(broker.port, "p1a", 1, stop), Publisher(broker.port, "p1b", 1, stop),
                      Publisher(broker.port, "p2a", 2, stop), Publisher(broker.port, "p2b", 2, stop)]
        threads = subscribers + publishers
        for t in threads:
            t.start()
        for k in range(kills):
            time.sleep(rng.uniform(0.02, 0.4))
            broker.kill()
            if log and (k + 1) % 50 == 0:
                log("%d kills, %d messages acknowledged, delivered %s"
                    % (k + 1, sum(len(p.acked) for p in publishers), [len(s.received) for s in subscribers]))
            time.sleep(rng.uniform(0.0, 0.1))
            broker.start()
            for t in threads:
                if t.error:
                    raise AssertionError(t.error)
        # Last run: the publishers finish what they have in flight, then every
        # subscriber drains its session.
        for s in subscribers:
            s.drain.set()
        publish_stop = threading.Event()
        for p in publishers:
            p.stop_flag = publish_stop
        publish_stop.set()
        deadline = time.monotonic() + 60
        for p in publishers:
            p.join(max(0.1, deadline - time.monotonic()))
            if p.is_alive():
                raise AssertionError("%s did not finish: %d outstanding" % (p.name, len(p.outstanding)))
        expected = sum(len(p.acked) for p in publishers)
        # Wait while deliveries still arrive: a loss is what is missing once the
        # subscribers have received nothing new for 10 s (or after 10 minutes).
        # The full check walks every delivery, so it runs only once each
        # subscriber has at least as many deliveries as there are acknowledged
        # messages (before that it cannot pass) and then at most every 5 s:
        # run in a loop it holds the GIL and starves the subscriber threads.
        problems = []
        last_count, last_progress, hard_stop = -1, time.monotonic(), time.monotonic() + 600
        next_log, next_check = time.monotonic(), time.monotonic()
        while True:
            t = time.monotonic()
            counts = [len(s.received) for s in subscribers]
            if min(counts) >= expected and t >= next_check:
                problems = check(publishers, subscribers)
                if not problems:
                    break
                next_check = t + 5
            if sum(counts) != last_count:
                last_count, last_progress = sum(counts), t
            if log and t >= next_log:
                next_log = t + 10
                log("draining: %d acknowledged, delivered %s" % (expected, counts))
            if t - last_progress > 10 or t > hard_stop:
                problems = check(publishers, subscribers)
                problems.append("no delivery for 10 s: what is missing is lost" if t - last_progress > 10
                                else "deliveries still arriving after the 10-minute drain limit")
                break
            time.sleep(0.5)
        stop.set()
        for t in threads:
            if t.error:
                problems.append(t.error)
        status = broker.stop()
        if status not in (0, None):
            problems.append("broker exited with %s on SIGTERM" % status)
        summary = {
            "kills": kills, "seed": seed, "durability": durability,
            "acknowledged": expected,
            "published": sum(p.next_seq for p in publishers),
            "delivered": {s.name: len(s.received) for s in subscribers},
            "seconds": round(time.monotonic() - started, 1),
        }
        if problems:
            problems.append("broker log tail:\n" + broker.log_tail())
        return problems, summary
    finally:
        stop.set()
        if broker.proc is not None and broker.proc.poll() is None:
            os.kill(broker.proc.pid, signal.SIGKILL)
            broker.proc.wait()
        for t in threads:
            t.join(2)
        broker.log.close()
        shutil.rmtree(workdir, ignore_errors=True)


def broker_binary():
    binary = os.environ.get("MOTE_BROKER")
    if not binary:
        raise unittest.SkipTest("MOTE_BROKER not set")
    return binary


class CrashTest(unittest.TestCase):
    def test_sigkill_loses_no_acknowledged_message(self):
        seed = int(os.environ.get("MOTE_CRASH_SEED", str(int(time.time()))))
        problems, summary = campaign(broker_binary(), kills=20, seed=seed)
        sys.stderr.write("\ncrash test: %s\n" % summary)
        self.assertEqual([], problems, "seed %d" % seed)
        self.assertGreater(summary["acknowledged"], 100, "too little traffic to mean anything")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=0, help="run a campaign of this many kills instead of the test")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--durability", choices=("strict", "relaxed"), default="strict")
    args, rest = ap.parse_known_args()
    if args.kills <= 0:
        unittest.main(argv=[sys.argv[0]] + rest)
        return
    seed = args.seed if args.seed is not None else int(time.time())
    problems, summary = campaign(broker_binary(), args.kills, seed, args.durability,
                                 log=lambda m: print("crash-campaign: " + m, flush=True))
    print("crash-campaign: %s" % summary)
    if problems:
        print("crash-campaign: FAILED\n" + "\n".join(problems))
        sys.exit(1)
    print("crash-campaign: OK, no acknowledged message lost or duplicated")


if __name__ == "__main__":
    main()
