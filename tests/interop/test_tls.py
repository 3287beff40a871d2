#!/usr/bin/env python3
"""TLS listeners (docs/tls.md, issue 10 part 1) against real clients and hostile
peers. Certificates are made at test time with openssl in a temporary directory
(nothing secret is committed): a CA, a server certificate for localhost and
127.0.0.1, a client certificate (CN sensor-7), a client certificate from another
CA, and an expired client certificate from the right CA.

- Clients: mosquitto_pub/mosquitto_sub with --cafile (3.1.1 and 5.0), python
  paho-mqtt over TLS at QoS 0/1/2 (3.1.1 and 5.0), Eclipse Paho C++ over ssl://
  (tests/interop/paho_tls.cpp, $MOTE_PAHO_TLS).
- require_certificate: a client certificate from the CA is accepted and its CN
  reaches the engine (use_identity_as_username); no certificate, a certificate from
  another CA and an expired certificate are refused and logged; the broker lives.
- Hostile input: plain MQTT bytes on the TLS port, garbage records in and after the
  handshake, a truncated ClientHello and a silent peer (closed at
  tls_handshake_timeout), a flood of half-open handshakes beyond max_tls_handshakes
  (refused at once and logged; legitimate clients connect again afterwards).
- Start-up: a key that does not match the certificate, an unparsable certificate
  and an unknown cipher suite are configuration errors naming file, line and option.
"""

import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from mqttraw import C4  # noqa: E402

import paho.mqtt.client as paho  # noqa: E402

CERTS = None  # the temporary directory with the files below
HANDSHAKE_TIMEOUT = 1  # seconds (tls_handshake_timeout)
MAX_HANDSHAKES = 4


def ossl(d, *args):
    subprocess.run(["openssl"] + list(args), check=True, cwd=d, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, timeout=60)


