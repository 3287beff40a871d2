#!/usr/bin/env python3
"""The HTTP endpoint's options (docs/dashboard.md): off by default, loopback by
default, and every wrong line is an error naming file, line and option."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
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


@unittest.skipUnless(harness.is_mote(), "Mote options")
class HttpShutdown(unittest.TestCase):
    def test_sigterm_with_open_http_connections(self):
        """SIGTERM with an idle keep-alive connection, a half-sent request and a
        client that pipelines without reading: the broker still exits cleanly
        within the 2 s it promises."""
        b = httpkit.HttpBroker().start()
        try:
            idle = socket.create_connection((HOST, b.http_port), timeout=5)
            idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(idle.recv(4096).startswith(b"HTTP/1.1 200"))
            half = socket.create_connection((HOST, b.http_port), timeout=5)
            half.sendall(b"GET /metrics HTTP/1.1\r\nHo")
            flood = socket.create_connection((HOST, b.http_port), timeout=5)
            flood.setblocking(False)
            try:
                flood.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 2000)
            except BlockingIOError:
                pass
            time.sleep(0.3)
            start = time.monotonic()
            os.kill(b.pid, signal.SIGTERM)
            b.proc.wait(timeout=5)
            self.assertLess(time.monotonic() - start, 2.0)
            self.assertEqual(b.proc.returncode, 0, b.stderr_text())
            for s in (idle, half, flood):
                s.close()
        finally:
            problem = b.shutdown_problem()
            self.assertIsNone(problem, problem)


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
