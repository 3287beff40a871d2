#!/usr/bin/env python3
"""The HTTP endpoint's options (docs/dashboard.md): off by default, loopback by
default, and every wrong line is an error naming file, line and option."""

import os
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import httpkit  # noqa: E402  (puts tests/interop on the path)
import harness  # noqa: E402
from httpkit import HOST  # noqa: E402


@unittest.skipUnless(harness.is_mote(), "Mote options")
class HttpConfig(unittest.TestCase):
    def check(self, *lines):
        d = tempfile.mkdtemp(prefix="mote-http-conf-")
        path = os.path.join(d, "mote.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = subprocess.run([harness.broker_binary(), "--test-config", "-c", path], capture_output=True, timeout=10)
        return r.returncode, (r.stdout + r.stderr).decode(), path

    def test_errors_name_file_line_and_option(self):
        cases = [
            (["http_listener 0"], 1, "http_listener: expected a port from 1 to 65535, got '0'"),
            (["http_listener 70000"], 1, "http_listener: expected a port from 1 to 65535"),
            (["http_listener 8080 127.0.0.1 extra"], 1, "http_listener: expected 'http_listener PORT [BIND_ADDRESS]'"),
            (["http_listener 8080", "http_listener 8081"], 2, "http_listener: given more than once (first at"),
            (["http_dashboard yes"], 1, "http_dashboard: expected true or false, got 'yes'"),
            (["# no listener", "http_dashboard true"], 2,
             "http_dashboard: the dashboard is served by the HTTP endpoint: add an 'http_listener PORT' line"),
            (["http_listener 8080", "http_dashboard_websocket_url http://x/"], 2,
             "http_dashboard_websocket_url: expected a ws:// or wss:// URL, got 'http://x/'"),
            (["http_listener 8080", "http_dashboard_websocket_url ws://x/\"<script>"], 2,
             "http_dashboard_websocket_url: the URL may contain only printable ASCII"),
            (["listener 8080 127.0.0.1", "http_listener 8080"], 2, "http_listener: port 8080 is already used by the listener at"),
            (["listener 8080", "http_listener 8080 127.0.0.1"], 2, "http_listener: port 8080 is already used"),
        ]
        for lines, line_no, message in cases:
            rc, out, path = self.check(*lines)
            self.assertEqual(rc, 1, "%s: %s" % (lines, out))
            self.assertIn("%s:%d: %s" % (path, line_no, message), out)

    def test_valid_lines(self):
        rc, out, _ = self.check("listener 1883 127.0.0.1", "http_listener 8080", "http_dashboard true",
                                "http_dashboard_websocket_url wss://gateway.local:8081/mqtt")
        self.assertEqual(rc, 0, out)

    def test_off_by_default_and_loopback_by_default(self):
        """Without http_listener nothing but MQTT listens; with `http_listener PORT`
        alone the endpoint binds 127.0.0.1 only."""
        b = harness.Broker(["sys_interval 0"]).start()
        try:
            pid = b.pid
            ports = listening_ports(pid)
            self.assertEqual(ports, {(HOST, b.port)})
        finally:
            b.stop()
        port = harness.free_port()
        b = harness.Broker(["http_listener %d" % port]).start()
        try:
            with socket.create_connection((HOST, port), timeout=5):
                pass
            self.assertIn((HOST, port), listening_ports(b.pid))
            self.assertNotIn(("0.0.0.0", port), listening_ports(b.pid))
        finally:
            b.stop()


def listening_ports(pid):
    """(address, port) of the TCP sockets process `pid` listens on (from ss)."""
    out = subprocess.run(["ss", "-Hltnp"], capture_output=True, check=True).stdout.decode()
    found = set()
    for line in out.splitlines():
        if "pid=%d," % pid not in line:
            continue
        local = line.split()[3]
        host, _, port = local.rpartition(":")
        found.add((host.strip("[]"), int(port)))
    return found


if __name__ == "__main__":
    unittest.main(verbosity=2)
