#!/usr/bin/env python3
"""A bridge facing a hostile upstream (issue 13, "Hostile input"): a fake upstream
broker written here, on a free 127.0.0.1 port, that

  (a) refuses every CONNECT (3.1.1 return code 0x05, 5.0 reason code 0x87),
  (b) sends garbage bytes as soon as it accepts the TCP connection,
  (c) accepts the CONNECT (CONNACK 0) and closes the connection as soon as any
      further packet arrives,
  (d) accepts TCP and never answers (the CONNECT must time out),
  (e) answers the CONNECT with a malformed CONNACK.

For each case a gateway mote-broker bridges to it for a while, and then:
- the gateway is still running and still serves its own clients (a local
  subscribe/publish round trip at QoS 1 works);
- it logged a line naming the bridge about the failure of the first attempt
  before it made the second one (its start-up line does not count);
- it reconnects, with backoff: the number of TCP connections the fake upstream
  accepted over the window is at least 2 and at most what the configured backoff
  (restart_timeout 1 2) allows, with a margin; a reconnect loop without delay
  would make hundreds;
- a connection the gateway cannot use is closed by the gateway itself:
  3.1.1 [MQTT-4.8.0-1] (a protocol violation closes the connection), 5.0 §4.13.1
  (Malformed Packet and Protocol Errors), 3.1.1 §3.1.4 / 5.0 §3.1.4 (no CONNACK
  within a reasonable time: the client closes the connection);
- the state on the notification topic is "0" (not connected), and the gateway
  exits cleanly on SIGTERM (no sanitizer report under an ASan build).

The backoff model (firmware-client/include/mote/client/state.hpp, used by the
bridge with BASE and CAP of restart_timeout): attempt n waits a uniform time in
[d/2, d] with d = min(CAP, BASE * 2^n); n grows with every failed attempt and goes
back to 0 after a CONNACK that accepted the connection.
"""

import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from harness import HOST, Broker  # noqa: E402
from mqttraw import RawClient, publish, publish_fields, subscribe  # noqa: E402

BRIDGE = "up"
REMOTE_ID = "gw-hostile"
STATE_TOPIC = "$SYS/broker/connection/%s/state" % REMOTE_ID
BASE_S, CAP_S = 1.0, 2.0
WINDOW_S = 6.0
# The firmware client's CONNECT timer (Options::connect_timeout_ms, not configurable
# for a bridge): TCP open + CONNACK.
CONNECT_TIMEOUT_S = 10.0
# Time given to the gateway to close a connection it cannot use, on a loaded machine.
CLOSE_WITHIN_S = 5.0

HTTP_REPLY = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 25\r\n"
              b"Connection: close\r\n\r\nThis is not an MQTT port.")
# Garbage sent right after accept, always a whole malformed packet (an incomplete
# one would only wait for the CONNECT timer, case d), one variant per connection in turn.
GARBAGE = (
    bytes.fromhex("00 00"),                                  # reserved packet type 0
    # Not MQTT at all; read as MQTT: "H" is a PUBACK with reserved flags 0x8 and "T"
    # its Remaining Length (84), so the reply is long enough to be a whole packet.
    HTTP_REPLY,
    bytes.fromhex("20 FF FF FF FF 01"),                      # Remaining Length of 5 bytes
    bytes.fromhex("DE AD BE EF") * 4,                        # PINGRESP with flags 0xE, then junk
)
# Malformed CONNACKs, one per connection in turn.
BAD_CONNACK = {
    4: (
        bytes.fromhex("20 03 00 00 00"),  # Remaining Length 3 [MQTT-3.2.2]: 2 in 3.1.1
        bytes.fromhex("20 02 FE 00"),     # reserved Connect Acknowledge Flags set [MQTT-3.2.2-1]
        bytes.fromhex("20 01 00"),        # too short
        bytes.fromhex("21 02 00 00"),     # reserved fixed-header flags [MQTT-2.2.2-2]
        bytes.fromhex("20 02 00 06"),     # return code 6 is reserved (3.2.2.3)
    ),
    5: (
        bytes.fromhex("20 02 00 00"),           # no Property Length
        bytes.fromhex("20 03 00 00 05"),        # Property Length beyond the packet
        bytes.fromhex("20 05 00 00 02 7F 00"),  # unknown property 0x7F
        bytes.fromhex("20 03 FE 00 00"),        # reserved Connect Acknowledge Flags [MQTT-3.2.2-1]
        bytes.fromhex("20 03 00 00 00") + bytes.fromhex("20 03 00 00 00"),  # a second CONNACK [MQTT-3.2.0-2]
    ),
}
REFUSAL = {4: bytes.fromhex("20 02 00 05"),      # 3.1.1: 0x05 not authorized
           5: bytes.fromhex("20 03 00 87 00")}   # 5.0: 0x87 Not authorized
