#!/usr/bin/env python3
"""Bridges over TLS (issue 13, docs/bridge.md): a gateway mote-broker bridges to
Debian's mosquitto on a TLS listener. The upstream's certificate chain is verified
against bridge_cafile and its name against the address (bridge_insecure skips only
the name); a client certificate is presented with bridge_certfile/bridge_keyfile.
A failed verification is logged and retried, and nothing goes out in the clear.
Certificates are made with openssl at test time (test_tls.make_certs).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import test_tls  # noqa: E402
from harness import MOSQUITTO, Broker, broker_binary, free_port, is_mote  # noqa: E402
from test_bridge import BridgeCase, publish, wait_for  # noqa: E402

MOTE = broker_binary()
CERTS = None


def setUpModule():
    global CERTS
    CERTS = tempfile.mkdtemp(prefix="mote-bridge-tls-")
    test_tls.make_certs(CERTS)
    # A server certificate whose name is the address the bridge dials (mbedTLS
    # 2.28 matches the host name against the CN and DNS names).
    test_tls.ossl(CERTS, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                  "-keyout", "ip.key", "-out", "ip.csr", "-subj", "/CN=127.0.0.1")
    test_tls.ossl(CERTS, "x509", "-req", "-in", "ip.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                  "-CAcreateserial", "-out", "ip.crt", "-days", "2")
    # Started as root, mosquitto reads its certificates as the `mosquitto` user
    # (test keys, made for this run only).
    os.chmod(CERTS, 0o755)
    for name in os.listdir(CERTS):
        os.chmod(os.path.join(CERTS, name), 0o644)


def tearDownModule():
    if CERTS:
        shutil.rmtree(CERTS, ignore_errors=True)


def cert(name):
    return os.path.join(CERTS, name)


@unittest.skipUnless(is_mote(MOTE), "MOTE_BROKER is not set")
class BridgeTlsTest(BridgeCase):
    def upstream(self, server_cert="ip", require_cert=False):
        """mosquitto with a plain listener (for the test's own clients) and a TLS one."""
        tls_port = free_port()
        b = Broker(binary=MOSQUITTO)
        b.conf_lines += ["listener %d 127.0.0.1" % tls_port, "certfile " + cert(server_cert + ".crt"),
                         "keyfile " + cert(server_cert + ".key"), "cafile " + cert("ca.crt")]
        if require_cert:
            b.conf_lines += ["require_certificate true"]
        return self.start(b), tls_port

    def gateway(self, tls_port, extra):
        b = Broker(binary=MOTE)
        b.conf_lines += ["connection up", "address 127.0.0.1:%d" % tls_port, "remote_clientid gw-tls",
                         "restart_timeout 1 2", "topic sensors/# out 1", "topic cmd/# in 1"] + extra
        return self.start(b)

    def assert_bridged(self, up, gw):
        state = self.collector(gw.port, ["$SYS/broker/connection/+/state"])
        self.assertTrue(wait_for(lambda: any(m[1] == "1" for m in state.got()), 15),
                        "the bridge did not connect\n" + gw.stderr_text()[-3000:])
        cloud = self.collector(up.port, ["sensors/#"])
        local = self.collector(gw.port, ["cmd/#"])
        publish(gw.port, "sensors/t", "up", 1)
        publish(up.port, "cmd/c", "down", 1)
        self.assertTrue(wait_for(lambda: cloud.got("sensors/t") and local.got("cmd/c"), 10),
                        "no round trip over TLS\n" + gw.stderr_text()[-3000:])

    def assert_refused(self, up, gw, text):
        self.assertTrue(wait_for(lambda: text in gw.stderr_text(), 10),
                        "expected %r in the gateway log\n%s" % (text, gw.stderr_text()[-3000:]))
        time.sleep(1.5)
        self.assertNotIn("bridge up: connected", gw.stderr_text())
        self.assertTrue(gw.alive())
        # The gateway still serves its own clients.
        local = self.collector(gw.port, ["sensors/#"])
        publish(gw.port, "sensors/x", "still here", 1)
        self.assertTrue(wait_for(lambda: local.got("sensors/x"), 5))

    def test_verified_upstream(self):
        up, tls_port = self.upstream()
        gw = self.gateway(tls_port, ["bridge_cafile " + cert("ca.crt")])
        self.assert_bridged(up, gw)

    def test_unknown_ca_refused(self):
        up, tls_port = self.upstream()
        gw = self.gateway(tls_port, ["bridge_cafile " + cert("otherca.crt")])
        self.assert_refused(up, gw, "TLS to 127.0.0.1:%d failed" % tls_port)

    def test_name_mismatch_refused_unless_insecure(self):
        up, tls_port = self.upstream(server_cert="server")  # CN localhost, dialled as 127.0.0.1
        gw = self.gateway(tls_port, ["bridge_cafile " + cert("ca.crt")])
        self.assert_refused(up, gw, "TLS to 127.0.0.1:%d failed" % tls_port)
        gw2 = self.gateway(tls_port, ["bridge_cafile " + cert("ca.crt"), "bridge_insecure true"])
        self.assert_bridged(up, gw2)

    def test_client_certificate(self):
        up, tls_port = self.upstream(require_cert=True)
        gw = self.gateway(tls_port, ["bridge_cafile " + cert("ca.crt"), "bridge_certfile " + cert("client.crt"),
                                     "bridge_keyfile " + cert("client.key")])
        self.assert_bridged(up, gw)
        # Without its certificate the same bridge is turned away.
        bare = self.gateway(tls_port, ["bridge_cafile " + cert("ca.crt")])
        self.assert_refused(up, bare, "TLS to 127.0.0.1:%d failed" % tls_port)

    def test_bad_ca_file_stops_startup(self):
        bad = os.path.join(CERTS, "garbage.pem")
        with open(bad, "w") as f:
            f.write("not a certificate\n")
        conf = os.path.join(CERTS, "bad.conf")
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\nconnection up\naddress 127.0.0.1:1\ntopic a out\nbridge_cafile %s\n"
                    % (free_port(), bad))
        r = subprocess.run([MOTE, "-c", conf], capture_output=True, text=True, timeout=20)
        self.assertEqual(1, r.returncode, r.stderr)
        self.assertIn("bad.conf:5: bridge_cafile: bridge up: cannot load CA certificates", r.stderr)


if __name__ == "__main__":
    unittest.main()
