#!/usr/bin/env python3
"""Bridges (issue 13, docs/bridge.md): a gateway mote-broker bridges to an upstream
broker, Debian's mosquitto or a second mote-broker, on other loopback ports.

- Round trip in both directions at QoS 0/1/2, for 3.1.1 and 5.0 bridges, with topic
  remapping (prefixes) and loop prevention on `both` topics (5.0 No Local
  [MQTT-3.8.3-3]; 3.1.1 try_private, mosquitto's bridge bit).
- Store-and-forward: the upstream is stopped, sensors keep publishing QoS 1 to the
  gateway, the upstream comes back, and every message arrives upstream, in order
  per publisher, none lost; the same with the gateway killed by SIGKILL during the
  outage and restarted (persistence, strict durability).
The upstream keeps its subscriber's session across its own restart (persistence),
so what the bridge delivers while that subscriber reconnects is queued for it.
"""

import os
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import paho.mqtt.client as mqtt  # noqa: E402
from harness import HOST, MOSQUITTO, Broker, broker_binary, free_port, is_mote  # noqa: E402

MOTE = broker_binary()


def wait_for(cond, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


class Collector:
    """A paho client that records every message on its filters."""

    def __init__(self, port, filters, client_id="", clean=True, qos=2, v5=False):
        self.messages = []
        self.lock = threading.Lock()
        self.subscribed = threading.Event()
        proto = mqtt.MQTTv5 if v5 else mqtt.MQTTv311
        if v5:
            self.c = mqtt.Client(client_id=client_id, protocol=proto)
        else:
            self.c = mqtt.Client(client_id=client_id, clean_session=clean, protocol=proto)
        self.c.reconnect_delay_set(min_delay=0.1, max_delay=0.5)
        self.filters = [(f, qos) for f in filters]
        self.c.on_connect = self._on_connect
        self.c.on_subscribe = lambda *a: self.subscribed.set()
        self.c.on_message = self._on_message
        self.c.connect(HOST, port, keepalive=30)
        self.c.loop_start()
        if not self.subscribed.wait(10):
            raise AssertionError("no SUBACK from 127.0.0.1:%d" % port)

    def _on_connect(self, client, _userdata, _flags, _rc, _props=None):
        client.subscribe(self.filters)

    def _on_message(self, _client, _userdata, msg):
        with self.lock:
            self.messages.append((msg.topic, msg.payload.decode(), msg.qos, bool(msg.retain)))

    def got(self, topic=None):
        with self.lock:
            return [m for m in self.messages if topic is None or m[0] == topic]

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


def publish(port, topic, payload, qos, retain=False):
    c = mqtt.Client(protocol=mqtt.MQTTv311)
    c.connect(HOST, port)
    c.loop_start()
    info = c.publish(topic, payload, qos=qos, retain=retain)
    info.wait_for_publish(10)
    if not info.is_published():
        raise AssertionError("publish of %s to port %d not acknowledged" % (topic, port))
    c.loop_stop()
    c.disconnect()


def upstream_broker(kind, port):
    """A persistent upstream broker on a fixed port (restarted at the same address)."""
    if kind == "mosquitto":
        b = Broker(binary=MOSQUITTO, port=port)
        # Started as root, mosquitto drops to the `mosquitto` user: let it write there.
        os.chmod(b.dir, 0o777)
        b.conf_lines += ["persistence true", "persistence_location %s/" % b.dir]
    else:
        b = Broker(binary=MOTE, port=port)
        b.conf_lines += ["persistence true", "persistence_location %s" % b.dir]
    return b


def gateway_broker(upstream_port, protocol, name, persistent=False):
    b = Broker(binary=MOTE, port=free_port())
    if persistent:
        b.conf_lines += ["persistence true", "persistence_location %s" % b.dir]
    b.conf_lines += [
        "connection up",
        "address 127.0.0.1:%d" % upstream_port,
        "bridge_protocol_version %s" % protocol,
        "remote_clientid %s" % name,
        "restart_timeout 1 2",
        "keepalive_interval 5",
        "sys_interval 1",
        'topic sensors/# out 2 "" site/',
        "topic cmd/# in 2",
        "topic both/# both 2",
    ]
    return b


class BridgeCase(unittest.TestCase):
    """The brokers and clients of one test, stopped afterwards; a broker that
    crashed, exited badly or printed a sanitizer report fails the test. Shared
    with test_bridge_tls.py."""

    def setUp(self):
        self.brokers = []
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        problems = []
        for b in self.brokers:
            p = b.shutdown_problem()
            if p:
                problems.append("%s: %s" % (b.binary, p))
        if problems:
            self.fail("\n".join(problems))

    def start(self, broker):
        self.brokers.append(broker)
        return broker.start()

    def collector(self, *args, **kw):
        c = Collector(*args, **kw)
        self.clients.append(c)
        return c



@unittest.skipUnless(is_mote(MOTE), "MOTE_BROKER is not set: these tests are about mote-broker's bridge")
class BridgeTest(BridgeCase):
    def wait_bridge_up(self, gw, up_port):
        state = self.collector(gw.port, ["$SYS/broker/connection/+/state"])
        ok = wait_for(lambda: any(m[1] == "1" for m in state.got()), 15)
        self.assertTrue(ok, "the bridge did not report state 1\n" + gw.stderr_text())

    # -------------------------------------------------------------- round trip

    def round_trip(self, kind, protocol):
        up_port = free_port()
        up = self.start(upstream_broker(kind, up_port))
        gw = self.start(gateway_broker(up_port, protocol, "gw-%s-%s" % (kind, protocol)))
        self.wait_bridge_up(gw, up_port)
        cloud = self.collector(up.port, ["site/#", "both/#"])
        local = self.collector(gw.port, ["cmd/#", "both/#"])
        for qos in (0, 1, 2):
            publish(gw.port, "sensors/q%d" % qos, "out-%d" % qos, qos)
            publish(up.port, "cmd/q%d" % qos, "in-%d" % qos, qos)
        for qos in (0, 1, 2):
            self.assertTrue(wait_for(lambda: cloud.got("site/sensors/q%d" % qos), 10),
                            "sensors/q%d did not arrive upstream as site/sensors/q%d" % (qos, qos))
            self.assertEqual([("site/sensors/q%d" % qos, "out-%d" % qos, qos, False)],
                             cloud.got("site/sensors/q%d" % qos))
            self.assertTrue(wait_for(lambda: local.got("cmd/q%d" % qos), 10), "cmd/q%d did not come in" % qos)
            self.assertEqual([("cmd/q%d" % qos, "in-%d" % qos, qos, False)], local.got("cmd/q%d" % qos))
        # `both`: each side's message reaches the other side once and does not
        # come back (no loop).
        publish(gw.port, "both/from-gw", "g", 1)
        publish(up.port, "both/from-up", "u", 1)
        self.assertTrue(wait_for(lambda: cloud.got("both/from-gw") and local.got("both/from-up"), 10))
        time.sleep(1.0)  # an echo would arrive within this
        self.assertEqual(1, len(cloud.got("both/from-gw")), cloud.got())
        self.assertEqual(1, len(local.got("both/from-gw")), local.got())
        self.assertEqual(1, len(local.got("both/from-up")), local.got())
        self.assertEqual(1, len(cloud.got("both/from-up")), cloud.got())
        # A retained message keeps its flag on the way up.
        publish(gw.port, "sensors/retained", "r", 1, retain=True)
        self.assertTrue(wait_for(lambda: cloud.got("site/sensors/retained"), 10))
        late = self.collector(up.port, ["site/sensors/retained"])
        self.assertTrue(wait_for(lambda: late.got(), 10), "no retained message upstream")
        self.assertEqual(("site/sensors/retained", "r", 1, True), late.got()[0])
        # Mote's $SYS topics of the bridge (sys_interval 1): connected, and counting.
        sys_topics = self.collector(gw.port, ["$SYS/broker/bridge/up/#"])

        def sys_value(leaf):
            got = sys_topics.got("$SYS/broker/bridge/up/" + leaf)
            return got[-1][1] if got else None

        self.assertTrue(wait_for(lambda: sys_value("state") == "connected" and
                                 int(sys_value("messages/sent") or 0) >= 5 and
                                 int(sys_value("messages/received") or 0) >= 4, 5),
                        sys_topics.got())
        self.assertEqual("0", sys_value("messages/queued"))
        self.assertEqual("127.0.0.1:%d" % up_port, sys_value("address"))

    def test_round_trip_mosquitto_upstream_311(self):
        self.round_trip("mosquitto", "mqttv311")

    def test_round_trip_mosquitto_upstream_50(self):
        self.round_trip("mosquitto", "mqttv50")

    def test_round_trip_mote_upstream_311(self):
        self.round_trip("mote", "mqttv311")

    def test_round_trip_mote_upstream_50(self):
        self.round_trip("mote", "mqttv50")

    # -------------------------------------------------------------- outage

    def outage(self, kind, protocol, kill_gateway):
        up_port = free_port()
        up = self.start(upstream_broker(kind, up_port))
        gw = self.start(gateway_broker(up_port, protocol, "gw-outage-%s" % kind, persistent=True))
        self.wait_bridge_up(gw, up_port)
        cloud = self.collector(up.port, ["site/#"], client_id="cloud-sub", clean=False, qos=1)
        publish(gw.port, "sensors/warmup", "w", 1)
        self.assertTrue(wait_for(lambda: cloud.got("site/sensors/warmup"), 10))
        self.assertEqual(0, up.stop(), "the upstream did not stop cleanly")
        per_publisher = 150
        errors = []

        def sensor(name):
            try:
                c = mqtt.Client(client_id=name, protocol=mqtt.MQTTv311)
                c.connect(HOST, gw.port)
                c.loop_start()
                for i in range(per_publisher):
                    info = c.publish("sensors/%s" % name, "%s:%d" % (name, i), qos=1)
                    info.wait_for_publish(10)
                    if not info.is_published():
                        errors.append("%s:%d not acknowledged by the gateway" % (name, i))
                        break
                c.loop_stop()
                c.disconnect()
            except Exception as e:  # noqa: BLE001
                errors.append("%s: %r" % (name, e))

        threads = [threading.Thread(target=sensor, args=(n,)) for n in ("s1", "s2")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual([], errors)
        if kill_gateway:
            os.kill(gw.pid, signal.SIGKILL)
            gw.proc.wait()
            gw.start()
        up.start()
        expected = {("site/sensors/%s" % n, "%s:%d" % (n, i)) for n in ("s1", "s2") for i in range(per_publisher)}

        def arrived():
            return expected <= {(m[0], m[1]) for m in cloud.got()}

        self.assertTrue(wait_for(arrived, 60),
                        "missing upstream: %s\n--- gateway ---\n%s"
                        % (sorted(expected - {(m[0], m[1]) for m in cloud.got()})[:10], gw.stderr_text()[-4000:]))
        for n in ("s1", "s2"):
            firsts = []
            for topic, payload, _qos, _retain in cloud.got("site/sensors/%s" % n):
                seq = int(payload.split(":")[1])
                if seq not in firsts:
                    firsts.append(seq)
            self.assertEqual(list(range(per_publisher)), firsts, "%s out of order upstream" % n)

    def test_live_first_overtakes_the_backlog(self):
        """bridge_drain_policy live_first: after an outage a live message goes
        upstream at once, while the backlog drains beside it, paced and in order."""
        up_port = free_port()
        up = self.start(upstream_broker("mosquitto", up_port))
        gw_conf = gateway_broker(up_port, "mqttv311", "gw-live-first", persistent=True)
        gw_conf.conf_lines += ["bridge_drain_policy live_first", "bridge_outgoing_rate 100"]
        gw = self.start(gw_conf)
        self.wait_bridge_up(gw, up_port)
        cloud = self.collector(up.port, ["site/#"], client_id="cloud-live", clean=False, qos=1)
        publish(gw.port, "sensors/warmup", "w", 1)
        self.assertTrue(wait_for(lambda: cloud.got("site/sensors/warmup"), 10))
        self.assertEqual(0, up.stop())
        backlog = 300
        c = mqtt.Client(client_id="s1", protocol=mqtt.MQTTv311)
        c.connect(HOST, gw.port)
        c.loop_start()
        for i in range(backlog):
            c.publish("sensors/s1", "s1:%d" % i, qos=1).wait_for_publish(10)
        up.start()
        state = self.collector(gw.port, ["$SYS/broker/connection/+/state"])
        self.assertTrue(wait_for(lambda: state.got() and state.got()[-1][1] == "1", 15), gw.stderr_text()[-3000:])
        c.publish("sensors/live", "now", qos=1).wait_for_publish(10)
        self.assertTrue(wait_for(lambda: cloud.got("site/sensors/live"), 10), "the live message did not arrive")
        with cloud.lock:
            backlog_before_live = sum(1 for m in cloud.messages
                                      if m[0] == "site/sensors/s1" and cloud.messages.index(m) <
                                      next(i for i, x in enumerate(cloud.messages) if x[0] == "site/sensors/live"))
        # At 100 messages/s the backlog needs about 3 s; the live message does not wait for it.
        self.assertLess(backlog_before_live, backlog - 50, "the live message waited behind the backlog")
        self.assertTrue(wait_for(lambda: len({m[1] for m in cloud.got("site/sensors/s1")}) == backlog, 30),
                        "backlog incomplete: %d" % len({m[1] for m in cloud.got("site/sensors/s1")}))
        firsts = []
        for _t, payload, _q, _r in cloud.got("site/sensors/s1"):
            seq = int(payload.split(":")[1])
            if seq not in firsts:
                firsts.append(seq)
        self.assertEqual(list(range(backlog)), firsts, "the backlog out of order")
        c.loop_stop()
        c.disconnect()

    def test_outage_mosquitto_upstream(self):
        self.outage("mosquitto", "mqttv311", kill_gateway=False)

    def test_outage_mote_upstream_50(self):
        self.outage("mote", "mqttv50", kill_gateway=False)

    def test_outage_gateway_sigkill_mosquitto_upstream(self):
        self.outage("mosquitto", "mqttv311", kill_gateway=True)

    def test_outage_gateway_sigkill_mote_upstream_50(self):
        self.outage("mote", "mqttv50", kill_gateway=True)


if __name__ == "__main__":
    unittest.main()
