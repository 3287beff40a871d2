#!/usr/bin/env python3
"""mote-broker as a program: command line, configuration errors, listeners, raw
CONNECT/CONNACK round trips, signals and many idle connections.

Python 3 standard library only. The broker binary comes from $MOTE_BROKER or the
first command line argument:

    MOTE_BROKER=build/broker/mote-broker python3 tests/interop/net/test_cli.py -v
    python3 tests/interop/net/test_cli.py build/broker/mote-broker

Every broker is started by the test on 127.0.0.1 with a free port and stopped by
PID. Not a unit test, so nothing here asserts a timing target except the 2 s
graceful-shutdown bound the program promises.

Measuring memory per idle connection (not a test; prints numbers):

    python3 tests/interop/net/test_cli.py BROKER --measure-rss 10000
"""

import os
import resource
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HOST = "127.0.0.1"
BROKER = os.environ.get("MOTE_BROKER", "")

# Golden CONNECTs (HOSTILE_INPUTS.md "C4"/"C5"): client id "p", keepalive 10 s,
# clean session / clean start.
CONNECT_311 = bytes.fromhex("100D00044D5154540402000A000170")
CONNECT_5 = bytes.fromhex("100E00044D5154540502000A00000170")
PINGREQ = bytes.fromhex("C000")


def connect_packet(version, client_id):
    """A CONNECT with the given protocol level (4 or 5) and client id."""
    cid = client_id.encode()
    var = b"\x00\x04MQTT" + bytes([version, 0x02, 0x00, 0x3C])
    if version == 5:
        var += b"\x00"  # no properties
    payload = len(cid).to_bytes(2, "big") + cid
    body = var + payload
    assert len(body) < 128
    return bytes([0x10, len(body)]) + body


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def broker_env():
    """The environment for a broker. In an AddressSanitizer build, freed memory is
    held in a quarantine (256 MB by default), which would make every RSS check
    meaningless; keep it small. No effect on a normal build."""
    env = dict(os.environ)
    extra = "quarantine_size_mb=0"
    env["ASAN_OPTIONS"] = (env["ASAN_OPTIONS"] + ":" + extra) if env.get("ASAN_OPTIONS") else extra
    return env


def run(args, timeout=10):
    """Runs the broker to completion (for options that exit)."""
    return subprocess.run([BROKER] + args, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=timeout, text=True)


def recv_exact(sock, n, timeout=5.0):
    sock.settimeout(timeout)
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes: %r" % (len(data), n, data))
        data += chunk
    return data


def read_packet(sock, timeout=5.0):
    """One MQTT packet: (first byte, body)."""
    first = recv_exact(sock, 1, timeout)[0]
    length, mul = 0, 1
    for _ in range(4):
        b = recv_exact(sock, 1, timeout)[0]
        length += (b & 0x7F) * mul
        mul *= 128
        if not b & 0x80:
            break
    return first, recv_exact(sock, length, timeout) if length else b""