ACCEPT = {4: bytes.fromhex("20 02 00 00"), 5: bytes.fromhex("20 03 00 00 00")}


def read_packet(sock, buf, deadline):
    """(first_byte, body, rest) of the next whole packet, or None at EOF/timeout."""
    while True:
        if len(buf) >= 2:
            length, mult, pos = 0, 1, 1
            while pos < len(buf) and pos < 5:
                length += (buf[pos] & 0x7F) * mult
                mult *= 128
                pos += 1
                if buf[pos - 1] & 0x80 == 0:
                    if len(buf) >= pos + length:
                        return buf[0], buf[pos:pos + length], buf[pos + length:]
                    break
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        sock.settimeout(remaining)
        try:
            data = sock.recv(65536)
        except (socket.timeout, TimeoutError, OSError):
            return None
        if not data:
            return None
        buf += data


def wait_eof(sock, deadline):
    """Reads until the peer closes; True if it did before the deadline."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        sock.settimeout(remaining)
        try:
            data = sock.recv(65536)
        except (socket.timeout, TimeoutError):
            return False
        except OSError:
            return True  # reset by the peer
        if not data:
            return True


class Conn:
    """What the fake upstream saw on one accepted TCP connection."""

    def __init__(self, index):
        self.index = index
        self.accepted_at = time.monotonic()
        self.connect_seen = None      # the first byte of the first packet (0x10: CONNECT)
        self.further_packet = False   # (c): a packet after the CONNACK arrived
        self.peer_closed = None       # True: the gateway closed it; False: we did/timeout
        self.closed_at = None
        self.log_mark = None          # how much the gateway had logged at the accept


class FakeUpstream:
    """A TCP server on a free 127.0.0.1 port that plays one hostile behaviour."""

    def __init__(self, behaviour, version):
        self.behaviour = behaviour
        self.on_accept = None  # returns a Conn.log_mark
        self.version = version
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((HOST, 0))  # the kernel picks a free port: no race
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.lock = threading.Lock()
        self.stopping = False
        self.threads = []
        self.open_socks = []
        self.acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self.acceptor.start()

    def _accept_loop(self):
        while not self.stopping:
            try:
                s, _ = self.sock.accept()
            except OSError:
                return
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                c = Conn(len(self.conns))
                if self.on_accept is not None:
                    c.log_mark = self.on_accept()
                self.conns.append(c)
                self.open_socks.append(s)
            t = threading.Thread(target=self._serve, args=(s, c), daemon=True)
            self.threads.append(t)
            t.start()

    def _serve(self, s, c):
        try:
            getattr(self, "_" + self.behaviour)(s, c)
        finally:
            c.closed_at = c.closed_at or time.monotonic()
            try:
                s.close()
            except OSError:
                pass

    def _first_packet(self, s, c):
        p = read_packet(s, b"", time.monotonic() + 5.0)
        if p is None:
            return None
        c.connect_seen = p[0]
        return p

    def _watch_close(self, s, c, within):
        c.peer_closed = wait_eof(s, time.monotonic() + within)
        c.closed_at = time.monotonic()

    def _refuse(self, s, c):
        if self._first_packet(s, c) is None:
            return
        s.sendall(REFUSAL[self.version])
        # The server closes after a refusal: 3.1.1 [MQTT-3.2.2-5], 5.0 [MQTT-3.2.2-7].
        c.peer_closed = False

    def _garbage(self, s, c):
        try:
            s.sendall(GARBAGE[c.index % len(GARBAGE)])
        except OSError:
            c.peer_closed = True
            return
        self._watch_close(s, c, 30.0)

    def _close_on_packet(self, s, c):
        p = self._first_packet(s, c)
        if p is None:
            return
        s.sendall(ACCEPT[self.version])
        rest = p[2]
        if not rest:
            s.settimeout(30.0)
            try:
                rest = s.recv(65536)
            except OSError:
                rest = b""
        c.further_packet = bool(rest)
        c.peer_closed = not rest

    def _silent(self, s, c):
        if self._first_packet(s, c) is None:
            return
        self._watch_close(s, c, 60.0)

    def _bad_connack(self, s, c):
        if self._first_packet(s, c) is None:
            return
        variants = BAD_CONNACK[self.version]
        try:
            s.sendall(variants[c.index % len(variants)])
        except OSError:
            c.peer_closed = True
            return
        self._watch_close(s, c, 30.0)

    def snapshot(self):
        with self.lock:
            return list(self.conns)

    def stop(self):
        self.stopping = True
        try:
            self.sock.close()
        except OSError:
            pass
        with self.lock:
            socks = list(self.open_socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self.threads:
            t.join(5)


def max_connections(window, grows):
    """The most connection attempts the backoff allows in `window` seconds from the
    first one, every wait being its shortest (d/2); `grows`: the attempt counter
    grows (failed attempts) rather than going back to 0 (accepted CONNACKs)."""
    t, n, attempt = 0.0, 1, 0
    while True:
        d = min(CAP_S, BASE_S * 2 ** attempt)
        t += d / 2
        if t > window:
            return n
        n += 1
        if grows:
            attempt += 1


def min_connections(window, grows, overhead=0.3):
    """The fewest attempts with every wait at its longest (d) plus `overhead` for a
    loaded machine, minus one; never below 2 (it must reconnect at all)."""
    t, n, attempt = 0.0, 1, 0
    while True:
        d = min(CAP_S, BASE_S * 2 ** attempt)
        t += d + overhead
        if t > window:
            return max(2, n - 1)
        n += 1
        if grows:
            attempt += 1


class HostileUpstream(unittest.TestCase):

    def gateway_conf(self, port, version):
        lines = [
            "connection %s" % BRIDGE,
            "address %s:%d" % (HOST, port),
            "remote_clientid %s" % REMOTE_ID,
            "topic sensors/# out 1",
            "topic cmd/# in 1",
            "restart_timeout %d %d" % (BASE_S, CAP_S),
        ]
        if version == 5:
            lines.append("bridge_protocol_version mqttv50")
        return lines

    def run_case(self, behaviour, version, window=WINDOW_S, grows=True):
        fake = FakeUpstream(behaviour, version)
        gateway = Broker(self.gateway_conf(fake.port, version))
        fake.on_accept = lambda: log_size(gateway)
        try:
            gateway.start()
            self._observe(fake, gateway, behaviour, version, window, grows)
        finally:
            problem = gateway.shutdown_problem() if gateway.proc is not None else None
            fake.stop()
            if problem:
                self.fail("gateway: " + problem)

    def _observe(self, fake, gateway, behaviour, version, window, grows):
        def fail_with_log(msg):
            self.fail("%s\n--- gateway stderr ---\n%s" % (msg, gateway.stderr_text()[-6000:]))

        # The first connection comes at once (start-up), then the window runs.
        deadline = time.monotonic() + 10.0
        while not fake.snapshot() and time.monotonic() < deadline:
            time.sleep(0.02)
        conns = fake.snapshot()
        if not conns:
            fail_with_log("the bridge never connected to the fake upstream")
        start = conns[0].accepted_at
        time.sleep(max(0.0, start + window - time.monotonic()))
        in_window = [c for c in fake.snapshot() if c.accepted_at - start <= window]
        gaps = ["%.2f" % (b.accepted_at - a.accepted_at) for a, b in zip(in_window, in_window[1:])]
        sys.stderr.write("%s v%d: %d connection(s) in %.0f s, gaps %s\n"
                         % (behaviour, version, len(in_window), window, " ".join(gaps)))

        for line in bridge_lines(gateway)[:6]:
            sys.stderr.write("  gateway: %s\n" % line)

        # Checked before anything else touches the gateway: it is still up.
        if not gateway.alive():
            fail_with_log("the gateway died (status %s)" % gateway.proc.returncode)

        with self.subTest("the gateway still serves local clients"):
            self.assertTrue(local_round_trip(gateway.port), "local QoS 1 round trip failed")

        with self.subTest("every connection started with a CONNECT"):
            if behaviour != "garbage":  # garbage goes out before the CONNECT is read
                self.assertTrue(all(c.connect_seen == 0x10 for c in in_window if c.connect_seen is not None),
                                [hex(c.connect_seen) for c in in_window])

        with self.subTest("reconnects, with backoff"):
            hi = max_connections(window, grows) + 1
            lo = min_connections(window, grows)
            self.assertGreaterEqual(len(in_window), lo, "no reconnect with backoff (gaps %s)" % gaps)
            self.assertLessEqual(len(in_window), hi, "reconnects faster than the backoff allows "
                                 "(restart_timeout %g %g; gaps %s)" % (BASE_S, CAP_S, gaps))

        with self.subTest("the gateway closes what it cannot use"):
            if behaviour in ("garbage", "bad_connack"):
                # Every connection but possibly the last (still being handled).
                done = in_window[:-1]
                not_closed = [c.index for c in done if c.peer_closed is not True]
                self.assertEqual(not_closed, [], "connections left open by the gateway")
                slow = [(c.index, round(c.closed_at - c.accepted_at, 2)) for c in done
                        if c.closed_at is not None and c.closed_at - c.accepted_at > CLOSE_WITHIN_S]
                self.assertEqual(slow, [], "closed only after %g s" % CLOSE_WITHIN_S)
            if behaviour == "close_on_packet":
                done = in_window[:-1]
                self.assertTrue(all(c.further_packet for c in done),
                                "a connection ended without a further packet from the gateway")

        with self.subTest("a log line names the bridge and the failure"):
            # The first attempt's failure, logged before the second attempt.
            text = gateway_log(gateway)[:in_window[1].log_mark] if len(in_window) > 1 else ""
            self.assertTrue(failure_logged(text), "no 'bridge %s: ...' line about the first failure "
                            "before the second attempt; log:\n%s" % (BRIDGE, text[-3000:]))

        if behaviour != "close_on_packet":
            with self.subTest("the notification topic says not connected"):
                self.assertEqual(retained(gateway.port, STATE_TOPIC), b"0")

    # (a) refused CONNECT
    def test_a_refused_v311(self):
        self.run_case("refuse", 4)

    def test_a_refused_v5(self):
        self.run_case("refuse", 5)

    # (b) garbage after accept
    def test_b_garbage_v311(self):
        self.run_case("garbage", 4)

    def test_b_garbage_v5(self):
        self.run_case("garbage", 5)

    # (c) CONNACK 0, then a close at the next packet: each CONNACK resets the backoff.
    def test_c_close_at_every_packet_v311(self):
        self.run_case("close_on_packet", 4, grows=False)

    def test_c_close_at_every_packet_v5(self):
        self.run_case("close_on_packet", 5, grows=False)

    # (e) malformed CONNACK
    def test_e_bad_connack_v311(self):
        self.run_case("bad_connack", 4)

    def test_e_bad_connack_v5(self):
        self.run_case("bad_connack", 5)

    # (d) silence: the CONNECT times out.
    def test_d_silent_upstream_v311(self):
        self.run_silent(4)

    def test_d_silent_upstream_v5(self):
        self.run_silent(5)

    def run_silent(self, version):
        fake = FakeUpstream("silent", version)
        gateway = Broker(self.gateway_conf(fake.port, version))
        fake.on_accept = lambda: log_size(gateway)
        try:
            gateway.start()
            self._silent(fake, gateway, version)
        finally:
            problem = gateway.shutdown_problem() if gateway.proc is not None else None
            fake.stop()
            if problem:
                self.fail("gateway: " + problem)

    def _silent(self, fake, gateway, version):
        def fail_with_log(msg):
            self.fail("%s\n--- gateway stderr ---\n%s" % (msg, gateway.stderr_text()[-6000:]))

        deadline = time.monotonic() + 10.0
        while not fake.snapshot() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not fake.snapshot():
            fail_with_log("the bridge never connected to the fake upstream")
        first = fake.snapshot()[0]
        # The gateway gives up on the first connection after its CONNECT timer and
        # connects again after a backoff (at most CAP).
        limit = CONNECT_TIMEOUT_S + CAP_S + CLOSE_WITHIN_S
        deadline = first.accepted_at + limit
        while len(fake.snapshot()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        conns = fake.snapshot()
        sys.stderr.write("silent v%d: first connection closed by the gateway after %s s; %d connection(s)\n"
                         % (version, "%.2f" % (first.closed_at - first.accepted_at) if first.closed_at else "-",
                            len(conns)))
        if not gateway.alive():
            fail_with_log("the gateway died (status %s)" % gateway.proc.returncode)
        with self.subTest("the gateway still serves local clients"):
            self.assertTrue(local_round_trip(gateway.port), "local QoS 1 round trip failed")
        with self.subTest("the CONNECT times out and the bridge reconnects"):
            self.assertEqual(first.connect_seen, 0x10)
            self.assertTrue(first.peer_closed, "the gateway did not close a connection without CONNACK "
                            "within %g s" % limit)
            # Not at once either: a CONNACK may take a moment.
            self.assertGreaterEqual(first.closed_at - first.accepted_at, 1.0)
            self.assertGreaterEqual(len(conns), 2, "no new connection within %g s" % limit)
            self.assertLessEqual(len(conns), 3, "reconnects faster than the CONNECT timer and backoff allow")
        with self.subTest("a log line names the bridge and the failure"):
            text = gateway_log(gateway)[:conns[1].log_mark] if len(conns) > 1 else gateway_log(gateway)
            self.assertTrue(failure_logged(text), "no 'bridge %s: ...' line about the time-out before "
                            "the second attempt; log:\n%s" % (BRIDGE, text[-3000:]))
        with self.subTest("the notification topic says not connected"):
            self.assertEqual(retained(gateway.port, STATE_TOPIC), b"0")


def gateway_log(gateway):
    return gateway.stderr_text(tail=10 ** 9)


def log_size(gateway):
    return len(gateway_log(gateway))


def bridge_lines(gateway):
    """The gateway's log lines that name the bridge."""
    return [l for l in gateway_log(gateway).splitlines() if "bridge %s: " % BRIDGE in l]


