#!/usr/bin/env python3
"""MQTT over WebSockets (docs/websockets.md, issue 12): `listener PORT` +
`protocol websockets`, and wss (the same with the TLS options).

- Interop: python paho-mqtt with transport="websockets" at QoS 0/1/2 in 3.1.1 and
  5.0, over ws and wss; MQTT.js (npm `mqtt`, installed at test time into
  $MOTE_NPM_DIR under the build tree) under Node subscribing over ws, fed by a
  paho-mqtt publisher on the plain TCP listener.
- Raw frames: MQTT packets split across binary frames at any byte and across
  continuation frames, ping/pong, the close handshake.
- Hostile input, each a clear close: an HTTP request without Upgrade (400), a wrong
  subprotocol (400), a wrong Sec-WebSocket-Version (426), a request that never ends
  (closed at tls_handshake_timeout), an oversized message (close 1009), a fragmented
  control frame and an unmasked client frame (close 1002), a text frame (close 1003
  [MQTT-6.0.0-1]). Other clients are unaffected after each.
"""

import base64
import hashlib
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from mqttraw import C4, C5  # noqa: E402

import paho.mqtt.client as paho  # noqa: E402

HOST = harness.HOST
TIMEOUT = 1  # tls_handshake_timeout, which also bounds the WebSocket upgrade
MAX_PACKET = 65536
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def ws_request(path="/mqtt", protocols="mqtt", version="13", upgrade=True, key=None):
    key = key or base64.b64encode(os.urandom(16)).decode()
    lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1"]
    if upgrade:
        lines += ["Upgrade: websocket", "Connection: Upgrade"]
    lines += ["Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: " + version]
    if protocols is not None:
        lines.append("Sec-WebSocket-Protocol: " + protocols)
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), key


def frame(opcode, payload, fin=True, mask=True):
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        hdr = bytes([b0, (0x80 if mask else 0) | n])
    elif n < 65536:
        hdr = bytes([b0, (0x80 if mask else 0) | 126]) + struct.pack("!H", n)
    else:
        hdr = bytes([b0, (0x80 if mask else 0) | 127]) + struct.pack("!Q", n)
    if not mask:
        return hdr + payload
    key = os.urandom(4)
    return hdr + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class RawWs:
    """A WebSocket client on a raw socket, for exact frames."""

    def __init__(self, port, **kw):
        self.sock = socket.create_connection((HOST, port), timeout=5)
        req, key = ws_request(**kw)
        self.sock.sendall(req)
        self.buf = b""
        head = self._until(b"\r\n\r\n")
        self.status = head.split(b"\r\n", 1)[0].decode()
        self.headers = head.decode()
        self.accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()

    def _until(self, marker):
        while marker not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed before %r" % marker)
            self.buf += chunk
        i = self.buf.index(marker) + len(marker)
        head, self.buf = self.buf[:i], self.buf[i:]
        return head

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_frame(self):
        b0, b1 = self._need(2)
        self.assert_unmasked = not (b1 & 0x80)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._need(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._need(8))[0]
        return b0 & 0x0F, self._need(n)

    def read_mqtt(self, n):
        """n bytes of MQTT, from as many binary frames as it takes."""
        data = b""
        while len(data) < n:
            op, payload = self.read_frame()
            if op != 2:
                raise AssertionError("expected a binary frame, got opcode %d %r" % (op, payload))
            data += payload
        return data

    def send(self, data):
        self.sock.sendall(data)

    def closed_within(self, seconds):
        """(closed?, frames seen before the close)."""
        self.sock.settimeout(0.1)
        frames = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                frames.append(self.read_frame())
            except socket.timeout:
                continue
            except (ConnectionError, ConnectionResetError):
                return True, frames
        return False, frames

    def close(self):
        self.sock.close()


def close_code(frames):
    for op, payload in frames:
        if op == 8:
            return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 0
    return None


class WsBroker(harness.Broker):
    """The harness broker (plain TCP on .port) plus a websockets listener (.ws_port)
    and, with `tls`, a wss listener (.wss_port)."""

    def __init__(self, extra=(), tls_dir=None):
        self.ws_port = harness.free_port()
        lines = ["listener %d %s" % (self.ws_port, HOST), "protocol websockets"]
        self.wss_port = None
        if tls_dir:
            self.wss_port = harness.free_port()
            lines += ["listener %d %s" % (self.wss_port, HOST), "protocol websockets",
                      "certfile " + os.path.join(tls_dir, "server.crt"),
                      "keyfile " + os.path.join(tls_dir, "server.key")]
        super().__init__(["max_packet_size %d" % MAX_PACKET] + lines + list(extra),
                         mote_conf=("tls_handshake_timeout %d" % TIMEOUT,))


