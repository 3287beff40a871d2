#!/usr/bin/env python3
"""Hostile input on the HTTP endpoint (docs/dashboard.md "Limits"): every bad
request gets a clear status and a close, slow and stalled requests time out,
pipelined requests are answered in order with bounded memory, the connection limit
holds, and the broker keeps serving MQTT and HTTP afterwards (no crash; the
harness fails the test on any sanitizer report in the broker's stderr)."""

import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import httpkit  # noqa: E402  (puts tests/interop on the path)
import harness  # noqa: E402
from httpkit import HOST, recv_until_closed, request, split_responses  # noqa: E402

GET_HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


class Hostile(httpkit.HttpBrokerTestCase):
    def status_and_close(self, raw):
        data, closed = request(self.http_port, raw)
        self.assertTrue(closed, "the broker kept the connection open after %r" % raw[:60])
        responses = split_responses(data)
        self.assertEqual(len(responses), 1, data[:300])
        return responses[0]

    def assert_still_serving(self):
        status, _, body = httpkit.get(self.http_port, "/healthz")
        self.assertEqual((status, body), (200, b"ok\n"))
        with socket.create_connection((HOST, self.port), timeout=5) as s:
            s.sendall(bytes.fromhex("100D00044D5154540402000A000170"))  # C4
            self.assertEqual(s.recv(4), bytes.fromhex("20020000"))

    def tearDown(self):
        if self.broker.alive():
            self.assert_still_serving()
        super().tearDown()

    def test_garbage_gets_400(self):
        for raw in (b"\x00\x01\x02\x03 hello\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
                    bytes.fromhex("100D00044D5154540402000A000170"),  # an MQTT CONNECT
                    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"):  # a TLS ClientHello
            status, _, _ = self.status_and_close(raw)
            self.assertEqual(status, 400, raw)

    def test_oversized_headers_get_431(self):
        raw = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n"
        self.assertEqual(self.status_and_close(raw)[0], 431)
        many = b"GET /healthz HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(1000)) + b"\r\n"
        self.assertEqual(self.status_and_close(many)[0], 431)

    def test_long_target_gets_414(self):
        raw = b"GET /" + b"a" * 3000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        self.assertEqual(self.status_and_close(raw)[0], 414)

    def test_request_body_gets_413(self):
        for raw in (b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
                    b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n",
                    b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"):
            self.assertEqual(self.status_and_close(raw)[0], 413, raw)

    def test_methods(self):
        """Known methods other than GET/HEAD: 405 with Allow; unknown tokens: 501."""
        for method in (b"POST", b"PUT", b"DELETE", b"OPTIONS", b"PATCH"):
            data, _ = request(self.http_port, method + b" /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            (status, headers, _), = split_responses(data)
            self.assertEqual((status, headers.get("allow")), (405, "GET, HEAD"), method)
        self.assertEqual(self.status_and_close(b"FROB /metrics HTTP/1.1\r\nHost: x\r\n\r\n")[0], 501)

    def test_unknown_path_and_dashboard_off(self):
        """404 for unknown paths, and for the dashboard's files while http_dashboard
        is off (the default)."""
        for path in ("/nope", "/", "/mqtt.min.js", "/config.json", "/../../etc/passwd", "/metrics/x"):
            self.assertEqual(httpkit.get(self.http_port, path)[0], 404, path)

    def test_bad_version_and_http2_preface(self):
        self.assertEqual(self.status_and_close(b"GET / HTTP/9.9\r\nHost: x\r\n\r\n")[0], 505)
        self.assertEqual(self.status_and_close(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n")[0], 505)
        self.assertEqual(self.status_and_close(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")[0], 501)

    def test_pipelined_requests_answered_in_order(self):
        raw = GET_HEALTHZ * 3 + b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n" + \
            b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + GET_HEALTHZ
        data, closed = request(self.http_port, raw)
        self.assertTrue(closed)
        statuses = [r[0] for r in split_responses(data)]
        # Nothing after the request that said Connection: close is answered.
        self.assertEqual(statuses, [200, 200, 200, 404, 200])

    def test_pipelining_flood_is_bounded(self):
        """4000 pipelined /metrics requests from a client that does not read:
        reading stops at the output cap, so the broker's memory stays bounded; when
        the client reads, every answer arrives, in order."""
        rss_before = harness.rss_kb(self.broker.pid)
        n = 4000
        s = socket.create_connection((HOST, self.http_port), timeout=10)
        payload = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * (n - 1) + \
            b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        sender = threading.Thread(target=lambda: s.sendall(payload))
        sender.start()
        time.sleep(1.0)  # the broker reads until its output cap, then stops
        grown = harness.rss_kb(self.broker.pid) - rss_before
        sys.stderr.write("\nRSS growth with a non-reading pipelining client: %d kB\n" % grown)
        if not harness.is_sanitizer_build():
            # ASan's quarantine keeps freed memory, so RSS says nothing there.
            # Unbounded, the 4 000 answers (about 18 MB) would all be buffered.
            self.assertLess(grown, 6 * 1024, "RSS grew %d kB with a non-reading client" % grown)
        data, closed = recv_until_closed(s, timeout=60, limit=1 << 30)
        sender.join(10)
        s.close()
        self.assertTrue(closed)
        responses = split_responses(data)
        self.assertEqual(len(responses), n)
        self.assertTrue(all(r[0] == 200 for r in responses))

    def test_slow_and_stalled_requests_time_out(self):
        """A request line and then silence, and a request dripped one byte every
        0.5 s (slowloris): both get 408 and a close about 10 s after they started."""
        stalled = socket.create_connection((HOST, self.http_port), timeout=20)
        stalled.sendall(b"GET /healthz HTTP/1.1\r\n")
        drip = socket.create_connection((HOST, self.http_port), timeout=20)
        start = time.monotonic()
        result = {}

        def dripper():
            text = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 100
            try:
                for b in text:
                    drip.sendall(bytes([b]))
                    time.sleep(0.5)
            except OSError as e:
                result["error"] = e

        t = threading.Thread(target=dripper, daemon=True)
        t.start()
        data, closed = recv_until_closed(stalled, timeout=15)
        self.assertTrue(closed)
        self.assertEqual(split_responses(data)[0][0], 408)
        data2, closed2 = recv_until_closed(drip, timeout=15)
        elapsed = time.monotonic() - start
        self.assertTrue(closed2)
        self.assertEqual(split_responses(data2)[0][0], 408)
        self.assertLess(elapsed, 14)
        stalled.close()
        drip.close()

    def test_connection_limit(self):
        """64 open connections are served; the 65th gets 503 and a close; closing
        them frees the slots."""
        # Connections of earlier tests may still be closing: wait until only the
        # scrape itself is open.
        deadline = time.monotonic() + 5
        while httpkit.value(httpkit.metrics(self.http_port)[1], "mote_http_connections") != 1:
            self.assertLess(time.monotonic(), deadline, "earlier HTTP connections did not close")
            time.sleep(0.05)
        time.sleep(0.1)  # the scrape's own connection closes too
        held = [socket.create_connection((HOST, self.http_port), timeout=5) for _ in range(64)]
        try:
            time.sleep(0.2)
            # The 65th sends nothing: the refusal is written at once and closed.
            with socket.create_connection((HOST, self.http_port), timeout=5) as extra:
                data, closed = recv_until_closed(extra)
            self.assertTrue(closed)
            self.assertTrue(data.startswith(b"HTTP/1.1 503"), data[:100])
            held[0].sendall(GET_HEALTHZ)
            held[0].settimeout(5)
            self.assertTrue(held[0].recv(4096).startswith(b"HTTP/1.1 200"))
        finally:
            for s in held:
                s.close()
        time.sleep(0.3)

    def test_http10_and_upgrade_close(self):
        data, closed = request(self.http_port, b"GET /healthz HTTP/1.0\r\n\r\n")
        self.assertTrue(closed)
        self.assertEqual(split_responses(data)[0][0], 200)
        data, closed = request(self.http_port, b"GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                                               b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                               b"Sec-WebSocket-Version: 13\r\n\r\n\x81\x85garbage")
        self.assertTrue(closed)
        self.assertEqual(split_responses(data)[0][0], 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
