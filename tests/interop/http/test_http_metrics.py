#!/usr/bin/env python3
"""GET /metrics and /healthz on the HTTP endpoint (docs/dashboard.md): the text is
checked by Debian's Prometheus parser (python3-prometheus-client), and every
counter against a known workload driven with python3-paho-mqtt."""

import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import httpkit  # noqa: E402
from httpkit import HOST, metrics, value  # noqa: E402

import paho.mqtt.client as mqtt  # noqa: E402

EXPECTED = {
    "mote_build_info": "gauge",
    "mote_uptime_seconds": "gauge",
    "process_resident_memory_bytes": "gauge",
    "mote_clients_connected": "gauge",
    "mote_clients_maximum": "gauge",
    "mote_sessions": "gauge",
    "mote_messages_received": "counter",
    "mote_messages_sent": "counter",
    "mote_publish_bytes_received": "counter",
    "mote_publish_bytes_sent": "counter",
    "mote_bytes_received": "counter",
    "mote_bytes_sent": "counter",
    "mote_messages_dropped": "counter",
    "mote_messages_queued": "gauge",
    "mote_messages_inflight": "gauge",
    "mote_retained_messages": "gauge",
    "mote_subscriptions": "gauge",
    "mote_listener_connections": "gauge",
    "mote_connections": "gauge",
    "mote_connections_accepted": "counter",
    "mote_connections_refused": "counter",
    "mote_slow_consumer_disconnects": "counter",
    "mote_http_requests": "counter",
    "mote_http_rejected": "counter",
    "mote_http_refused": "counter",
    "mote_http_timeouts": "counter",
    "mote_http_connections": "gauge",
}


def publish_wire_size_311(topic, payload, qos):
    """Bytes of an MQTT 3.1.1 PUBLISH on the wire (Remaining Length < 128)."""
    body = 2 + len(topic) + (2 if qos else 0) + len(payload)
    assert body < 128
    return 2 + body


class Client:
    """A paho-mqtt 3.1.1 client with a loop thread; collects messages."""

    def __init__(self, port, client_id, clean=True):
        self.c = mqtt.Client(client_id=client_id, clean_session=clean, protocol=mqtt.MQTTv311)
        self.got = []
        self.cond = threading.Condition()
        self.connected = threading.Event()
        self.c.on_connect = lambda c, u, f, rc: rc == 0 and self.connected.set()
        self.c.on_message = self._on_message
        self.c.connect(HOST, port, keepalive=30)
        self.c.loop_start()
        if not self.connected.wait(5):
            raise AssertionError("client %s did not connect" % client_id)

    def _on_message(self, _c, _u, msg):
        with self.cond:
            self.got.append(msg)
            self.cond.notify_all()

    def subscribe(self, *filters, qos=1):
        done = threading.Event()
        self.c.on_subscribe = lambda *a: done.set()
        self.c.subscribe([(f, qos) for f in filters])
        if not done.wait(5):
            raise AssertionError("no SUBACK")

    def publish(self, topic, payload, qos, retain=False):
        info = self.c.publish(topic, payload, qos=qos, retain=retain)
        if qos:
            info.wait_for_publish()

    def wait_for(self, n, timeout=10):
        with self.cond:
            ok = self.cond.wait_for(lambda: len(self.got) >= n, timeout)
        if not ok:
            raise AssertionError("got %d of %d messages" % (len(self.got), n))

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


