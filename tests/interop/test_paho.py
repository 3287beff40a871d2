#!/usr/bin/env python3
"""Interop with Eclipse Paho Python (Debian python3-paho-mqtt 1.6), MQTT 3.1.1 and
5.0: QoS 0/1/2, retained messages, wills, persistent sessions, shared
subscriptions, topic aliases, message expiry, user properties, subscription
identifiers, No Local, session takeover and $SYS."""

import os
import queue
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.packettypes import PacketTypes  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402
from paho.mqtt.subscribeoptions import SubscribeOptions  # noqa: E402

V311, V5 = mqtt.MQTTv311, mqtt.MQTTv5
WAIT = 5.0


class Client:
    """A paho client on its own network thread, with queues for what arrives."""

    def __init__(self, port, client_id, version, clean=True, will=None, session_expiry=None,
                 connect_props=None):
        self.version = version
        self.messages = queue.Queue()
        self.connacks = queue.Queue()
        self.subacks = queue.Queue()
        self.disconnects = queue.Queue()
        self.published = set()
        self.published_cv = threading.Condition()
        if version == V5:
            self.c = mqtt.Client(client_id=client_id, protocol=V5)
        else:
            self.c = mqtt.Client(client_id=client_id, clean_session=clean, protocol=V311)
        self.c.on_connect = self._on_connect
        self.c.on_message = lambda c, u, m: self.messages.put(m)
        self.c.on_subscribe = self._on_subscribe
        self.c.on_publish = self._on_publish
        self.c.on_disconnect = self._on_disconnect
        if will is not None:
            topic, payload, qos, retain = will
            self.c.will_set(topic, payload, qos, retain)
        self.port = port
        self.clean = clean
        self.props = connect_props
        if version == V5 and session_expiry is not None:
            self.props = self.props or Properties(PacketTypes.CONNECT)
            self.props.SessionExpiryInterval = session_expiry

    def _on_connect(self, c, u, flags, rc, properties=None):
        self.connacks.put((flags, rc, properties))

    def _on_subscribe(self, c, u, mid, granted, properties=None):
        self.subacks.put((mid, granted))

    def _on_publish(self, c, u, mid):
        with self.published_cv:
            self.published.add(mid)
            self.published_cv.notify_all()

    def _on_disconnect(self, c, u, rc, properties=None):
        self.disconnects.put(rc)

    def connect(self, expect_rc=0):
        if self.version == V5:
            self.c.connect(harness.HOST, self.port, keepalive=30, clean_start=self.clean,
                           properties=self.props)
        else:
            self.c.connect(harness.HOST, self.port, keepalive=30)
        self.c.loop_start()
        flags, rc, props = self.connacks.get(timeout=WAIT)
        if expect_rc is not None and rc != expect_rc:
            raise AssertionError("CONNACK rc %s, expected %s" % (rc, expect_rc))
        return flags, props

    def subscribe(self, topic, qos=0, options=None, properties=None):
        if self.version == V5:
            opts = options or SubscribeOptions(qos=qos)
            _, mid = self.c.subscribe(topic, options=opts, properties=properties)
        else:
            _, mid = self.c.subscribe(topic, qos)
        got_mid, granted = self.subacks.get(timeout=WAIT)
        assert got_mid == mid
        return granted

    def publish(self, topic, payload, qos=0, retain=False, properties=None, wait=True):
        info = self.c.publish(topic, payload, qos, retain, properties=properties)
        if wait:
            info.wait_for_publish(WAIT)
            if not info.is_published():
                raise AssertionError("publish %s not acknowledged" % topic)
        return info

    def get(self, timeout=WAIT):
        return self.messages.get(timeout=timeout)

    def nothing(self, within=0.5):
        try:
            m = self.messages.get(timeout=within)
        except queue.Empty:
            return True
        raise AssertionError("unexpected message %s %r" % (m.topic, m.payload))

    def disconnect(self):
        self.c.disconnect()
        self.c.loop_stop()

    def kill(self):
        """Abnormal close: drop the socket without DISCONNECT."""
        self.c.loop_stop()
        self.c.socket().close()


