#!/usr/bin/env python3
"""Topic aliases from the broker to MQTT 5 subscribers, over TCP (5.0 §3.3.2.3.4).

The broker gives a subscriber aliases only when its CONNECT carried a Topic Alias
Maximum [MQTT-3.3.2-9], never above that maximum [MQTT-3.3.2-10], and only for the
life of the network connection [MQTT-3.3.2-7]. The bytes are read raw, so what is
checked is what any client library would receive.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from mqttraw import RawClient, connect, h, publish, publish_fields, subscribe  # noqa: E402

TOPIC_ALIAS = 0x23


def alias_of(prop):
    """The Topic Alias of a PUBLISH whose property block holds nothing else (as in
    these tests); 0 when the block is empty."""
    if not prop:
        return 0
    if len(prop) != 3 or prop[0] != TOPIC_ALIAS:
        raise AssertionError("unexpected PUBLISH properties %s" % prop.hex(" "))
    return int.from_bytes(prop[1:3], "big")


class OutboundTopicAlias(harness.BrokerTestCase):

    def client(self, client_id, alias_max=None):
        c = RawClient(self.port)
        self.addCleanup(c.close)
        props = b"" if alias_max is None else h("22") + alias_max.to_bytes(2, "big")
        first, body = c.handshake(connect(5, client_id=client_id, properties=props))
        self.assertEqual((first, body[1]), (0x20, 0), "CONNECT refused: %s" % body.hex(" "))
        return c

    def subscribed(self, client_id, alias_max, topic_filter):
        c = self.client(client_id, alias_max)
        c.send(subscribe(5, 1, topic_filter, 0))
        self.assertEqual(c.recv_packet()[0], 0x90)
        return c

    def received(self, c, n):
        out = []
        for _ in range(n):
            first, body = c.recv_packet()
            self.assertEqual(first >> 4, 3, "expected PUBLISH")
            topic, payload, _, _, _, prop = publish_fields(5, first, body)
            out.append((topic, alias_of(prop), payload))
        return out

    def test_aliases_within_the_client_maximum(self):
        sub = self.subscribed("ta-sub", 2, "ta/#")
        plain = self.subscribed("ta-plain", None, "ta/#")
        pub = self.client("ta-pub")
        for topic, payload in [("ta/one", b"1"), ("ta/one", b"2"), ("ta/two", b"3"),
                               ("ta/three", b"4"), ("ta/two", b"5")]:
            pub.send(publish(5, topic, payload))
        self.assertEqual(self.received(sub, 5), [
            ("ta/one", 1, b"1"),   # topic and alias: the mapping is set
            ("", 1, b"2"),         # the alias alone
            ("ta/two", 2, b"3"),
            ("ta/three", 0, b"4"),  # the client's maximum (2) is used up: in full
            ("", 2, b"5"),
        ])
        # A client that announced no Topic Alias Maximum gets every topic in full.
        self.assertEqual(self.received(plain, 5), [
            ("ta/one", 0, b"1"), ("ta/one", 0, b"2"), ("ta/two", 0, b"3"),
            ("ta/three", 0, b"4"), ("ta/two", 0, b"5")])

    def test_a_new_connection_starts_without_aliases(self):
        pub = self.client("tn-pub")
        sub = self.subscribed("tn-sub", 5, "tn/t")
        pub.send(publish(5, "tn/t", b"a"))
        pub.send(publish(5, "tn/t", b"b"))
        self.assertEqual(self.received(sub, 2), [("tn/t", 1, b"a"), ("", 1, b"b")])
        sub.close()
        again = self.subscribed("tn-sub", 5, "tn/t")
        pub.send(publish(5, "tn/t", b"c"))
        self.assertEqual(self.received(again, 1), [("tn/t", 1, b"c")])


if __name__ == "__main__":
    unittest.main()