def failure_logged(text):
    """True if `text` (gateway log) has a line naming the bridge other than its
    start-up line and successful connections."""
    for line in text.splitlines():
        if "bridge %s: " % BRIDGE not in line:
            continue
        if " address(es), " in line or ": connected to " in line:
            continue
        return True
    return False


def local_round_trip(port):
    """A 3.1.1 client subscribes to a local topic at QoS 1 and gets its own publish."""
    try:
        with RawClient(port, timeout=5.0) as c:
            c.connect_ok(4, client_id="local-check")
            c.send(subscribe(4, 1, "local/check", 1))
            first, body = c.recv_packet(5.0)
            if first != 0x90:
                return False
            c.send(publish(4, "local/check", b"still here", qos=1, pid=2))
            got_puback = got_publish = False
            deadline = time.monotonic() + 5.0
            while not (got_puback and got_publish) and time.monotonic() < deadline:
                first, body = c.recv_packet(max(0.1, deadline - time.monotonic()))
                if first == 0x40:
                    got_puback = True
                elif first >> 4 == 3:
                    topic, payload, qos, _retain, pid, _props = publish_fields(4, first, body)
                    got_publish = topic == "local/check" and payload == b"still here"
                    if qos == 1:
                        c.send(bytes([0x40, 0x02]) + pid.to_bytes(2, "big"))
            c.send(bytes([0xE0, 0x00]))
            return got_puback and got_publish
    except (OSError, AssertionError):
        return False


def retained(port, topic):
    """The retained payload on `topic` (None if there is none within 2 s)."""
    try:
        with RawClient(port, timeout=5.0) as c:
            c.connect_ok(4, client_id="state-check")
            c.send(subscribe(4, 1, topic, 0))
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline:
                first, body = c.recv_packet(max(0.1, deadline - time.monotonic()))
                if first >> 4 == 3:
                    c.send(bytes([0xE0, 0x00]))
                    return publish_fields(4, first, body)[1]
    except (OSError, AssertionError):
        return None
    return None


if __name__ == "__main__":
    unittest.main(verbosity=2)