def closed_by_peer(sock, timeout=3.0):
    """True when the peer closes (EOF or reset) within `timeout`, draining any bytes
    it sends first."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


class BrokerProcess:
    """A running mote-broker; stderr/stdout go to a file we can read."""

    def __init__(self, args, port=None):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="mote-net-")
        self.log_path = os.path.join(self.dir, "broker.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([BROKER] + args, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, env=broker_env())

    def wait_listening(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("broker exited with %s:\n%s" % (self.proc.returncode, self.text()))
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("broker did not listen on %d:\n%s" % (self.port, self.text()))

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if not self.log.closed:
            self.log.close()
            text = self.text()
            # A sanitizer build reports here; a clean exit status alone would hide a
            # UBSan "runtime error" that did not abort.
            for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
                if marker in text:
                    raise AssertionError("broker reported %s:\n%s" % (marker, text[-8000:]))
        return self.proc.returncode


def start_broker(conf_lines=None, extra_args=()):
    """Starts a broker on a free port; with conf_lines, from a generated config file
    whose first line is the listener."""
    for _ in range(3):
        port = free_port()
        args = list(extra_args)
        if conf_lines is None:
            args += ["-p", str(port)]
        else:
            path = os.path.join(tempfile.mkdtemp(prefix="mote-net-"), "mote.conf")
            with open(path, "w") as f:
                f.write("\n".join(["listener %d 127.0.0.1" % port] + list(conf_lines)) + "\n")
            args += ["-c", path]
        b = BrokerProcess(args, port)
        try:
            return b.wait_listening()
        except RuntimeError:
            b.stop()
            if "in use" not in b.text():
                raise
    raise RuntimeError("no free port")


def write_conf(text):
    path = os.path.join(tempfile.mkdtemp(prefix="mote-net-"), "bad.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


class CommandLine(unittest.TestCase):
    def test_version(self):
        r = run(["--version"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^mote-broker \d+\.\d+\.\d+")

    def test_help(self):
        for flag in ("-h", "--help"):
            r = run([flag])
            self.assertEqual(r.returncode, 0, r.stderr)
            for option in ("-c", "-p", "-v", "--test-config", "--version"):
                self.assertIn(option, r.stdout)
            self.assertIn("127.0.0.1", r.stdout)

    def test_unknown_option_exits_2(self):
        r = run(["--frobnicate"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("--frobnicate", r.stderr)
        self.assertIn("--help", r.stderr)

    def test_bad_port_value_exits_2(self):
        for value in ("abc", "0", "70000"):
            r = run(["-p", value])
            self.assertEqual(r.returncode, 2, value)
            self.assertIn(value, r.stderr)

    def test_missing_option_value_exits_2(self):
        r = run(["-c"])
        self.assertEqual(r.returncode, 2)


class ConfigChecks(unittest.TestCase):
    def test_test_config_good(self):
        path = write_conf("# a comment\nlistener %d 127.0.0.1\nmax_keepalive 60\n" % free_port())
        r = run(["--test-config", "-c", path])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("configuration OK", r.stdout)

    def test_test_config_bad_names_file_and_line(self):
        path = write_conf("# comment\nlistener %d 127.0.0.1\nmax_keepalive banana\n" % free_port())
        r = run(["--test-config", "-c", path])
        self.assertEqual(r.returncode, 1)
        self.assertIn(path + ":3", r.stderr)
        self.assertIn("max_keepalive", r.stderr)
        self.assertNotIn("configuration OK", r.stdout)

    def test_config_error_at_startup_exits_1(self):
        path = write_conf("listener %d 127.0.0.1\nno_such_option 1\n" % free_port())
        r = run(["-c", path])
        self.assertEqual(r.returncode, 1)
        self.assertIn(path + ":2", r.stderr)
        self.assertIn("no_such_option", r.stderr)

    def test_missing_config_file_exits_1(self):
        path = os.path.join(tempfile.mkdtemp(prefix="mote-net-"), "absent.conf")
        r = run(["-c", path])
        self.assertEqual(r.returncode, 1)
        self.assertIn(path, r.stderr)

    def test_websockets_listener_is_accepted(self):
        # WebSocket listeners exist now (docs/websockets.md, test_websockets.py).
        path = write_conf("listener %d 127.0.0.1\nprotocol websockets\n" % free_port())
        r = run(["--test-config", "-c", path])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("configuration OK", r.stdout)


class Listeners(unittest.TestCase):
    def test_port_in_use_exits_1(self):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((HOST, 0))
            s.listen(1)
            port = s.getsockname()[1]
            r = run(["-p", str(port)])
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("address already in use", r.stderr)
        self.assertIn(str(port), r.stderr)

    def test_default_bind_is_loopback_only(self):
        b = start_broker()
        try:
            listening = listening_addresses(b.port)
            self.assertEqual(listening, {"127.0.0.1"}, listening)
        finally:
            b.stop()

    def test_max_connections_refuses_beyond(self):
        b = start_broker(["max_connections 2"])
        try:
            time.sleep(0.2)  # the readiness probe's connection must be gone
            a1, a2 = socket.create_connection((HOST, b.port)), socket.create_connection((HOST, b.port))
            for i, s in enumerate((a1, a2)):
                s.sendall(connect_packet(4, "keep%d" % i))
                self.assertEqual(read_packet(s), (0x20, b"\x00\x00"))
            extra = socket.create_connection((HOST, b.port))
            self.assertTrue(closed_by_peer(extra), "third connection was not refused")
            # The first two still work.
            a1.sendall(PINGREQ)
            self.assertEqual(read_packet(a1), (0xD0, b""))
            for s in (a1, a2, extra):
                s.close()
        finally:
            b.stop()


class PacketLimits(unittest.TestCase):
    def test_connect_above_max_packet_size_closed_before_the_body(self):
        # HOSTILE row 5 [MQTT-3.2.2-15 by analogy]: judged on the fixed header alone.
        b = start_broker(["max_packet_size 1000"])
        try:
            s = socket.create_connection((HOST, b.port))
            s.sendall(bytes.fromhex("10C83E"))  # CONNECT, Remaining Length 8008
            self.assertTrue(closed_by_peer(s))
            s.close()
            self.assertIsNone(b.proc.poll())
        finally:
            self.assertEqual(b.stop(), 0)


class MoreListeners(unittest.TestCase):
    def start_with(self, text, port, extra=()):
        path = write_conf(text)
        b = BrokerProcess(["-c", path] + list(extra), port)
        self.addCleanup(b.stop)
        return b.wait_listening()

    def test_empty_bind_address_listens_on_all_interfaces(self):
        # mosquitto semantics: "listener PORT" without an address is every interface.
        port = free_port()
        b = self.start_with("listener %d\n" % port, port)
        self.assertTrue(listening_addresses(port) & {"0.0.0.0", "::"}, listening_addresses(port))
        s = socket.create_connection((HOST, port))
        s.sendall(CONNECT_311)
        self.assertEqual(read_packet(s), (0x20, b"\x00\x00"))
        s.close()

    def test_ipv6_listener(self):
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
                probe.bind(("::1", 0))
                port = probe.getsockname()[1]
        except OSError:
            self.skipTest("no IPv6 loopback on this machine")
        path = write_conf("listener %d ::1\n" % port)
        b = BrokerProcess(["-c", path], port)
        self.addCleanup(b.stop)
        deadline = time.monotonic() + 10
        s = None
        while s is None and time.monotonic() < deadline:
            self.assertIsNone(b.proc.poll(), b.text())
            try:
                s = socket.create_connection(("::1", port), timeout=1)
            except OSError:
                time.sleep(0.05)
        self.assertIsNotNone(s, b.text())
        s.sendall(CONNECT_5)
        self.assertEqual(read_packet(s)[0], 0x20)
        s.close()
        self.assertEqual(listening_addresses(port), {"::1"})

    def test_port_option_with_a_config_without_listeners(self):
        # No listener in the file: the default listener, on loopback, at -p's port.
        port = free_port()
        b = self.start_with("max_keepalive 60\n", port, ["-p", str(port)])
        self.assertEqual(listening_addresses(port), {"127.0.0.1"})
        self.assertIsNone(b.proc.poll())

    def test_port_option_adds_a_loopback_listener(self):
        p1, p2 = free_port(), free_port()
        self.start_with("listener %d 127.0.0.1\n" % p1, p1, ["-p", str(p2)])
        self.assertEqual(listening_addresses(p2), {"127.0.0.1"})
        for port in (p1, p2):
            s = socket.create_connection((HOST, port))
            s.sendall(connect_packet(4, "p%d" % port))
            self.assertEqual(read_packet(s), (0x20, b"\x00\x00"))
            s.close()

    def test_two_listeners(self):
        p1, p2 = free_port(), free_port()
        self.start_with("listener %d 127.0.0.1\nlistener %d 127.0.0.1\n" % (p1, p2), p1)
        for port in (p1, p2):
            s = socket.create_connection((HOST, port))
            s.sendall(connect_packet(4, "l%d" % port))
            self.assertEqual(read_packet(s), (0x20, b"\x00\x00"))
            s.close()

    def test_verbose_logs_accepts(self):
        port = free_port()
        b = BrokerProcess(["-p", str(port), "-v"], port)
        self.addCleanup(b.stop)
        b.wait_listening()
        s = socket.create_connection((HOST, port))
        s.sendall(CONNECT_311)
        read_packet(s)
        s.close()
        self.assertIn("accept", b.text())
        self.assertIn("127.0.0.1:%d" % port, b.text())  # the startup line names it


class Timers(unittest.TestCase):
    """The engine's deadlines reach the socket: one uv timer re-armed to
    Engine::next_deadline()."""

    @classmethod
    def setUpClass(cls):
        cls.broker = start_broker(["connect_timeout 1"])

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def test_silent_socket_closed_after_connect_timeout(self):
        s = socket.create_connection((HOST, self.broker.port))
        self.addCleanup(s.close)
        self.assertTrue(closed_by_peer(s, timeout=5))

    def test_truncated_packet_then_silence_closed_by_keepalive(self):
        # HOSTILE row 6: keepalive 1 s; the broker closes after 1.5 x keepalive
        # [MQTT-3.1.2-24] even though half a PUBLISH is buffered.
        s = socket.create_connection((HOST, self.broker.port))
        self.addCleanup(s.close)
        s.sendall(bytes.fromhex("100D00044D51545404020001000170"))
        self.assertEqual(read_packet(s), (0x20, b"\x00\x00"))
        s.sendall(bytes.fromhex("3064000574 6F70".replace(" ", "")))
        self.assertTrue(closed_by_peer(s, timeout=5))


def listening_addresses(port):
    """Local addresses with a LISTEN socket on `port` (from /proc/net/tcp{,6})."""
    found = set()
    for path, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        try:
            with open(path) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            addr, p = fields[1].split(":")
            if int(p, 16) != port or fields[3] != "0A":  # 0A: TCP_LISTEN
                continue
            raw = bytes.fromhex(addr)
            if v6:
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                found.add(socket.inet_ntop(socket.AF_INET6, words))
            else:
                found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
    return found


class RawMqtt(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = start_broker()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def connect(self):
        s = socket.create_connection((HOST, self.broker.port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(10)  # a broker that misbehaves fails the test, never hangs it
        self.addCleanup(s.close)
        return s

    def test_connect_311(self):
        s = self.connect()
        s.sendall(CONNECT_311)
        # [MQTT-3.2.2-1..3]: CONNACK, Session Present 0 after a clean session, code 0.
        self.assertEqual(read_packet(s), (0x20, b"\x00\x00"))

    def test_connect_5(self):
        s = self.connect()
        s.sendall(CONNECT_5)
        first, body = read_packet(s)
        self.assertEqual(first, 0x20)
        self.assertGreaterEqual(len(body), 3)  # flags, reason, property length
        self.assertEqual(body[0], 0x00)  # Session Present 0 with Clean Start
        self.assertEqual(body[1], 0x00)  # Success

    def test_connect_one_byte_at_a_time(self):
        s = self.connect()
        for b in CONNECT_311:
            s.sendall(bytes([b]))
            time.sleep(0.005)
        self.assertEqual(read_packet(s), (0x20, b"\x00\x00"))
        # And a packet split right inside its fixed header.
        s.sendall(PINGREQ[:1])
        time.sleep(0.05)
        s.sendall(PINGREQ[1:])
        self.assertEqual(read_packet(s), (0xD0, b""))

    def test_pipelined_packets_in_one_write(self):
        s = self.connect()
        s.sendall(connect_packet(4, "pipe") + PINGREQ + PINGREQ)
        self.assertEqual(read_packet(s), (0x20, b"\x00\x00"))
        # [MQTT-3.12.4-1]: a PINGRESP for each PINGREQ.
        self.assertEqual(read_packet(s), (0xD0, b""))
        self.assertEqual(read_packet(s), (0xD0, b""))

    def test_first_packet_not_connect_is_closed_without_buffering(self):
        # HOSTILE row 3: 14 sockets each announce a ~244 MB PUBLISH as their first
        # packet and keep sending; each is closed on the first byte [MQTT-3.1.0-1]
        # and the broker grows by far less than the 20 MB the checklist allows.
        before = rss_kb(self.broker.proc.pid)
        socks = [self.connect() for _ in range(14)]
        for s in socks:
            s.sendall(bytes.fromhex("3080808074"))
        for s in socks:
            try:
                s.sendall(b"\x01" * (4 << 20))
            except (BrokenPipeError, ConnectionResetError):
                pass
        for s in socks:
            self.assertTrue(closed_by_peer(s))
        grown = rss_kb(self.broker.proc.pid) - before
        self.assertLess(grown, 2048, "broker grew %d kB" % grown)

    def subscriber(self, client_id):
        s = self.connect()
        s.sendall(connect_packet(4, client_id))
        self.assertEqual(read_packet(s), (0x20, b"\x00\x00"))
        topic = ("big/" + client_id).encode()
        body = b"\x00\x07" + len(topic).to_bytes(2, "big") + topic + b"\x00"
        s.sendall(bytes([0x82, len(body)]) + body)  # SUBSCRIBE id 7, QoS 0
        first, ack = read_packet(s)
        self.assertEqual((first, ack[:2]), (0x90, b"\x00\x07"))
        return s, topic.decode()

    def test_packet_larger_than_the_read_buffer(self):
        # 3 MB: copied into the connection's buffer across ~48 reads, delivered once.
        sub, topic = self.subscriber("bigsub")
        pub = self.connect()
        pub.sendall(connect_packet(4, "bigpub"))
        self.assertEqual(read_packet(pub)[0], 0x20)
        payload = bytes(range(256)) * (3 * 4096)
        pub.sendall(publish_packet(topic, payload))
        first, body = read_packet(sub, timeout=10)
        self.assertEqual(first & 0xF0, 0x30)
        self.assertEqual(body, len(topic).to_bytes(2, "big") + topic.encode() + payload)

    def test_one_message_larger_than_the_output_caps(self):
        # 6 MB to a subscriber that reads: above the per-connection output caps
        # (1 MiB soft, 4 MiB hard), yet one packet on an empty queue is always taken.
        sub, topic = self.subscriber("hugesub")
        pub = self.connect()
        pub.sendall(connect_packet(4, "hugepub"))
        self.assertEqual(read_packet(pub)[0], 0x20)
        payload = os.urandom(6 << 20)
        pub.sendall(publish_packet(topic, payload))
        first, body = read_packet(sub, timeout=20)
        self.assertEqual(first & 0xF0, 0x30)
        self.assertEqual(body[2 + len(topic):], payload)

    def test_burst_of_small_packets_across_read_boundaries(self):
        # Thousands of packets in one write: whole ones are parsed in place, the one
        # cut by each 64 KiB read is completed from the next read.
        sub, topic = self.subscriber("burstsub")
        pub = self.connect()
        pub.sendall(connect_packet(4, "burstpub"))
        self.assertEqual(read_packet(pub)[0], 0x20)
        count = 5000
        pub.sendall(b"".join(publish_packet(topic, b"%05d-" % i + b"x" * (i % 97)) for i in range(count)))
        for i in range(count):
            first, body = read_packet(sub, timeout=10)
            self.assertEqual(first & 0xF0, 0x30)
            self.assertEqual(body[2 + len(topic):], b"%05d-" % i + b"x" * (i % 97))

    def test_peer_half_close_still_gets_its_connack(self):
        # "printf CONNECT | nc": the client shuts down its sending side at once.
        s = self.connect()
        s.sendall(CONNECT_311)
        s.shutdown(socket.SHUT_WR)
        self.assertEqual(read_packet(s), (0x20, b"\x00\x00"))
        self.assertTrue(closed_by_peer(s))

    def test_many_idle_connections(self):
        socks = []
        for i in range(200):
            s = socket.create_connection((HOST, self.broker.port))
            self.addCleanup(s.close)
            s.sendall(connect_packet(4 if i % 2 else 5, "idle-%d" % i))
            socks.append(s)
        for i, s in enumerate(socks):
            first, body = read_packet(s)
            self.assertEqual(first, 0x20, i)
            self.assertEqual(body[1], 0x00, i)
        # All are alive: each answers a PINGREQ.
        for s in socks:
            s.sendall(PINGREQ)
        for s in socks:
            self.assertEqual(read_packet(s), (0xD0, b""))
        self.assertIsNone(self.broker.proc.poll())


def publish_packet(topic, payload):
    """A QoS 0 PUBLISH (3.1.1 layout)."""
    body = len(topic).to_bytes(2, "big") + topic.encode() + payload
    n, rl = len(body), b""
    while True:
        b, n = n % 128, n // 128
        rl += bytes([b | (0x80 if n else 0)])
        if not n:
            return b"\x30" + rl + body


class SlowConsumer(unittest.TestCase):
    def small_buffer_subscriber(self, port, client_id, subscribe_hex):
        """A 3.1.1 connection with a 4 KB receive buffer, connected and sent the
        SUBSCRIBE given in hex; returns (socket, the broker's reply to it)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((HOST, port))
        sock.sendall(connect_packet(4, client_id))
        self.assertEqual(read_packet(sock), (0x20, b"\x00\x00"))
        sock.sendall(bytes.fromhex(subscribe_hex))
        return sock, read_packet(sock)

    def publisher(self, port, client_id):
        """A plain 3.1.1 connection, connected."""
        sock = socket.create_connection((HOST, port))
        sock.sendall(connect_packet(4, client_id))
        self.assertEqual(read_packet(sock), (0x20, b"\x00\x00"))
        return sock

    def test_subscriber_that_never_reads_does_not_grow_the_broker(self):
        # STYLE #13: output per connection is capped; a client that never reads is
        # throttled or disconnected, and the broker's memory stays bounded. The
        # engine's own queue for the slow session is bounded by max_queued_bytes.
        b = start_broker(["max_queued_bytes 2000000"])
        try:
            # SUBSCRIBE t/# QoS 0
            slow, suback = self.small_buffer_subscriber(b.port, "slow", "820800010003742F2300")
            self.assertEqual(suback[0], 0x90)
            time.sleep(0.2)
            before = rss_kb(b.proc.pid)
            pub = self.publisher(b.port, "fast")
            msg = publish_packet("t/x", b"\xAB" * 65536)
            for _ in range(1600):  # 100 MB toward a reader that takes nothing
                pub.sendall(msg)
            pub.sendall(PINGREQ)
            self.assertEqual(read_packet(pub, timeout=30), (0xD0, b""))
            grown = rss_kb(b.proc.pid) - before
            self.assertLess(grown, 32 * 1024, "broker grew %d kB" % grown)
            self.assertIsNone(b.proc.poll())
            slow.close()
            pub.close()
        finally:
            self.assertEqual(b.stop(), 0)

    def test_slow_reader_gets_every_byte_through_partial_writes(self):
        # 10 MB of QoS 0 messages toward a subscriber with a 4 KB receive buffer that
        # reads 4 KB at a time: more than the kernel's send buffer holds, so the
        # broker's writes to it end part-way through packets again and again, and its
        # output cap pushes back into the session queue. Every message must still
        # arrive once, whole and in order, and the subscriber must not be taken for a
        # slow consumer (the cap counts the bytes the broker holds, not bytes sent).
        b = start_broker()
        count, size = 160, 65536
        try:
            # SUBSCRIBE pw/# QoS 0
            sub, suback = self.small_buffer_subscriber(b.port, "slowsub", "82090001000470772F2300")
            self.assertEqual(suback, (0x90, b"\x00\x01\x00"))
            pub = self.publisher(b.port, "fastpub")
            for i in range(count):
                pub.sendall(publish_packet("pw/t", i.to_bytes(4, "big") * (size // 4)))
            pub.sendall(PINGREQ)
            self.assertEqual(read_packet(pub, timeout=30), (0xD0, b""))
            header = publish_packet("pw/t", b"\x00" * size)[:-size]  # 30 RL 00 04 'pw/t'
            want = len(header) + size
            buf, got = b"", 0
            deadline = time.monotonic() + 60
            sub.settimeout(5)
            while got < count and time.monotonic() < deadline:
                chunk = sub.recv(4096)
                self.assertTrue(chunk, "the broker closed the slow subscriber after %d messages" % got)
                buf += chunk
                while len(buf) >= want:
                    self.assertEqual(buf[:len(header)], header, "message %d: bad header" % got)
                    self.assertEqual(buf[len(header):want], got.to_bytes(4, "big") * (size // 4),
                                     "message %d arrived damaged or out of order" % got)
                    buf = buf[want:]
                    got += 1
                time.sleep(0.0002)
            self.assertEqual(got, count)
            self.assertEqual(buf, b"")
            sub.sendall(PINGREQ)
            self.assertEqual(read_packet(sub), (0xD0, b""))
            sub.close()
            pub.close()
        finally:
            self.assertEqual(b.stop(), 0)

class Signals(unittest.TestCase):
    def test_sigterm_sends_disconnect_0x8b_and_exits_0(self):
        b = start_broker()
        try:
            v5 = socket.create_connection((HOST, b.port))
            v5.sendall(CONNECT_5)
            self.assertEqual(read_packet(v5)[0], 0x20)
            v311 = socket.create_connection((HOST, b.port))
            v311.sendall(connect_packet(4, "other"))  # not "p": no session takeover
            self.assertEqual(read_packet(v311)[0], 0x20)
            start = time.monotonic()
            os.kill(b.proc.pid, signal.SIGTERM)
            # MQTT 5: DISCONNECT with Reason Code 0x8B Server shutting down (§3.14.2.1).
            first, body = read_packet(v5)
            self.assertEqual(first, 0xE0)
            self.assertEqual(body[0], 0x8B)
            self.assertTrue(closed_by_peer(v5))
            # 3.1.1 has no server DISCONNECT: a plain close.
            self.assertTrue(closed_by_peer(v311))
            b.proc.wait(timeout=2)
            self.assertLess(time.monotonic() - start, 2.0)
            self.assertEqual(b.proc.returncode, 0, b.text())
            v5.close()
            v311.close()
        finally:
            b.stop()

    def test_sigint_exits_0(self):
        b = start_broker()
        try:
            os.kill(b.proc.pid, signal.SIGINT)
            b.proc.wait(timeout=2)
            self.assertEqual(b.proc.returncode, 0, b.text())
        finally:
            b.stop()

    def test_sighup_reloads_and_keeps_running(self):
        b = start_broker(["max_keepalive 60"])
        try:
            s = socket.create_connection((HOST, b.port))
            s.sendall(CONNECT_311)
            self.assertEqual(read_packet(s)[0], 0x20)
            os.kill(b.proc.pid, signal.SIGHUP)
            deadline = time.monotonic() + 3
            while "SIGHUP" not in b.text() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertIn("reloaded", b.text())
            s.sendall(PINGREQ)
            self.assertEqual(read_packet(s), (0xD0, b""))
            self.assertIsNone(b.proc.poll())
            s.close()
        finally:
            self.assertEqual(b.stop(), 0)

    def test_sighup_applies_listener_max_connections(self):
        port = free_port()
        path = write_conf("listener %d 127.0.0.1\nmax_connections 1\n" % port)
        b = BrokerProcess(["-c", path], port)
        try:
            b.wait_listening()
            time.sleep(0.2)  # the readiness probe's connection must be gone
            first = socket.create_connection((HOST, port))
            first.sendall(connect_packet(4, "one"))
            self.assertEqual(read_packet(first)[0], 0x20)
            second = socket.create_connection((HOST, port))
            self.assertTrue(closed_by_peer(second), "limit 1 not enforced")
            second.close()
            with open(path, "w") as f:
                f.write("listener %d 127.0.0.1\nmax_connections 2\n" % port)
            os.kill(b.proc.pid, signal.SIGHUP)
            deadline = time.monotonic() + 3
            while "reloaded" not in b.text() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertIn("max_connections", b.text())
            third = socket.create_connection((HOST, port))
            third.sendall(connect_packet(4, "three"))
            self.assertEqual(read_packet(third)[0], 0x20)
            first.close()
            third.close()
        finally:
            self.assertEqual(b.stop(), 0)

    def test_sighup_with_a_broken_file_keeps_the_running_config(self):
        port = free_port()
        path = write_conf("listener %d 127.0.0.1\n" % port)
        b = BrokerProcess(["-c", path], port)
        try:
            b.wait_listening()
            with open(path, "a") as f:
                f.write("max_keepalive banana\n")
            os.kill(b.proc.pid, signal.SIGHUP)
            deadline = time.monotonic() + 3
            while "reload failed" not in b.text() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertIn("reload failed", b.text())
            self.assertIn(path + ":2", b.text())
            s = socket.create_connection((HOST, port))
            s.sendall(CONNECT_311)
            self.assertEqual(read_packet(s), (0x20, b"\x00\x00"))
            s.close()
        finally:
            self.assertEqual(b.stop(), 0)

    def test_sigpipe_is_ignored(self):
        # A client that resets while the broker writes must not kill the broker.
        b = start_broker()
        try:
            for _ in range(20):
                s = socket.create_connection((HOST, b.port))
                s.sendall(CONNECT_311 + PINGREQ * 50)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                s.close()  # RST
            time.sleep(0.3)
            self.assertIsNone(b.proc.poll(), b.text())
        finally:
            b.stop()


def measure_rss(count):
    """Opens `count` idle MQTT 3.1.1 connections and prints the broker's RSS per
    connection. Needs ulimit -n above count (raised here as far as allowed)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, count + 1024)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < count + 64:
        print("ulimit -n hard limit %d is too low for %d connections" % (hard, count))
        return 1
    # The broker inherits the raised limit.
    b = start_broker(["max_keepalive 65535"])
    try:
        time.sleep(0.3)
        base = rss_kb(b.proc.pid)
        socks = []
        for i in range(count):
            s = socket.create_connection((HOST, b.port))
            s.sendall(connect_packet(4, "rss-%d" % i))
            socks.append(s)
            if len(socks) % 500 == 0:
                for t in socks[-500:]:
                    read_packet(t)
        for t in socks[len(socks) - len(socks) % 500:]:
            read_packet(t)
        time.sleep(0.5)
        after = rss_kb(b.proc.pid)
        print("broker RSS: %d kB before, %d kB with %d idle connections: %.0f bytes per connection"
              % (base, after, count, (after - base) * 1024.0 / count))
        for s in socks:
            s.close()
    finally:
        b.stop()
    return 0


def main():
    global BROKER
    argv = sys.argv[1:]
    if argv and not argv[0].startswith("-"):
        BROKER = argv.pop(0)
    if not BROKER:
        sys.stderr.write("set MOTE_BROKER or pass the mote-broker path as the first argument\n")
        return 2
    BROKER = os.path.abspath(BROKER)
    if not os.access(BROKER, os.X_OK):
        sys.stderr.write("%s is not an executable file\n" % BROKER)
        return 2
    if argv[:1] == ["--measure-rss"]:
        return measure_rss(int(argv[1]) if len(argv) > 1 else 10000)
    os.environ["MOTE_BROKER"] = BROKER
    prog = unittest.main(argv=[sys.argv[0]] + argv, exit=False)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