class Metrics(httpkit.HttpBrokerTestCase):
    CONF = ("max_queued_messages 5",)
    # $SYS publications would add retained messages while the test counts them.
    MOTE_CONF = ("sys_interval 0",)

    def client(self, client_id, clean=True):
        c = Client(self.port, client_id, clean)
        self.addCleanup(c.close)
        return c

    def test_healthz(self):
        status, headers, body = httpkit.get(self.http_port, "/healthz")
        self.assertEqual((status, body), (200, b"ok\n"))
        self.assertEqual(headers["cache-control"], "no-store")
        status, headers, body = httpkit.get(self.http_port, "/healthz", method="HEAD")
        self.assertEqual((status, headers["content-length"], body), (200, "3", b""))

    def test_text_format_parses_with_every_metric_and_type(self):
        """Every documented metric is present with its type; the parser accepts the
        whole text (HELP/TYPE lines, label escaping, _total counters)."""
        families, samples = metrics(self.http_port)
        types = {f.name: f.type for f in families}
        for name, kind in EXPECTED.items():
            self.assertEqual(types.get(name), kind, "metric %s" % name)
        listener = "%s:%d" % (HOST, self.port)
        self.assertEqual(value(samples, "mote_build_info", version=value_label(families)), 1)
        self.assertIn(("mote_listener_connections",
                       frozenset({"listener": listener, "protocol": "mqtt"}.items())), samples)
        self.assertGreater(value(samples, "process_resident_memory_bytes"), 1 << 20)

    def test_counters_follow_a_known_workload(self):
        """N publishes per QoS: received and sent grow by exactly N per QoS, PUBLISH
        bytes by N times the wire size; retained, subscriptions, clients and
        per-listener connections match what the test holds open."""
        _, before = metrics(self.http_port)
        sub = self.client("m-sub")
        sub.subscribe("work/#", "other/+", qos=2)
        pub = self.client("m-pub")
        n = {0: 7, 1: 11, 2: 5}
        payload = b"12.5"
        for qos, count in n.items():
            for _ in range(count):
                pub.publish("work/q%d" % qos, payload, qos)
        for i in range(3):
            pub.publish("work/retained/%d" % i, b"r", 1, retain=True)
        sub.wait_for(sum(n.values()) + 3)
        _, after = metrics(self.http_port)

        def delta(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        for qos, count in n.items():
            extra = 3 if qos == 1 else 0  # the retained ones were QoS 1
            q = str(qos)
            self.assertEqual(delta("mote_messages_received_total", qos=q), count + extra, "qos %d" % qos)
            self.assertEqual(delta("mote_messages_sent_total", qos=q), count + extra, "qos %d" % qos)
            size = publish_wire_size_311("work/q%d" % qos, payload, qos)
            rsize = publish_wire_size_311("work/retained/0", b"r", 1) if qos == 1 else 0
            self.assertEqual(delta("mote_publish_bytes_received_total", qos=q), count * size + extra * rsize)
            self.assertEqual(delta("mote_publish_bytes_sent_total", qos=q), count * size + extra * rsize)
        self.assertGreaterEqual(delta("mote_bytes_received_total"),
                                delta("mote_publish_bytes_received_total", qos="1"))
        self.assertEqual(delta("mote_retained_messages"), 3)
        self.assertEqual(delta("mote_subscriptions"), 2)
        self.assertEqual(delta("mote_clients_connected"), 2)
        listener = "%s:%d" % (HOST, self.port)
        self.assertEqual(delta("mote_listener_connections", listener=listener, protocol="mqtt"), 2)
        self.assertEqual(delta("mote_connections"), 2)
        self.assertEqual(delta("mote_connections_accepted_total"), 2)
        self.assertEqual(delta("mote_messages_dropped_total"), 0)
        for i in range(3):  # leave no retained messages for other tests
            pub.publish("work/retained/%d" % i, b"", 1, retain=True)

    def test_queued_and_dropped_for_an_offline_session(self):
        """An offline persistent session at QoS 1 queues up to max_queued_messages
        (5); the rest are dropped and counted."""
        off = Client(self.port, "m-offline", clean=False)
        off.subscribe("queue/#", qos=1)
        off.close()
        time.sleep(0.2)  # the DISCONNECT is processed before the publishes
        _, before = metrics(self.http_port)
        pub = self.client("m-pub2")
        for i in range(8):
            pub.publish("queue/x", b"%d" % i, 1)
        _, after = metrics(self.http_port)
        self.assertEqual(value(after, "mote_messages_queued") - value(before, "mote_messages_queued"), 5)
        self.assertEqual(value(after, "mote_messages_dropped_total")
                         - value(before, "mote_messages_dropped_total"), 3)
        self.assertEqual(value(after, "mote_messages_inflight"), 0)
        # Reconnecting drains the queue into flight and delivery; the gauge goes back.
        back = self.client("m-offline", clean=False)
        back.wait_for(5)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            _, now = metrics(self.http_port)
            if value(now, "mote_messages_queued") == value(before, "mote_messages_queued"):
                break
            time.sleep(0.05)
        self.assertEqual(value(now, "mote_messages_queued"), value(before, "mote_messages_queued"))


def value_label(families):
    (fam,) = [f for f in families if f.name == "mote_build_info"]
    return fam.samples[0].labels["version"]


if __name__ == "__main__":
    unittest.main(verbosity=2)
