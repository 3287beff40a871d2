#!/usr/bin/env python3
"""Configuration options take effect end to end (docs/configuration.md): each test
starts the broker with one option set and checks what a client sees. The command
line, listeners, max_connections and timeouts are covered by net/test_cli.py."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from mqttraw import (RawClient, connack_properties, connect, h, publish,  # noqa: E402
                     publish_fields, split_packets, subscribe)


def mote_only(test):
    """Mote's documented behaviour; Debian's mosquitto differs in places."""
    return unittest.skipUnless(harness.is_mote(), "Mote behaviour")(test)


class ConfigEffects(unittest.TestCase):
    def broker(self, *lines):
        b = harness.Broker(lines).start()

        def stop():
            problem = b.shutdown_problem()
            if problem:
                raise AssertionError(problem)
        self.addCleanup(stop)
        return b

    def client(self, broker, version=5, **kw):
        c = RawClient(broker.port)
        self.addCleanup(c.close)
        body = c.connect_ok(version, **kw)
        return c, body

    def test_max_topic_alias_announced(self):
        """max_topic_alias N is the CONNACK Topic Alias Maximum (v5 §3.2.2.3.8)."""
        b = self.broker("max_topic_alias 3")
        _, body = self.client(b)
        self.assertEqual(connack_properties(body).get(0x22), h("00 03"))

    def test_max_packet_size_announced(self):
        """max_packet_size is the CONNACK Maximum Packet Size (v5 §3.2.2.3.6)."""
        b = self.broker("max_packet_size 4096")
        _, body = self.client(b)
        self.assertEqual(connack_properties(body).get(0x27), (4096).to_bytes(4, "big"))

    def test_retain_available_false_announced(self):
        """retain_available false: CONNACK Retain Available 0 (v5 §3.2.2.3.5)."""
        b = self.broker("retain_available false")
        _, body = self.client(b)
        self.assertEqual(connack_properties(body).get(0x25), b"\x00")

    def test_max_keepalive_applied_v5(self):
        """max_keepalive: a larger Keep Alive is answered with Server Keep Alive
        [MQTT-3.2.2-21]; a smaller one is left alone (no Server Keep Alive needed)."""
        b = self.broker("max_keepalive 30")
        _, body = self.client(b, keepalive=100, client_id="ka1")
        self.assertEqual(connack_properties(body).get(0x13), h("00 1E"))
        _, body = self.client(b, keepalive=20, client_id="ka2")
        self.assertIn(connack_properties(body).get(0x13), (None, h("00 14")))

    def test_include_dir_options_take_effect_in_order(self):
        """include_dir: every *.conf in the directory is read; an option in it takes
        effect (here max_topic_alias from conf.d/10-alias.conf)."""
        d = tempfile.mkdtemp(prefix="mote-confd-")
        self.addCleanup(shutil.rmtree, d)
        with open(os.path.join(d, "10-alias.conf"), "w") as f:
            f.write("max_topic_alias 7\n")
        with open(os.path.join(d, "ignored.txt"), "w") as f:
            f.write("this is not an option\n")
        b = self.broker("include_dir " + d)
        _, body = self.client(b)
        self.assertEqual(connack_properties(body).get(0x22), h("00 07"))

    @mote_only
    def test_message_size_limit(self):
        """message_size_limit 10: a 10-byte payload is forwarded, an 11-byte one is
        not (QoS 1: PUBACK with an error code, or not acknowledged as success)."""
        b = self.broker("message_size_limit 10")
        sub, _ = self.client(b, client_id="msl-sub")
        sub.send(subscribe(5, 1, "msl/t", 1))
        self.assertEqual(sub.recv_packet()[0], 0x90)
        pub, _ = self.client(b, client_id="msl-pub")
        pub.send(publish(5, "msl/t", b"0123456789", qos=1, pid=1))
        first, body = pub.recv_packet()
        self.assertEqual((first, body[:2]), (0x40, h("00 01")))
        self.assertIn(body[2:3], (b"", b"\x00"))
        first, body = sub.recv_packet()
        self.assertEqual(publish_fields(5, first, body)[1], b"0123456789")
        sub.send(b"\x40\x02" + publish_fields(5, first, body)[4].to_bytes(2, "big"))
        pub.send(publish(5, "msl/t", b"0123456789A", qos=1, pid=2))
        data, closed = pub.read_until_close(1.0)
        for first, body in split_packets(data):
            if first == 0x40:
                self.assertGreaterEqual(body[2], 0x80, "oversized payload acknowledged OK")
        got, _ = sub.read_until_close(0.5)
        self.assertEqual(got, b"", "oversized payload forwarded")

    def test_max_inflight_messages(self):
        """max_inflight_messages 2: with no PUBACK from the subscriber, only two QoS 1
        messages are in flight; each PUBACK releases the next, in order."""
        b = self.broker("max_inflight_messages 2")
        sub, _ = self.client(b, client_id="inflight-sub")
        sub.send(subscribe(5, 1, "inf/t", 1))
        self.assertEqual(sub.recv_packet()[0], 0x90)
        pub, _ = self.client(b, client_id="inflight-pub")
        for i in range(5):
            pub.send(publish(5, "inf/t", b"%d" % i, qos=1, pid=i + 1))
            self.assertEqual(pub.recv_packet()[0], 0x40)
        got = []
        for _ in range(2):
            got.append(publish_fields(5, *sub.recv_packet()))
        self.assertTrue(sub.expect_silence(0.5), "more than 2 in flight")
        for _ in range(3):
            sub.send(b"\x40\x02" + got[0][4].to_bytes(2, "big"))
            got.pop(0)
            got.append(publish_fields(5, *sub.recv_packet()))
        payloads = [g[1] for g in got]
        self.assertEqual(payloads, [b"3", b"4"])

    @mote_only
    def test_max_queued_messages_offline(self):
        """max_queued_messages 3 (max_inflight_messages 1): an offline persistent
        session queues at most in-flight + queued messages; what it gets is in order."""
        b = self.broker("max_queued_messages 3", "max_inflight_messages 1")
        sub, _ = self.client(b, version=4, client_id="mq-sub", clean=False)
        sub.send(subscribe(4, 1, "mq/t", 1))
        self.assertEqual(sub.recv_packet()[0], 0x90)
        sub.send(h("E0 00"))
        sub.close()
        pub, _ = self.client(b, client_id="mq-pub")
        for i in range(10):
            pub.send(publish(5, "mq/t", b"%d" % i, qos=1, pid=i + 1))
            self.assertEqual(pub.recv_packet()[0], 0x40)
        again = RawClient(b.port)
        self.addCleanup(again.close)
        first, body = again.handshake(connect(4, client_id="mq-sub", clean=False))
        self.assertEqual((first, body), (0x20, h("01 00")), "session not resumed")
        got = []
        while True:
            try:
                first, body = again.recv_packet(0.7)
            except Exception:
                break
            f = publish_fields(4, first, body)
            got.append(int(f[1]))
            again.send(b"\x40\x02" + f[4].to_bytes(2, "big"))
        self.assertGreater(len(got), 0)
        self.assertLessEqual(len(got), 4, "queued %s" % got)
        self.assertEqual(got, sorted(got))

    @mote_only
    def test_allow_anonymous_false(self):
        """allow_anonymous false: a client without a user name is refused (v5 0x87
        Not authorized / 3.1.1 0x05) [MQTT-3.2.2-8]; Mote has no password file yet."""
        b = self.broker("allow_anonymous false")
        for version, want in ((5, 0x87), (4, 0x05)):
            with self.subTest(version=version):
                c = RawClient(b.port)
                self.addCleanup(c.close)
                first, body = c.handshake(connect(version, client_id="anon"))
                self.assertEqual((first, body[0], body[1]), (0x20, 0, want))


class Logging(unittest.TestCase):
    LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (debug|info|notice|warning|error) ")

    def run_with_log(self, *lines):
        d = tempfile.mkdtemp(prefix="mote-log-")
        self.addCleanup(shutil.rmtree, d)
        path = os.path.join(d, "mote.log")
        b = harness.Broker(("log_dest file " + path,) + lines).start()
        try:
            with RawClient(b.port) as c:
                c.connect_ok(5, client_id="logged")
                c.send(h("E0 00"))
                c.read_until_close(1.0)
            time.sleep(0.2)
        finally:
            problem = b.shutdown_problem()
        self.assertIsNone(problem)
        with open(path) as f:
            return f.read().splitlines()

    @mote_only
    def test_log_file_lines_are_timestamped_and_levelled(self):
        """log_dest file PATH: every line is 'ISO-8601Z level message'."""
        lines = self.run_with_log()
        self.assertTrue(lines, "nothing logged")
        for line in lines:
            self.assertRegex(line, self.LINE)

    @mote_only
    def test_log_type_error_only(self):
        """log_type error: no info/notice lines for a normal start and connect."""
        lines = self.run_with_log("log_type error")
        self.assertEqual([l for l in lines if " error " not in l], [])

    @mote_only
    def test_log_dest_none(self):
        """log_dest none with the file: only the file gets lines (none adds nothing)."""
        lines = self.run_with_log("log_dest none")
        self.assertTrue(lines)


class BadConfig(unittest.TestCase):
    """A bad configuration stops the broker at start-up with file, line and option."""

    def start_fails(self, text):
        d = tempfile.mkdtemp(prefix="mote-badconf-")
        self.addCleanup(shutil.rmtree, d)
        path = os.path.join(d, "bad.conf")
        with open(path, "w") as f:
            f.write(text)
        r = subprocess.run([harness.broker_binary(), "-c", path], capture_output=True,
                           timeout=10)
        self.assertEqual(r.returncode, 1, r.stderr.decode())
        return path, r.stderr.decode()

    @mote_only
    def test_unknown_option(self):
        path, err = self.start_fails("listener 1 127.0.0.1\n# c\nfrobnicate 1\n")
        self.assertIn("%s:3: frobnicate: unknown option" % path, err)

    @mote_only
    def test_not_supported_yet(self):
        path, err = self.start_fails("psk_file /etc/mosquitto/psk\n")
        self.assertIn("%s:1: psk_file: " % path, err)
        self.assertIn("not supported yet", err)

    @mote_only
    def test_out_of_range(self):
        path, err = self.start_fails("max_keepalive 5\n")
        self.assertIn("%s:1: max_keepalive: expected an integer from 10 to 65535, got '5'"
                      % path, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