CERTS = None


def setUpModule():
    global CERTS
    CERTS = tempfile.mkdtemp(prefix="mote-ws-test-")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def ossl(*args):
        subprocess.run(["openssl"] + list(args), check=True, cwd=CERTS, capture_output=True, timeout=60)
    ossl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=Mote ws CA")
    with open(os.path.join(CERTS, "san.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    ossl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    ossl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "server.crt", "-days", "2", "-extfile", "san.ext")


def tearDownModule():
    if CERTS:
        shutil.rmtree(CERTS, ignore_errors=True)


@unittest.skipUnless(harness.is_mote(), "the assertions are Mote's documented behaviour")
class WsTest(harness.BrokerTestCase):
    @classmethod
    def make_broker(cls):
        return WsBroker(tls_dir=CERTS).start()

    def paho_roundtrip(self, proto, port, tls=False):
        got = []
        done = threading.Event()
        c = paho.Client(client_id="ws-py-%d-%d" % (proto, port), protocol=proto, transport="websockets")
        c.ws_set_options(path="/mqtt")
        if tls:
            c.tls_set(ca_certs=os.path.join(CERTS, "ca.crt"))
        c.on_message = lambda _c, _u, m: (got.append((m.topic, m.qos, m.payload)), len(got) == 3 and done.set())
        c.connect(HOST, port, 30)
        c.loop_start()
        try:
            c.subscribe("ws/py/#", qos=2)
            time.sleep(0.3)
            for qos in (0, 1, 2):
                c.publish("ws/py/%d" % qos, b"w%d" % qos, qos=qos).wait_for_publish(5)
            self.assertTrue(done.wait(5), "received %r" % got)
            self.assertEqual(sorted(got), [("ws/py/0", 0, b"w0"), ("ws/py/1", 1, b"w1"), ("ws/py/2", 2, b"w2")])
        finally:
            c.disconnect()
            c.loop_stop()

    def assert_serves(self):
        self.paho_roundtrip(paho.MQTTv311, self.broker.ws_port)


class TestWsInterop(WsTest):
    def test_paho_ws_qos_012_v311_and_v5(self):
        for proto in (paho.MQTTv311, paho.MQTTv5):
            self.paho_roundtrip(proto, self.broker.ws_port)

    def test_paho_wss_qos_012_v311_and_v5(self):
        for proto in (paho.MQTTv311, paho.MQTTv5):
            self.paho_roundtrip(proto, self.broker.wss_port, tls=True)

    def test_ws_and_tcp_clients_share_the_broker(self):
        """A TCP publisher reaches a WebSocket subscriber (same engine)."""
        ws = RawWs(self.broker.ws_port)
        self.assertIn("101", ws.status)
        ws.send(frame(2, C4))
        self.assertEqual(ws.read_mqtt(4), b"\x20\x02\x00\x00")
        ws.send(frame(2, bytes.fromhex("820800010003612f6201")))  # SUBSCRIBE a/b QoS 1
        self.assertEqual(ws.read_mqtt(5), bytes.fromhex("9003000101"))
        subprocess.run(["mosquitto_pub", "-h", HOST, "-p", str(self.port), "-t", "a/b", "-m", "tcp", "-q", "1"],
                       check=True, timeout=10)
        self.assertEqual(ws.read_mqtt(12), bytes.fromhex("320a0003612f620001") + b"tcp")
        ws.close()

    def test_mqttjs_subscribes_over_ws(self):
        npm_dir = os.environ.get("MOTE_NPM_DIR")
        self.assertTrue(npm_dir, "MOTE_NPM_DIR not set (ctest sets it)")
        self.assertTrue(shutil.which("node") and shutil.which("npm"), "node/npm missing (scripts/setup.sh)")
        if not os.path.exists(os.path.join(npm_dir, "node_modules", "mqtt", "package.json")):
            os.makedirs(npm_dir, exist_ok=True)
            r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", npm_dir, "mqtt@5"],
                               capture_output=True, text=True, timeout=300)
            self.assertEqual(r.returncode, 0, "npm install mqtt failed:\n" + r.stdout + r.stderr)
        script = r"""
const mqtt = require('mqtt');
// node -e SCRIPT URL VERSION: the arguments are argv[1] and argv[2].
const c = mqtt.connect(process.argv[1], {protocolVersion: Number(process.argv[2]), clientId: 'mqttjs-' + process.argv[2]});
const got = [];
const t = setTimeout(() => { console.log(JSON.stringify({error: 'timeout', got})); process.exit(1); }, 10000);
c.on('error', (e) => { console.log(JSON.stringify({error: String(e)})); process.exit(1); });
c.on('connect', () => c.subscribe('js/#', {qos: 1}, (err) => {
  if (err) { console.log(JSON.stringify({error: String(err)})); process.exit(1); }
  console.log('subscribed');
}));
c.on('message', (topic, payload, packet) => {
  got.push([topic, payload.toString(), packet.qos]);
  if (got.length === 3) { clearTimeout(t); console.log(JSON.stringify({got})); c.end(false, () => process.exit(0)); }
});
"""
        for version in (4, 5):
            proc = subprocess.Popen(["node", "-e", script, "ws://127.0.0.1:%d/mqtt" % self.broker.ws_port,
                                     str(version)], cwd=npm_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
            try:
                line = proc.stdout.readline().strip()
                self.assertEqual(line, "subscribed", line + proc.stderr.read() if line != "subscribed" else "")
                for i in range(3):
                    subprocess.run(["mosquitto_pub", "-h", HOST, "-p", str(self.port), "-t", "js/%d" % i,
                                    "-m", "v%d" % i, "-q", "1"], check=True, timeout=10)
                out, err = proc.communicate(timeout=15)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            self.assertEqual(proc.returncode, 0, out + err)
            got = json.loads(out.strip().splitlines()[-1])["got"]
            self.assertEqual(got, [["js/0", "v0", 1], ["js/1", "v1", 1], ["js/2", "v2", 1]])


class TestWsFrames(WsTest):
    def open(self, **kw):
        ws = RawWs(self.broker.ws_port, **kw)
        self.assertIn(" 101 ", ws.status)
        self.assertIn("Sec-WebSocket-Accept: " + ws.accept, ws.headers)
        return ws

    def test_handshake_answer(self):
        ws = self.open(protocols="mqtt")
        self.assertIn("Sec-WebSocket-Protocol: mqtt\r\n", ws.headers)
        ws.close()
        ws = self.open(protocols="mqttv3.1")
        self.assertIn("Sec-WebSocket-Protocol: mqttv3.1\r\n", ws.headers)
        ws.close()

    def test_connect_split_across_frames_at_every_byte(self):
        for cut in range(1, len(C5)):
            ws = self.open()
            ws.send(frame(2, C5[:cut]) + frame(2, C5[cut:]))
            data = ws.read_mqtt(2)
            self.assertEqual(data[0], 0x20, "cut %d" % cut)
            ws.close()

    def test_connect_in_continuation_frames_and_two_packets_in_one_frame(self):
        ws = self.open()
        ws.send(frame(2, C4[:3], fin=False) + frame(0, C4[3:9], fin=False) + frame(0, C4[9:]))
        self.assertEqual(ws.read_mqtt(4), b"\x20\x02\x00\x00")
        ws.send(frame(2, b"\xc0\x00\xc0\x00"))  # two PINGREQs in one frame
        self.assertEqual(ws.read_mqtt(4), b"\xd0\x00\xd0\x00")
        ws.close()

    def test_ping_pong(self):
        ws = self.open()
        ws.send(frame(9, b"hello"))
        self.assertEqual(ws.read_frame(), (10, b"hello"))
        ws.close()

    def test_close_handshake(self):
        ws = self.open()
        ws.send(frame(2, C4))
        self.assertEqual(ws.read_mqtt(4), b"\x20\x02\x00\x00")
        ws.send(frame(8, struct.pack("!H", 1000)))
        closed, frames = ws.closed_within(1.0)
        self.assertTrue(closed)
        self.assertEqual(close_code(frames), 1000)

    def test_server_close_sends_close_frame(self):
        """An MQTT protocol error closes with the MQTT reply, then close frame 1000."""
        ws = self.open()
        ws.send(frame(2, C5))
        self.assertEqual(ws.read_mqtt(2)[0], 0x20)
        ws.send(frame(2, b"\x00\x00"))  # reserved packet type
        self.assertEqual(ws.read_frame()[0:1], (2,))  # DISCONNECT 0x81/0x82 ...
        op, payload = ws.read_frame()  # ... then close frame 1000
        self.assertEqual((op, struct.unpack("!H", payload[:2])[0]), (8, 1000))
        # RFC 6455 §7.1.1: the server waits for our close frame, then closes TCP.
        ws.send(frame(8, struct.pack("!H", 1000)))
        closed, _ = ws.closed_within(1.0)
        self.assertTrue(closed, "TCP not closed after the close handshake")

    def test_peer_that_never_answers_the_close_is_dropped(self):
        ws = self.open()
        ws.send(frame(2, C4))
        self.assertEqual(ws.read_mqtt(4), b"\x20\x02\x00\x00")
        ws.send(frame(2, b"\xe0\x00"))  # DISCONNECT: the broker closes
        op, _ = ws.read_frame()
        self.assertEqual(op, 8)
        closed, _ = ws.closed_within(3.5)  # the 2 s linger, swept every 250 ms
        self.assertTrue(closed)


class TestWsHostile(WsTest):
    def raw(self):
        return socket.create_connection((HOST, self.broker.ws_port), timeout=5)

    def refused_with(self, status, **kw):
        ws = RawWs(self.broker.ws_port, **kw)
        self.assertTrue(ws.status.startswith("HTTP/1.1 " + status), ws.status)
        closed, _ = ws.closed_within(1.0)
        self.assertTrue(closed, "not closed after %s" % status)
        ws.close()
        self.assertTrue(self.log_has("WebSocket upgrade refused"))
        self.assert_serves()

    def test_request_without_upgrade_400(self):
        self.refused_with("400", upgrade=False)

    def test_wrong_subprotocol_400(self):
        self.refused_with("400", protocols="chat, superchat")

    def test_wrong_version_426(self):
        self.refused_with("426", version="8")

    def test_request_that_never_ends(self):
        with self.raw() as s:
            start = time.monotonic()
            s.sendall(b"GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n")
            s.settimeout(TIMEOUT + 3)
            try:
                data = s.recv(100)
            except ConnectionResetError:
                data = b""
            self.assertEqual(data, b"")
            self.assertGreater(time.monotonic() - start, TIMEOUT * 0.5)
        self.assertTrue(self.log_has("WebSocket handshake timeout"))

    def test_oversized_request_431(self):
        with self.raw() as s:
            s.sendall(b"GET /mqtt HTTP/1.1\r\nX-Pad: " + b"a" * 10000 + b"\r\n\r\n")
            s.settimeout(2)
            data = s.recv(100)
            self.assertTrue(data.startswith(b"HTTP/1.1 431"), data)

    def expect_close_code(self, payload, code):
        ws = RawWs(self.broker.ws_port)
        ws.send(frame(2, C4))
        self.assertEqual(ws.read_mqtt(4), b"\x20\x02\x00\x00")
        ws.send(payload)
        closed, frames = ws.closed_within(1.0)
        ws.close()
        self.assertTrue(closed, "not closed")
        codes = code if isinstance(code, tuple) else (code,)
        self.assertIn(close_code(frames), codes, frames)
        self.assert_serves()

    def test_oversized_message_1009(self):
        big = MAX_PACKET + 64 * 1024 + 1
        ws_hdr = bytes([0x82, 0x80 | 127]) + struct.pack("!Q", big) + b"\x00\x00\x00\x00"
        self.expect_close_code(ws_hdr + b"\x30" * 1000, 1009)

    def test_fragmented_control_frame_1002(self):
        # wslay answers this protocol error with a close frame without a status
        # code (RFC 6455 allows it; 0 here); the connection is closed either way.
        self.expect_close_code(frame(9, b"ping", fin=False), (1002, 0))

    def test_unmasked_client_frame_1002(self):
        self.expect_close_code(frame(2, b"\xc0\x00", mask=False), 1002)

    def test_text_frame_1003(self):
        self.expect_close_code(frame(1, b"hello"), 1003)

    def test_invalid_utf8_text_frame_1007(self):
        self.expect_close_code(frame(1, b"\xc0\x00"), 1007)

    def test_plain_mqtt_on_ws_port(self):
        with self.raw() as s:
            s.sendall(C4)
            s.settimeout(TIMEOUT + 3)
            try:
                data = s.recv(100)
            except ConnectionResetError:
                data = b""
            # Not HTTP: refused with 400 at once or closed at the timeout; never a CONNACK.
            self.assertFalse(data.startswith(b"\x20"), data)


if __name__ == "__main__":
    unittest.main(verbosity=2)
