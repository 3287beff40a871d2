#!/usr/bin/env python3
"""The durable store's error paths with the real mote-broker: a database that is
garbage, truncated, or from a newer schema is refused at start-up with a message
that says what is wrong and how to move it aside (exit status 1, never a crash or
a silently empty broker); a full store (persistence_max_bytes, as a small disk)
gets no PUBACK for what it could not keep (5.0: 0x97 Quota exceeded; 3.1.1: the
connection is closed), a log line, and the broker keeps serving."""

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import mqttraw as raw  # noqa: E402
from harness import Broker, broker_binary, is_mote  # noqa: E402


def run_broker_once(conf_path, timeout=10):
    return subprocess.run([broker_binary(), "-c", conf_path], stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=timeout)


class StartupRefusals(unittest.TestCase):
    def setUp(self):
        if not is_mote():
            self.skipTest("Mote's persistence options")
        self.dir = tempfile.mkdtemp(prefix="mote-store-err-")
        self.db = os.path.join(self.dir, "mote.db")
        self.conf = os.path.join(self.dir, "m.conf")
        with open(self.conf, "w") as f:
            # Never gets as far as listening: the store is opened first.
            f.write("persistence true\npersistence_location %s\nlistener 1 127.0.0.1\n" % self.dir)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def make_valid_db(self):
        """A database written by mote-broker itself (started and stopped once)."""
        b = Broker(["persistence true", "persistence_location %s" % self.dir])
        b.start()
        c = raw.RawClient(b.port)
        c.connect_ok(4, client_id="keep", clean=False)
        c.send(raw.publish(4, "r/x", b"y" * 50000, qos=1, pid=1, retain=True))
        self.assertEqual((0x40, raw.h("00 01")), c.recv_packet())
        c.close()
        self.assertIn(b.stop(), (0, -15))
        self.assertGreater(os.path.getsize(self.db), 40000)

    def refused(self, *fragments):
        r = run_broker_once(self.conf)
        err = r.stderr.decode()
        self.assertEqual(1, r.returncode, err)
        self.assertIn(self.db, err)
        for f in fragments:
            self.assertIn(f, err)
        return err

    def test_garbage_file(self):
        with open(self.db, "wb") as f:
            f.write(bytes(range(256)) * 40)
        self.refused("not an SQLite database", "Move it aside", "mv %s %s.bad" % (self.db, self.db))

    def test_truncated_file(self):
        self.make_valid_db()
        size = os.path.getsize(self.db)
        with open(self.db, "r+b") as f:
            f.truncate(size // 2)
        err = self.refused("Move it aside")
        self.assertTrue("corrupt" in err or "malformed" in err, err)

    def test_newer_schema(self):
        self.make_valid_db()
        with sqlite3.connect(self.db) as db:
            db.execute("PRAGMA user_version=99")
        self.refused("newer Mote", "schema version 99")

    def test_valid_database_still_starts(self):
        # The control: the same steps without damage restore the retained message.
        self.make_valid_db()
        b = Broker(["persistence true", "persistence_location %s" % self.dir]).start()
        try:
            c = raw.RawClient(b.port)
            c.connect_ok(4, client_id="s")
            c.send(raw.subscribe(4, 1, "r/#", 1))
            data, _closed = c.read_until_close(1.0)
            self.assertIn(b"y" * 1000, data)
            c.close()
        finally:
            self.assertIn(b.stop(), (0, -15))


class FullStore(unittest.TestCase):
    def setUp(self):
        if not is_mote():
            self.skipTest("Mote's persistence options")
        self.dir = tempfile.mkdtemp(prefix="mote-store-full-")
        self.broker = Broker(["persistence true", "persistence_location %s" % self.dir,
                              "persistence_max_bytes 131072", "log_type all"]).start()

    def tearDown(self):
        problem = self.broker.shutdown_problem()
        shutil.rmtree(self.dir, ignore_errors=True)
        self.assertIsNone(problem)

    def test_no_puback_for_what_was_not_stored(self):
        c5 = raw.RawClient(self.broker.port)
        c5.connect_ok(5, client_id="full5")
        big = b"z" * 20000
        reasons = []
        for pid in range(1, 30):
            c5.send(raw.publish(5, "big/%d" % pid, big, qos=1, pid=pid, retain=True))
            first, body = c5.recv_packet(3.0)
            self.assertEqual(raw.PUBACK, first >> 4)
            self.assertEqual(pid, int.from_bytes(body[:2], "big"))
            reason = body[2] if len(body) > 2 else 0
            reasons.append(reason)
            if reason >= 0x80:  # 0x10 No matching subscribers is a success
                break
        self.assertEqual(0x97, reasons[-1], reasons)  # Quota exceeded
        self.assertGreater(len(reasons), 1, "the first message should have fitted")
        # 3.1.1 cannot carry a reason code: closed without PUBACK.
        c4 = raw.RawClient(self.broker.port)
        c4.connect_ok(4, client_id="full4")
        c4.send(raw.publish(4, "big/311", big, qos=1, pid=7, retain=True))
        data, closed = c4.read_until_close(3.0)
        self.assertTrue(closed)
        self.assertNotIn(raw.h("40 02 00 07"), data)
        # The broker keeps serving.
        c = raw.RawClient(self.broker.port)
        c.connect_ok(4, client_id="other")
        c.send(raw.h("C0 00"))
        self.assertEqual((0xD0, b""), c.recv_packet())
        self.assertTrue(self.broker.alive())
        self.assertIn("persistence: commit to", self.broker.stderr_text())
        self.assertIn("database or disk is full", self.broker.stderr_text())
        # Space again (the retained messages cleared): acknowledged again.
        for pid in range(1, len(reasons) + 1):
            c5.send(raw.publish(5, "big/%d" % pid, b"", qos=0, retain=True))
        c5.send(raw.publish(5, "small", b"s", qos=1, pid=100))
        data, _closed = c5.read_until_close(1.0)
        # Accepted again: 0x10 No matching subscribers, as mosquitto answers (issue 9).
        self.assertIn(raw.h("40 03 00 64 10"), data)
        for client in (c5, c4, c):
            client.close()


if __name__ == "__main__":
    unittest.main()
