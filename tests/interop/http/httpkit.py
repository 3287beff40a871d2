"""Helpers for the HTTP endpoint tests: a broker with `http_listener` on a free
127.0.0.1 port, raw HTTP over sockets, and /metrics parsed with Debian's
prometheus_client parser (python3-prometheus-client)."""

import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import harness  # noqa: E402

HOST = harness.HOST


class HttpBroker(harness.Broker):
    """A mote-broker with an HTTP endpoint; `http_port` is free when it starts."""

    def __init__(self, conf_lines=(), http_lines=(), **kw):
        self.http_port = harness.free_port()
        lines = ["http_listener %d %s" % (self.http_port, HOST)] + list(http_lines) + list(conf_lines)
        super().__init__(lines, **kw)

    def start(self, timeout=10.0):
        super().start(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((HOST, self.http_port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("HTTP endpoint did not open:\n" + self.stderr_text())


class HttpBrokerTestCase(harness.BrokerTestCase):
    HTTP_CONF = ()

    @classmethod
    def setUpClass(cls):
        if not harness.is_mote():
            raise unittest.SkipTest("the HTTP endpoint is Mote's (mosquitto has none)")
        super().setUpClass()

    @classmethod
    def make_broker(cls):
        return HttpBroker(cls.CONF, http_lines=cls.HTTP_CONF, mote_conf=cls.MOTE_CONF,
                          env=cls.BROKER_ENV).start()

    @property
    def http_port(self):
        return self.broker.http_port


def recv_until_closed(sock, timeout=5.0, limit=1 << 26):
    """Everything the peer sends until it closes (or `timeout` passes)."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(data) < limit:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not chunk:
            return data, True
        data += chunk
    return data, False


def split_responses(data):
    """Splits concatenated HTTP/1.1 responses (each with Content-Length) into
    (status, headers dict, body) tuples; raises on anything malformed."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            raise AssertionError("incomplete response head: %r" % data[:200])
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        assert parts[0] == "HTTP/1.1", lines[0]
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = int(headers["content-length"])
        if len(rest) < n:
            raise AssertionError("short body: %d of %d" % (len(rest), n))
        out.append((int(parts[1]), headers, rest[:n]))
        data = rest[n:]
    return out


def request(port, raw, timeout=5.0):
    """Sends raw bytes, reads until the broker closes; returns (responses, closed)."""
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(raw)
        data, closed = recv_until_closed(s, timeout)
    return data, closed


def get(port, path, method="GET"):
    """One request with Connection: close; returns (status, headers, body)."""
    data, closed = request(port, ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                                  % (method, path)).encode())
    assert closed, "the broker did not close after Connection: close"
    if method == "HEAD":
        head = data.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
        headers = {l.partition(":")[0].lower(): l.partition(":")[2].strip() for l in head[1:]}
        return int(head[0].split()[1]), headers, data.partition(b"\r\n\r\n")[2]
    (resp,) = split_responses(data)
    return resp


def metrics(port):
    """/metrics parsed by prometheus_client: {(name, frozenset(labels)): value}
    plus the families, for type checks."""
    from prometheus_client.parser import text_string_to_metric_families
    status, headers, body = get(port, "/metrics")
    assert status == 200, status
    assert headers["content-type"].startswith("text/plain; version=0.0.4"), headers
    families = list(text_string_to_metric_families(body.decode("utf-8")))
    samples = {}
    for fam in families:
        for s in fam.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return families, samples


def value(samples, name, **labels):
    return samples[(name, frozenset(labels.items()))]