class PahoBase(harness.BrokerTestCase):
    def client(self, client_id, version, **kw):
        cl = Client(self.port, client_id, version, **kw)
        self.addCleanup(lambda: cl.c.loop_stop())
        return cl

    def connected(self, client_id, version, **kw):
        cl = self.client(client_id, version, **kw)
        cl.connect()
        return cl


class PahoTest(PahoBase):
    # --- QoS ---------------------------------------------------------------------

    def roundtrip(self, version, qos, n=20):
        tag = "v%d-q%d" % (version, qos)
        sub = self.connected("sub-" + tag, version)
        granted = sub.subscribe("qos/" + tag, qos)
        self.assertEqual([g if isinstance(g, int) else g.value for g in granted], [qos])
        pub = self.connected("pub-" + tag, version)
        for i in range(n):
            pub.publish("qos/" + tag, b"m%d" % i, qos)
        got = [sub.get() for _ in range(n)]
        self.assertEqual([m.payload for m in got], [b"m%d" % i for i in range(n)])
        self.assertTrue(all(m.qos == qos for m in got))
        sub.nothing(0.3)
        pub.disconnect()
        sub.disconnect()

    def test_qos0_v311(self):
        self.roundtrip(V311, 0)

    def test_qos1_v311(self):
        self.roundtrip(V311, 1)

    def test_qos2_v311(self):
        self.roundtrip(V311, 2)

    def test_qos0_v5(self):
        self.roundtrip(V5, 0)

    def test_qos1_v5(self):
        self.roundtrip(V5, 1)

    def test_qos2_v5(self):
        self.roundtrip(V5, 2)

    def test_qos_downgrade_to_subscription(self):
        """[MQTT-3.8.4-8]: delivered at min(publish QoS, granted QoS)."""
        sub = self.connected("sub-down", V5)
        sub.subscribe("down/t", 1)
        pub = self.connected("pub-down", V5)
        pub.publish("down/t", b"x", 2)
        self.assertEqual(sub.get().qos, 1)

    # --- retained ----------------------------------------------------------------

    def test_retained_set_replace_clear(self):
        """[MQTT-3.3.1-5/-6/-10/-11]: retained message stored, replaced, cleared by an
        empty payload."""
        for version in (V311, V5):
            with self.subTest(version=version):
                topic = "ret/%d" % version
                pub = self.connected("rpub%d" % version, version)
                pub.publish(topic, b"one", 1, retain=True)
                s1 = self.connected("rs1-%d" % version, version)
                s1.subscribe(topic, 1)
                m = s1.get()
                self.assertEqual((m.payload, m.retain), (b"one", True))
                pub.publish(topic, b"two", 1, retain=True)
                live = s1.get()
                # Live delivery of a retained publish to an existing subscription has
                # RETAIN 0 in 3.1.1 [MQTT-3.3.1-9] and (without Retain As Published) in 5.0.
                self.assertEqual((live.payload, live.retain), (b"two", False))
                s2 = self.connected("rs2-%d" % version, version)
                s2.subscribe(topic, 1)
                m = s2.get()
                self.assertEqual((m.payload, m.retain), (b"two", True))
                pub.publish(topic, b"", 1, retain=True)
                s3 = self.connected("rs3-%d" % version, version)
                s3.subscribe(topic, 1)
                s3.nothing(0.5)
                for c in (pub, s1, s2, s3):
                    c.disconnect()

    # --- will ----------------------------------------------------------------------

    def test_will_on_abnormal_close_not_on_disconnect(self):
        """[MQTT-3.1.2-8] will published on abnormal close; [MQTT-3.1.2-10] removed by
        DISCONNECT."""
        for version in (V311, V5):
            with self.subTest(version=version):
                topic = "will/%d" % version
                watch = self.connected("wwatch%d" % version, version)
                watch.subscribe(topic + "/#", 1)
                good = self.connected("wgood%d" % version, version,
                                      will=(topic + "/good", b"bye", 1, False))
                good.disconnect()
                watch.nothing(0.5)
                bad = self.connected("wbad%d" % version, version,
                                     will=(topic + "/bad", b"dead", 1, False))
                bad.kill()
                m = watch.get()
                self.assertEqual((m.topic, m.payload), (topic + "/bad", b"dead"))
                watch.disconnect()

    # --- persistent sessions -------------------------------------------------------

    def resume(self, version, qos):
        tag = "%d-%d" % (version, qos)
        if version == V5:
            sub = self.connected("persist-" + tag, V5, clean=True, session_expiry=300)
        else:
            sub = self.connected("persist-" + tag, V311, clean=False)
        sub.subscribe("persist/" + tag, qos)
        sub.disconnect()
        pub = self.connected("ppub-" + tag, version)
        for i in range(10):
            pub.publish("persist/" + tag, b"q%d" % i, qos)
        if version == V5:
            again = self.client("persist-" + tag, V5, clean=False, session_expiry=300)
        else:
            again = self.client("persist-" + tag, V311, clean=False)
        flags, _ = again.connect()
        self.assertEqual(flags.get("session present"), 1, "session not resumed")
        got = [again.get().payload for _ in range(10)]
        self.assertEqual(got, [b"q%d" % i for i in range(10)])
        again.nothing(0.3)
        again.disconnect()
        pub.disconnect()

    def test_persistent_session_qos1_v311(self):
        self.resume(V311, 1)

    def test_persistent_session_qos2_v311(self):
        self.resume(V311, 2)

    def test_persistent_session_qos1_v5(self):
        self.resume(V5, 1)

    def test_persistent_session_qos2_v5(self):
        self.resume(V5, 2)

    def test_message_expiry_not_delivered_to_resuming_session(self):
        """[MQTT-3.3.2-5]: a message whose expiry passed while queued is not delivered;
        the one still valid is, with its remaining lifetime [MQTT-3.3.2-6]."""
        sub = self.connected("expiry-sub", V5, session_expiry=300)
        sub.subscribe("exp/t", 1)
        sub.disconnect()
        pub = self.connected("expiry-pub", V5)
        short = Properties(PacketTypes.PUBLISH)
        short.MessageExpiryInterval = 1
        long = Properties(PacketTypes.PUBLISH)
        long.MessageExpiryInterval = 100
        pub.publish("exp/t", b"short", 1, properties=short)
        pub.publish("exp/t", b"long", 1, properties=long)
        time.sleep(2.2)
        again = self.client("expiry-sub", V5, clean=False, session_expiry=300)
        again.connect()
        m = again.get()
        self.assertEqual(m.payload, b"long")
        self.assertLessEqual(m.properties.MessageExpiryInterval, 99)
        again.nothing(0.3)

    # --- MQTT 5 features ---------------------------------------------------------------

    def test_shared_subscription_one_delivery_per_group(self):
        """[MQTT-4.8.2-*]: each message goes to one member of the group; both members
        receive some; a plain subscriber receives all."""
        a = self.connected("share-a", V5)
        b = self.connected("share-b", V5)
        plain = self.connected("share-plain", V5)
        a.subscribe("$share/g/share/t", 1)
        b.subscribe("$share/g/share/t", 1)
        plain.subscribe("share/t", 1)
        pub = self.connected("share-pub", V5)
        n = 40
        for i in range(n):
            pub.publish("share/t", b"%d" % i, 1)
        all_plain = [plain.get().payload for _ in range(n)]
        self.assertEqual(sorted(all_plain), sorted(b"%d" % i for i in range(n)))
        time.sleep(0.5)
        got_a, got_b = [], []
        while not a.messages.empty():
            got_a.append(a.messages.get().payload)
        while not b.messages.empty():
            got_b.append(b.messages.get().payload)
        self.assertEqual(sorted(got_a + got_b), sorted(all_plain), "one delivery per group")
        self.assertTrue(got_a and got_b, "both members should receive some: %d/%d"
                        % (len(got_a), len(got_b)))

    def test_topic_alias_client_to_broker(self):
        """[MQTT-3.3.2-12]: an alias set with a topic, then used with an empty topic."""
        sub = self.connected("alias-sub", V5)
        sub.subscribe("alias/x", 0)
        pub = self.connected("alias-pub", V5)
        p = Properties(PacketTypes.PUBLISH)
        p.TopicAlias = 1
        pub.publish("alias/x", b"first", 0, properties=p)
        pub.publish("", b"second", 0, properties=p)
        got = [(m.topic, m.payload) for m in (sub.get(), sub.get())]
        self.assertEqual(got, [("alias/x", b"first"), ("alias/x", b"second")])

    def test_user_properties_forwarded_in_order(self):
        """[MQTT-3.3.2-17/-18]: User Properties forwarded unaltered, order kept."""
        sub = self.connected("up-sub", V5)
        sub.subscribe("up/t", 1)
        pub = self.connected("up-pub", V5)
        p = Properties(PacketTypes.PUBLISH)
        pairs = [("b", "2"), ("a", "1"), ("b", "3"), ("z", "")]
        p.UserProperty = pairs
        pub.publish("up/t", b"x", 1, properties=p)
        m = sub.get()
        self.assertEqual(list(m.properties.UserProperty), pairs)

    def test_subscription_identifiers(self):
        """[MQTT-3.3.4-3/-4]: each matching subscription's identifier is delivered."""
        sub = self.connected("sid-sub", V5)
        p1 = Properties(PacketTypes.SUBSCRIBE)
        p1.SubscriptionIdentifier = 7
        sub.subscribe("sid/+", 1, properties=p1)
        p2 = Properties(PacketTypes.SUBSCRIBE)
        p2.SubscriptionIdentifier = 300
        sub.subscribe("sid/#", 1, properties=p2)
        pub = self.connected("sid-pub", V5)
        pub.publish("sid/a", b"x", 1)
        ids = []
        for _ in range(2):
            try:
                m = sub.get(timeout=1.0)
            except queue.Empty:
                break
            ids.extend(m.properties.SubscriptionIdentifier)
        # One message with both ids or one copy per subscription: both are allowed.
        self.assertEqual(sorted(ids), [7, 300])

    def test_no_local(self):
        """[MQTT-3.8.3-3]: No Local: own publications are not sent back."""
        c = self.connected("nolocal", V5)
        c.subscribe("nl/t", options=SubscribeOptions(qos=1, noLocal=True))
        other = self.connected("nolocal-other", V5)
        c.publish("nl/t", b"mine", 1)
        other.publish("nl/t", b"theirs", 1)
        self.assertEqual(c.get().payload, b"theirs")
        c.nothing(0.3)

    def test_session_takeover(self):
        """[MQTT-3.1.4-3]: a second connection with the same ClientId takes over; the
        first is disconnected (v5 reason 0x8E)."""
        for version in (V311, V5):
            with self.subTest(version=version):
                first = self.connected("takeover-%d" % version, version)
                second = self.connected("takeover-%d" % version, version)
                rc = first.disconnects.get(timeout=WAIT)
                # paho would reconnect after 1 s and take the session back: stop it.
                first.c.loop_stop()
                self.assertNotEqual(rc, 0)
                second.subscribe("to/t", 0)
                second.publish("to/t", b"alive", 0)
                self.assertEqual(second.get().payload, b"alive")
                second.disconnect()

    def test_wildcard_does_not_match_sys(self):
        """[MQTT-4.7.2-1]: '#' does not match $SYS topics."""
        c = self.connected("nosys", V311)
        c.subscribe("#", 0)
        c.publish("plain/x", b"x", 0)
        m = c.get()
        self.assertEqual(m.topic, "plain/x")
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            try:
                m = c.messages.get(timeout=0.2)
            except queue.Empty:
                continue
            self.assertFalse(m.topic.startswith("$"), m.topic)


class PahoSys(PahoBase):
    """$SYS, with a 1 s interval so that the test is quick."""

    CONF = ("sys_interval 1",)

    def test_sys_topics_present(self):
        """$SYS/broker/... topics are published every sys_interval."""
        c = self.connected("sys", V311)
        c.subscribe("$SYS/#", 0)
        m = c.get(timeout=5)
        self.assertTrue(m.topic.startswith("$SYS/broker/"), m.topic)


if __name__ == "__main__":
    unittest.main(verbosity=2)