def make_certs(d):
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for ca in ("ca", "otherca"):
        ossl(d, "req", "-x509", *ec, "-keyout", ca + ".key", "-out", ca + ".crt", "-days", "2",
             "-subj", "/CN=Mote test " + ca)
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")

    def leaf(name, cn, ca, days, ext=None):
        ossl(d, "req", *ec, "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn)
        args = ["x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
                "-CAcreateserial", "-out", name + ".crt", "-days", str(days)]
        if ext:
            args += ["-extfile", ext]
        ossl(d, *args)

    leaf("server", "localhost", "ca", 2, "san.ext")
    leaf("client", "sensor-7", "ca", 2)
    leaf("stranger", "stranger", "otherca", 2)
    leaf("expired", "sensor-old", "ca", -1)  # notAfter one day before notBefore: expired
    # An RSA server certificate too, for the cipher suite test.
    ossl(d, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "rsa.key", "-out", "rsa.csr", "-subj", "/CN=localhost")
    ossl(d, "x509", "-req", "-in", "rsa.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "rsa.crt", "-days", "2", "-extfile", "san.ext")


def setUpModule():
    global CERTS
    CERTS = tempfile.mkdtemp(prefix="mote-tls-test-")
    make_certs(CERTS)


def tearDownModule():
    if CERTS:
        shutil.rmtree(CERTS, ignore_errors=True)


def cert(name):
    return os.path.join(CERTS, name)


def tls_conf(require=False):
    lines = ["certfile " + cert("server.crt"), "keyfile " + cert("server.key"), "cafile " + cert("ca.crt")]
    if require:
        lines += ["require_certificate true", "use_identity_as_username true"]
    return lines


def mosq_tls_args(port, client=None):
    args = ["-h", "127.0.0.1", "-p", str(port), "--cafile", cert("ca.crt")]
    if client:
        args += ["--cert", cert(client + ".crt"), "--key", cert(client + ".key")]
    return args


def client_hello():
    """The bytes of a real TLS 1.2 ClientHello (from Python's ssl, memory BIOs)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def closed_within(sock, seconds):
    """True when the peer closes (EOF or reset) within `seconds`; any bytes it sends
    first (a TLS alert) are returned too."""
    sock.settimeout(0.1)
    data = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True, data
        if not chunk:
            return True, data
        data += chunk
    return False, data


def closed_now(sock):
    """True if the peer has closed `sock` already (without waiting)."""
    sock.setblocking(False)
    try:
        return sock.recv(4096) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    finally:
        sock.setblocking(True)


class TlsPeer:
    """A TLS client over a plain socket with memory BIOs, so the test can also write
    raw (garbage) bytes to the stream after the handshake."""

    def __init__(self, port, client=None):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cert("ca.crt"))
        if client:
            ctx.load_cert_chain(cert(client + ".crt"), cert(client + ".key"))
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_hostname="localhost")
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._pump()
        self._flush()

    def _flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)

    def _pump(self):
        self._flush()
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("closed during the handshake")
        self.inc.write(data)

    def send(self, plain):
        self.obj.write(plain)
        self._flush()

    def recv(self, n):
        while True:
            try:
                return self.obj.read(n)
            except ssl.SSLWantReadError:
                self._pump()


class TlsBrokerTest(harness.BrokerTestCase):
    def assert_serves(self, client=None):
        """mosquitto_sub gets what mosquitto_pub sends, over TLS (QoS 1)."""
        topic = "tls/check/%d" % time.monotonic_ns()
        sub = subprocess.Popen(["mosquitto_sub", *mosq_tls_args(self.port, client), "-t", topic, "-q", "1",
                                "-C", "1", "-W", "10"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(0.5)
            subprocess.run(["mosquitto_pub", *mosq_tls_args(self.port, client), "-t", topic, "-q", "1",
                            "-m", "hello"], check=True, timeout=10)
            out, err = sub.communicate(timeout=10)
        finally:
            if sub.poll() is None:
                sub.kill()
                sub.wait()
        self.assertEqual(sub.returncode, 0, err)
        self.assertEqual(out.strip(), "hello")


@unittest.skipUnless(harness.is_mote(), "Mote's TLS options (tls_handshake_timeout) are Mote-only")
class TestTlsClients(TlsBrokerTest):
    CONF = ()
    MOTE_CONF = ()

    @classmethod
    def make_broker(cls):
        return harness.Broker(tls_conf(), env=cls.BROKER_ENV).start()

    def test_mosquitto_clients_cafile(self):
        for version in ("mqttv311", "mqttv5"):
            topic = "tls/mosq/" + version
            sub = subprocess.Popen(["mosquitto_sub", *mosq_tls_args(self.port), "-V", version, "-t", topic,
                                    "-q", "2", "-C", "3", "-W", "10"], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
            time.sleep(0.5)
            for qos in (0, 1, 2):
                subprocess.run(["mosquitto_pub", *mosq_tls_args(self.port), "-V", version, "-t", topic,
                                "-q", str(qos), "-m", "q%d" % qos], check=True, timeout=10)
            out, err = sub.communicate(timeout=15)
            self.assertEqual(sub.returncode, 0, err)
            self.assertEqual(out.split(), ["q0", "q1", "q2"], version)

    def test_paho_python_qos_012_both_versions(self):
        for proto in (paho.MQTTv311, paho.MQTTv5):
            got = []
            done = threading.Event()
            c = paho.Client(client_id="py-tls-%d" % proto, protocol=proto)
            c.tls_set(ca_certs=cert("ca.crt"))
            c.on_message = lambda _c, _u, m: (got.append((m.qos, m.payload)), len(got) == 3 and done.set())
            c.connect("127.0.0.1", self.port, 30)
            c.loop_start()
            try:
                c.subscribe("tls/py/#", qos=2)[0]
                time.sleep(0.3)
                for qos in (0, 1, 2):
                    c.publish("tls/py/%d" % qos, b"p%d" % qos, qos=qos).wait_for_publish(5)
                self.assertTrue(done.wait(5), "received %r" % got)
                self.assertEqual(sorted(got), [(0, b"p0"), (1, b"p1"), (2, b"p2")])
            finally:
                c.disconnect()
                c.loop_stop()

    def test_session_resumption(self):
        """A client that comes back with its session ID skips the key exchange."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cert("ca.crt"))
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(C4)
                self.assertEqual(s.recv(4), b"\x20\x02\x00\x00")
                session = s.session
                self.assertFalse(s.session_reused)
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as s:
                s.sendall(C4)
                self.assertEqual(s.recv(4), b"\x20\x02\x00\x00")
                self.assertTrue(s.session_reused, "the session was not resumed")

    def test_paho_cpp_ssl(self):
        prog = os.environ.get("MOTE_PAHO_TLS")
        self.assertTrue(prog and os.path.exists(prog), "paho_tls not built (libpaho-mqttpp-dev missing?)")
        r = subprocess.run([prog, "127.0.0.1", str(self.port), cert("ca.crt")], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.count("ok:"), 8, r.stdout)


@unittest.skipUnless(harness.is_mote(), "Mote-only options")
class TestRequireCertificate(TlsBrokerTest):
    @classmethod
    def make_broker(cls):
        return harness.Broker(tls_conf(require=True) + ["log_type all"], env=cls.BROKER_ENV).start()

    def test_client_certificate_accepted_and_identity_seen(self):
        self.assert_serves("client")
        self.assertTrue(self.log_has("identity='sensor-7'"), "the certificate's CN did not reach the broker")

    def test_paho_cpp_with_client_certificate(self):
        prog = os.environ.get("MOTE_PAHO_TLS")
        self.assertTrue(prog and os.path.exists(prog), "paho_tls not built")
        r = subprocess.run([prog, "127.0.0.1", str(self.port), cert("ca.crt"), cert("client.crt"),
                            cert("client.key")], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def refused(self, client, log_text):
        args = mosq_tls_args(self.port, client)
        r = subprocess.run(["mosquitto_pub", *args, "-t", "x", "-m", "y", "-q", "1"], capture_output=True,
                           text=True, timeout=10)
        self.assertNotEqual(r.returncode, 0, "a %s client was accepted" % (client or "certificate-less"))
        self.assertTrue(self.log_has("TLS handshake failed"), "refusal not logged")
        self.assertTrue(self.log_has(log_text), "log does not say why (%r)" % log_text)
        self.assertTrue(self.broker.alive())
        self.assert_serves("client")  # others unaffected

    def test_no_certificate_refused(self):
        self.refused(None, "No client certification received")

    def test_certificate_from_another_ca_refused(self):
        self.refused("stranger", "not correctly signed by the trusted CA")

    def test_expired_certificate_refused(self):
        self.refused("expired", "has expired")


@unittest.skipUnless(harness.is_mote(), "Mote-only options")
class TestIdentityAsUsername(TlsBrokerTest):
    """use_identity_as_username: the certificate's CN (sensor-7) is the client's user
    name for allow_anonymous and the ACL; the CONNECT's user name and password are
    not checked (mosquitto's behaviour)."""

    @classmethod
    def make_broker(cls):
        acl = os.path.join(CERTS, "identity.acl")
        with open(acl, "w") as f:
            f.write("user sensor-7\ntopic readwrite sensors/sensor-7/#\n")
        return harness.Broker(tls_conf(require=True) + ["allow_anonymous false", "acl_file " + acl],
                              env=cls.BROKER_ENV).start()

    def client(self, cid, proto, username=None):
        c = paho.Client(client_id=cid, protocol=proto)
        c.tls_set(ca_certs=cert("ca.crt"), certfile=cert("client.crt"), keyfile=cert("client.key"))
        if username:
            c.username_pw_set(username, "not checked")
        connected = threading.Event()
        codes = []
        c.on_connect = lambda _c, _u, _f, rc, *_: (codes.append(int(rc) if isinstance(rc, int) else rc.value),
                                                   connected.set())
        c.connect("127.0.0.1", self.port, 30)
        c.loop_start()
        self.addCleanup(c.loop_stop)
        self.addCleanup(c.disconnect)
        self.assertTrue(connected.wait(10), "no CONNACK")
        self.assertEqual(codes, [0], "CONNACK refused")
        return c

    def test_certificate_cn_is_the_acl_user(self):
        for proto in (paho.MQTTv311, paho.MQTTv5):
            got, granted = [], []
            arrived, subacked = threading.Event(), threading.Event()
            # No user name: accepted under allow_anonymous false only because of the CN.
            sub = self.client("id-sub-%d" % proto, proto)
            sub.on_message = lambda _c, _u, m: (got.append((m.topic, m.payload)), arrived.set())
            sub.on_subscribe = lambda _c, _u, _m, g, *_: (
                granted.extend(x if isinstance(x, int) else x.value for x in g), subacked.set())
            mine = "sensors/sensor-7/v%d" % proto  # one subtree per pass: both subscribers stay
            sub.subscribe([(mine + "/#", 1), ("sensors/other/#", 1)])
            self.assertTrue(subacked.wait(5), "no SUBACK")
            # The ACL grants the CN's own subtree and nothing else: SUBACK 0x80 for the other.
            self.assertEqual(granted, [1, 0x80])
            # A CONNECT user name does not replace the CN for the ACL.
            pub = self.client("id-pub-%d" % proto, proto, username="mallory")
            pub.publish(mine + "/t", b"mine", qos=1).wait_for_publish(5)
            self.assertTrue(arrived.wait(5), "the CN's own topic was not delivered")
            self.assertEqual(got, [(mine + "/t", b"mine")])


@unittest.skipUnless(harness.is_mote(), "Mote-only options")
class TestTlsHostile(TlsBrokerTest):
    @classmethod
    def make_broker(cls):
        return harness.Broker(tls_conf(), mote_conf=("tls_handshake_timeout %d" % HANDSHAKE_TIMEOUT,
                                                     "max_tls_handshakes %d" % MAX_HANDSHAKES),
                              env=cls.BROKER_ENV).start()

    def connect_raw(self):
        return socket.create_connection(("127.0.0.1", self.port), timeout=5)

    def test_plain_mqtt_on_tls_port(self):
        with self.connect_raw() as s:
            s.sendall(C4)
            closed, data = closed_within(s, 1.0)
            self.assertTrue(closed, "plain CONNECT on the TLS port not closed within 1 s")
            self.assertFalse(data.startswith(b"\x20"), "answered with a CONNACK in clear text")
            if data:
                self.assertEqual(data[0], 0x15, "expected nothing or a TLS alert, got %r" % data[:8])
        self.assertTrue(self.log_has("TLS handshake failed"))
        self.assert_serves()

    def test_garbage_record_in_handshake(self):
        with self.connect_raw() as s:
            s.sendall(bytes.fromhex("1603030005") + os.urandom(5))
            closed, _ = closed_within(s, 1.0)
            self.assertTrue(closed, "garbage handshake record not closed within 1 s")
        self.assert_serves()

    def test_truncated_client_hello_closed_at_timeout(self):
        hello = client_hello()
        self.assertGreater(len(hello), 50)
        with self.connect_raw() as s:
            start = time.monotonic()
            s.sendall(hello[: len(hello) // 2])
            closed, _ = closed_within(s, HANDSHAKE_TIMEOUT + 2.0)
            elapsed = time.monotonic() - start
        self.assertTrue(closed, "truncated ClientHello kept open")
        self.assertGreater(elapsed, HANDSHAKE_TIMEOUT * 0.5, "closed before the handshake timeout")
        self.assertTrue(self.log_has("TLS handshake timeout"))
        self.assert_serves()

    def test_silent_peer_closed_at_timeout(self):
        with self.connect_raw() as s:
            closed, data = closed_within(s, HANDSHAKE_TIMEOUT + 2.0)
        self.assertTrue(closed, "a handshake that never starts kept open")
        self.assertEqual(data, b"")

    def test_garbage_record_after_handshake(self):
        peer = TlsPeer(self.port)
        peer.send(C4)
        self.assertEqual(peer.recv(4), b"\x20\x02\x00\x00")
        # An application-data record whose MAC cannot verify.
        peer.sock.sendall(bytes.fromhex("1703030020") + os.urandom(32))
        closed, _ = closed_within(peer.sock, 1.0)
        peer.sock.close()
        self.assertTrue(closed, "forged record not closed within 1 s")
        self.assertTrue(self.log_has("TLS error"))
        self.assert_serves()

    def test_handshake_flood_beyond_cap(self):
        extra = 8
        socks = [self.connect_raw() for _ in range(MAX_HANDSHAKES + extra)]
        try:
            # Look at all of them at once, well before tls_handshake_timeout.
            time.sleep(0.3)
            refused = sum(closed_now(s) for s in socks)
            # Half-open handshakes beyond the cap are closed at once (the first ones
            # wait for their timeout).
            self.assertGreaterEqual(refused, extra, "only %d connections refused" % refused)
            self.assertLessEqual(refused, extra + 1)  # the harness's probe may still hold a slot
            self.assertTrue(self.log_has("max_tls_handshakes"), "refusals not logged")
            # The first ones are closed at the timeout; then TLS clients get in again.
            for s in socks:
                closed, _ = closed_within(s, HANDSHAKE_TIMEOUT + 2.0)
                self.assertTrue(closed)
        finally:
            for s in socks:
                s.close()
        self.assert_serves()


@unittest.skipUnless(harness.is_mote(), "Mote's error messages")
class TestTlsConfigErrors(unittest.TestCase):
    def check(self, lines, line, option, fragment):
        d = tempfile.mkdtemp(prefix="mote-tls-conf-")
        try:
            conf = os.path.join(d, "mote.conf")
            with open(conf, "w") as f:
                f.write("\n".join(lines) + "\n")
            for extra in (["--test-config"], []):
                r = subprocess.run([harness.broker_binary(), "-c", conf] + extra, capture_output=True, text=True,
                                   timeout=10)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                want = "%s:%d: %s: " % (conf, line, option)
                self.assertIn(want, r.stderr)
                self.assertIn(fragment, r.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_key_does_not_match_certificate(self):
        self.check(["listener %d 127.0.0.1" % harness.free_port(), "certfile " + cert("server.crt"),
                    "keyfile " + cert("client.key")], 3, "keyfile", "does not match")

    def test_unparsable_certificate(self):
        self.check(["listener %d 127.0.0.1" % harness.free_port(), "certfile " + cert("san.ext"),
                    "keyfile " + cert("server.key")], 2, "certfile", "cannot load certificate")

    def test_unparsable_key(self):
        self.check(["listener %d 127.0.0.1" % harness.free_port(), "certfile " + cert("server.crt"),
                    "keyfile " + cert("server.crt")], 3, "keyfile", "cannot load private key")

    def test_unknown_cipher(self):
        self.check(["listener %d 127.0.0.1" % harness.free_port(), "certfile " + cert("server.crt"),
                    "keyfile " + cert("server.key"), "ciphers ECDHE-RSA-AES128-GCM-SHA256"], 4, "ciphers",
                   "unknown cipher suite 'ECDHE-RSA-AES128-GCM-SHA256'")

    def test_cipher_list_is_applied(self):
        """Only the configured suite is negotiated."""
        suite = "TLS-ECDHE-RSA-WITH-AES-256-GCM-SHA384"
        b = harness.Broker(["certfile " + cert("rsa.crt"), "keyfile " + cert("rsa.key"), "ciphers " + suite]).start()
        try:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(cert("ca.crt"))
            with socket.create_connection(("127.0.0.1", b.port), timeout=5) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                    self.assertEqual(s.cipher()[0], "ECDHE-RSA-AES256-GCM-SHA384")
                    self.assertEqual(s.version(), "TLSv1.2")
            ctx2 = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx2.load_verify_locations(cert("ca.crt"))
            ctx2.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")
            ctx2.maximum_version = ssl.TLSVersion.TLSv1_2
            with socket.create_connection(("127.0.0.1", b.port), timeout=5) as raw:
                with self.assertRaises(ssl.SSLError):
                    ctx2.wrap_socket(raw, server_hostname="localhost")
        finally:
            problem = b.shutdown_problem()
            self.assertIsNone(problem, problem)


if __name__ == "__main__":
    unittest.main(verbosity=2)
