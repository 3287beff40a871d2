#!/usr/bin/env python3
"""Authentication and ACL against mote-broker (docs/security.md): password files
written by Debian's mosquitto_passwd and by mote-passwd (the latter also read by
Debian's mosquitto), CONNACK codes for wrong credentials and refused anonymous
clients, the ACL on SUBSCRIBE / PUBLISH / delivery / retained messages / Wills /
$SYS, SIGHUP reload of both files (a bad file keeps the old one), and hostile
input (overlong credentials, malformed file lines)."""

import base64
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import paho.mqtt.client as mqtt

import harness
from mqttraw import (RawClient, connect, publish, subscribe, split_packets, publish_fields, Closed)

MOSQUITTO_PASSWD = "/usr/bin/mosquitto_passwd"


def mote_passwd():
    path = os.path.join(os.path.dirname(harness.broker_binary()), "mote-passwd")
    if not os.path.exists(path):
        raise AssertionError("mote-passwd not built next to %s" % harness.broker_binary())
    return path


def run(argv, stdin=None):
    p = subprocess.run(argv, input=stdin, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def connack(port, version, **kw):
    """(return/reason code) of the CONNACK for a CONNECT with **kw."""
    with RawClient(port, timeout=5) as c:
        first, body = c.handshake(connect(version, **kw), timeout=5)
        assert first == 0x20, hex(first)
        return body[1]


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


class TempDir:
    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="mote-auth-")

    def file(self, name, text=None):
        p = os.path.join(self.path, name)
        if text is not None:
            with open(p, "w") as f:
                f.write(text)
        return p


class MosquittoPasswdFile(unittest.TestCase):
    """A file written by Debian's mosquitto_passwd: $7$ (its default) and $6$ (-H sha512)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.pw = cls.tmp.file("pw")
        for argv in ([MOSQUITTO_PASSWD, "-c", "-b", cls.pw, "alice", "al1ce"],
                     [MOSQUITTO_PASSWD, "-H", "sha512", "-b", cls.pw, "bob", "b0b"]):
            rc, out, err = run(argv)
            assert rc == 0, err
        with open(cls.pw) as f:
            text = f.read()
        assert "alice:$7$101$" in text and "bob:$6$" in text, text
        cls.broker = harness.Broker(["allow_anonymous false", "password_file " + cls.pw]).start()

    @classmethod
    def tearDownClass(cls):
        problem = cls.broker.shutdown_problem()
        if problem:
            raise AssertionError(problem)

    def test_right_passwords_accepted_both_versions(self):
        for v in (4, 5):
            self.assertEqual(connack(self.broker.port, v, username="alice", password="al1ce"), 0)
            self.assertEqual(connack(self.broker.port, v, username="bob", password="b0b"), 0)

    def test_wrong_password_is_05_and_86(self):
        # 3.1.1 §3.2.2.3 return code 5 (what mosquitto sends); 5.0 0x86 Bad User Name or Password.
        for user, pw in (("alice", "wrong"), ("bob", "al1ce"), ("nobody", "x"), ("alice", None)):
            self.assertEqual(connack(self.broker.port, 4, username=user, password=pw), 0x05)
            self.assertEqual(connack(self.broker.port, 5, username=user, password=pw), 0x86)

    def test_wrong_password_log_line_names_no_account_detail(self):
        connack(self.broker.port, 4, client_id="who", username="alice", password="nope")
        self.assertTrue(wait_for(lambda: "bad user name or password, client=who" in self.broker.stderr_text()))
        self.assertNotIn("nope", self.broker.stderr_text())

    def test_anonymous_refused_05_and_87(self):
        # allow_anonymous false: mosquitto 2.0.11 answers 0x05 / 0x87 (checked by hand).
        self.assertEqual(connack(self.broker.port, 4), 0x05)
        self.assertEqual(connack(self.broker.port, 5), 0x87)

    def test_mosquitto_pub_with_credentials(self):
        base = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.broker.port), "-t", "a", "-m", "x"]
        self.assertEqual(run(base + ["-u", "alice", "-P", "al1ce"])[0], 0)
        rc, _out, err = run(base + ["-u", "alice", "-P", "bad"])
        self.assertNotEqual(rc, 0)
        self.assertIn("not authorised", err.lower().replace("authorized", "authorised"))

    def test_overlong_credentials_are_refused_and_broker_lives(self):
        long = "u" * 65535
        self.assertEqual(connack(self.broker.port, 5, username=long, password="p" * 65535), 0x86)
        self.assertEqual(connack(self.broker.port, 4, username="alice", password="p" * 65535), 0x05)
        self.assertEqual(connack(self.broker.port, 4, username="alice", password="al1ce"), 0)

    def test_close_while_checking_is_harmless(self):
        for _ in range(50):
            c = RawClient(self.broker.port)
            c.send(connect(5, username="alice", password="al1ce"))
            c.close()
        self.assertEqual(connack(self.broker.port, 5, username="alice", password="al1ce"), 0)
        self.assertTrue(self.broker.alive())

    def test_packets_sent_before_connack_are_processed_after_it(self):
        with RawClient(self.broker.port) as c:
            c.send(connect(4, client_id="early", username="alice", password="al1ce") +
                   subscribe(4, 3, "early/t") + publish(4, "early/t", b"hi", qos=1, pid=4))
            got = [c.recv_packet(timeout=5) for _ in range(4)]
            self.assertEqual([g[0] >> 4 for g in got[:2]], [2, 9])  # CONNACK, then SUBACK
            self.assertEqual(sorted(g[0] >> 4 for g in got[2:]), [3, 4])  # the PUBLISH and its PUBACK


class MotePasswdFile(unittest.TestCase):
    """mote-passwd writes a $7$ file that mote-broker and Debian's mosquitto both accept."""

    def setUp(self):
        self.tmp = TempDir()

    def test_batch_file_accepted_by_mote_and_mosquitto(self):
        pw = self.tmp.file("pw")
        self.assertEqual(run([mote_passwd(), "-c", "-b", pw, "carol", "c4rol"])[0], 0)
        with open(pw) as f:
            line = f.read()
        self.assertRegex(line, r"^carol:\$7\$20000\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+\n$")
        self.assertEqual(os.stat(pw).st_mode & 0o777, 0o600)
        # Debian's mosquitto drops root and reads the file as user mosquitto.
        os.chmod(pw, 0o644)
        os.chmod(self.tmp.path, 0o755)
        for binary in (harness.broker_binary(), harness.MOSQUITTO):
            b = harness.Broker(["allow_anonymous false", "password_file " + pw], binary=binary).start()
            try:
                self.assertEqual(connack(b.port, 4, username="carol", password="c4rol"), 0, binary)
                self.assertEqual(connack(b.port, 4, username="carol", password="x"), 0x05, binary)
            finally:
                b.stop()

    def test_interactive_update_delete_and_upgrade(self):
        pw = self.tmp.file("pw")
        # Interactive: the password twice on stdin (no echo on a terminal).
        rc, out, err = run([mote_passwd(), "-c", pw, "dave"], stdin=b"d4ve\nd4ve\n")
        self.assertEqual(rc, 0, err)
        self.assertIn("Password:", out)
        rc, _o, err = run([mote_passwd(), pw, "dave"], stdin=b"one\ntwo\n")
        self.assertEqual(rc, 1)
        self.assertIn("do not match", err)
        self.assertEqual(run([mote_passwd(), "-H", "sha512", "-b", pw, "erin", "3rin"])[0], 0)
        self.assertEqual(run([mote_passwd(), "-D", pw, "dave"])[0], 0)
        rc, _o, err = run([mote_passwd(), "-D", pw, "dave"])
        self.assertEqual(rc, 1)
        self.assertIn("not in", err)
        plain = self.tmp.file("plain", "frank:fr4nk\n# comment\n")
        self.assertEqual(run([mote_passwd(), "-U", plain])[0], 0)
        with open(plain) as f:
            self.assertIn("frank:$7$", f.read())
        combined = self.tmp.file("all")
        with open(combined, "w") as f:
            f.write(open(pw).read() + open(plain).read())
        b = harness.Broker(["password_file " + combined]).start()
        try:
            self.assertEqual(connack(b.port, 5, username="erin", password="3rin"), 0)
            self.assertEqual(connack(b.port, 5, username="frank", password="fr4nk"), 0)
            self.assertEqual(connack(b.port, 5, username="dave", password="d4ve"), 0x86)
        finally:
            self.assertIsNone(b.shutdown_problem())

    def test_usage_errors_exit_2(self):
        for argv in ([], ["-c", "-D", "f", "u"], ["-b", "f", "u"], ["-H", "md5", "-b", "f", "u", "p"], ["-Z"]):
            rc, _o, err = run([mote_passwd()] + argv)
            self.assertEqual(rc, 2, argv)
            self.assertIn("Usage", err)


ACL = """# anonymous clients
topic read public/#
topic readwrite test/#
topic deny test/nosubscribe

user alice
topic readwrite test/#
topic deny test/nosubscribe
topic readwrite secret/#
topic read $SYS/#
topic write will/alice
pattern readwrite clients/%c/#
"""


class Acl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.pw = cls.tmp.file("pw")
        assert run([mote_passwd(), "-c", "-I", "1000", "-b", cls.pw, "alice", "al1ce"])[0] == 0
        cls.acl = cls.tmp.file("acl", ACL)
        cls.broker = harness.Broker(["allow_anonymous true", "password_file " + cls.pw, "acl_file " + cls.acl,
                                     "sys_interval 1"]).start()

    @classmethod
    def tearDownClass(cls):
        problem = cls.broker.shutdown_problem()
        if problem:
            raise AssertionError(problem)

    def paho_suback(self, protocol, filters):
        got = threading.Event()
        codes = []
        c = mqtt.Client(client_id="paho-%d" % protocol, protocol=protocol)

        def on_subscribe(_c, _u, _mid, granted, *_rest):
            codes.extend(int(getattr(g, "value", g)) for g in granted)
            got.set()
        c.on_subscribe = on_subscribe
        c.connect(harness.HOST, self.broker.port)
        c.loop_start()
        try:
            c.subscribe([(f, 0) for f in filters])
            self.assertTrue(got.wait(5), "no SUBACK")
        finally:
            c.disconnect()
            c.loop_stop()
        return codes

    def test_nosubscribe_gets_0x80_for_paho_311_and_5(self):
        # 0x80 in both versions: see docs/security.md (5.0 libraries reject 0x87 in SUBACK).
        self.assertEqual(self.paho_suback(mqtt.MQTTv311, ["test/nosubscribe", "test/ok"]), [0x80, 0])
        self.assertEqual(self.paho_suback(mqtt.MQTTv5, ["test/nosubscribe", "test/ok"]), [0x80, 0])

    def raw(self, version, **kw):
        c = RawClient(self.broker.port, timeout=5)
        first, body = c.handshake(connect(version, **kw))
        self.assertEqual(body[1], 0)
        return c

    def next_non_sys(self, c, timeout=2.0):
        while True:
            first, body = c.recv_packet(timeout)
            if first >> 4 == 3 and body[2:6] == b"$SYS":
                continue
            return first, body

    def test_publish_denied_v5_codes(self):
        with self.raw(5, client_id="p5") as c:
            c.send(publish(5, "public/x", b"m", qos=1, pid=3))
            self.assertEqual(self.next_non_sys(c), (0x40, bytes.fromhex("00 03 87")))
            c.send(publish(5, "public/x", b"m", qos=2, pid=4))
            self.assertEqual(self.next_non_sys(c), (0x50, bytes.fromhex("00 04 87")))

    def test_publish_denied_v311_acked_and_dropped(self):
        with self.raw(4, client_id="reader") as r, self.raw(4, client_id="p4") as p:
            r.send(subscribe(4, 1, "public/#"))
            self.assertEqual(r.recv_packet()[0], 0x90)
            p.send(publish(4, "public/x", b"m", qos=1, pid=3))
            self.assertEqual(p.recv_packet(), (0x40, bytes.fromhex("00 03")))
            self.assertTrue(r.expect_silence(0.5))

    def test_delivery_and_retained_need_read_access(self):
        with self.raw(4, client_id="a1", username="alice", password="al1ce") as a:
            a.send(publish(4, "secret/r", b"hidden", qos=1, pid=1, retain=True))
            self.assertEqual(self.next_non_sys(a)[0], 0x40)
            a.send(publish(4, "test/r", b"shown", qos=1, pid=2, retain=True))
            self.assertEqual(self.next_non_sys(a)[0], 0x40)
        with self.raw(4, client_id="anon1") as c:
            c.send(subscribe(4, 1, "test/#") + subscribe(4, 2, "secret/#"))
            packets = [c.recv_packet() for _ in range(3)]
            subacks = [b for f, b in packets if f == 0x90]
            self.assertEqual(subacks, [bytes.fromhex("00 01 00"), bytes.fromhex("00 02 80")])
            pubs = [publish_fields(4, f, b)[0] for f, b in packets if f >> 4 == 3]
            self.assertEqual(pubs, ["test/r"])
            self.assertTrue(c.expect_silence(0.5))

    def test_will_needs_write_access(self):
        with self.raw(4, client_id="ww", username="alice", password="al1ce") as w:
            w.send(subscribe(4, 1, "will/#") + subscribe(4, 2, "test/w/#"))
            self.next_non_sys(w), self.next_non_sys(w)
            d1 = self.raw(4, client_id="d1", will=("will/anon", b"x", 0, False))
            d2 = self.raw(4, client_id="d2", will=("test/w/gone", b"y", 0, False))
            d1.close()
            d2.close()
            first, body = self.next_non_sys(w, 3)
            self.assertEqual(publish_fields(4, first, body)[0], "test/w/gone")
            # will/anon: anonymous clients have no write access there; nothing else comes.
            data, _closed = w.read_until_close(0.7)
            topics = [publish_fields(4, f, b)[0] for f, b in split_packets(data) if f >> 4 == 3]
            self.assertNotIn("will/anon", topics)

    def test_sys_denied_to_anonymous_allowed_by_rule(self):
        with self.raw(5, client_id="anon-sys") as c:
            c.send(subscribe(5, 1, "$SYS/#"))
            self.assertEqual(c.recv_packet(), (0x90, bytes.fromhex("00 01 00 80")))
        with self.raw(5, client_id="alice-sys", username="alice", password="al1ce") as c:
            c.send(subscribe(5, 1, "$SYS/#"))
            self.assertEqual(c.recv_packet(), (0x90, bytes.fromhex("00 01 00 00")))
            first, body = c.recv_packet(3)
            self.assertEqual(first >> 4, 3)
            self.assertTrue(publish_fields(5, first, body)[0].startswith("$SYS/"))

    def test_pattern_with_client_id(self):
        with self.raw(5, client_id="dev7") as c:
            c.send(subscribe(5, 1, "clients/dev7/#") + subscribe(5, 2, "clients/dev8/#"))
            self.assertEqual(c.recv_packet(), (0x90, bytes.fromhex("00 01 00 00")))
            self.assertEqual(c.recv_packet(), (0x90, bytes.fromhex("00 02 00 80")))


class Reload(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        self.pw = self.tmp.file("pw")
        assert run([mote_passwd(), "-c", "-I", "1000", "-b", self.pw, "old", "0ld"])[0] == 0
        self.acl = self.tmp.file("acl", "topic readwrite a/#\n")
        self.broker = harness.Broker(["allow_anonymous true", "password_file " + self.pw,
                                      "acl_file " + self.acl]).start()

    def tearDown(self):
        problem = self.broker.shutdown_problem()
        if problem:
            raise AssertionError(problem)

    def hup_and_wait(self, text):
        mark = len(self.broker.stderr_text(tail=10 ** 9))
        os.kill(self.broker.pid, signal.SIGHUP)
        ok = wait_for(lambda: text in self.broker.stderr_text(tail=10 ** 9)[mark:])
        self.assertTrue(ok, "no '%s' after SIGHUP:\n%s" % (text, self.broker.stderr_text()))
        return self.broker.stderr_text(tail=10 ** 9)[mark:]

    def test_new_files_apply_existing_subscriptions_included(self):
        port = self.broker.port
        with RawClient(port) as sub, RawClient(port) as pub:
            sub.connect_ok(4, client_id="sub")
            pub.connect_ok(4, client_id="pub")
            sub.send(subscribe(4, 1, "a/#"))
            self.assertEqual(sub.recv_packet(), (0x90, bytes.fromhex("00 01 00")))
            pub.send(publish(4, "a/1", b"before"))
            self.assertEqual(sub.recv_packet()[0] >> 4, 3)
            assert run([mote_passwd(), "-I", "1000", "-b", self.pw, "new", "n3w"])[0] == 0
            assert run([mote_passwd(), "-D", self.pw, "old"])[0] == 0
            with open(self.acl, "w") as f:
                f.write("topic write a/#\n")
            self.hup_and_wait("reloaded security")
            pub.send(publish(4, "a/1", b"after"))
            self.assertTrue(sub.expect_silence(0.5), "delivered although read access was removed")
        self.assertEqual(connack(port, 5, username="new", password="n3w"), 0)
        self.assertEqual(connack(port, 5, username="old", password="0ld"), 0x86)

    def test_bad_files_keep_the_old_ones(self):
        port = self.broker.port
        with open(self.pw, "a") as f:
            f.write("broken line without colon\n")
        text = self.hup_and_wait("keeping the running ones")
        self.assertIn(self.pw + ":2: password_file:", text)
        self.assertEqual(connack(port, 4, username="old", password="0ld"), 0)
        with open(self.pw, "w") as f:
            f.write("")
        with open(self.acl, "w") as f:
            f.write("topic readwrite a/#\ntopic bogus b\n")
        text = self.hup_and_wait("keeping the running ones")
        self.assertIn(self.acl + ":2: acl_file:", text)
        # The old password file (with "old") is still in force.
        self.assertEqual(connack(port, 4, username="old", password="0ld"), 0)


class PerListenerSettings(unittest.TestCase):
    """per_listener_settings true: each listener section has its own password file,
    ACL and allow_anonymous (as in mosquitto)."""

    def test_two_listeners_two_policies(self):
        tmp = TempDir()
        pw = tmp.file("pw")
        assert run([mote_passwd(), "-c", "-I", "1000", "-b", pw, "alice", "al1ce"])[0] == 0
        acl = tmp.file("acl", "user alice\ntopic read only/#\n")
        open_port, locked_port = harness.free_port(), harness.free_port()
        conf = tmp.file("mote.conf", "per_listener_settings true\n"
                        "listener %d 127.0.0.1\nallow_anonymous true\n"
                        "listener %d 127.0.0.1\nallow_anonymous false\npassword_file %s\nacl_file %s\n"
                        % (open_port, locked_port, pw, acl))
        log = open(tmp.file("stderr"), "wb")
        proc = subprocess.Popen([harness.broker_binary(), "-c", conf], stdout=log, stderr=log)
        try:
            self.assertTrue(wait_for(lambda: self._accepts(locked_port)), "broker did not start")
            self.assertEqual(connack(open_port, 5), 0)
            self.assertEqual(connack(locked_port, 5), 0x87)
            self.assertEqual(connack(locked_port, 5, username="alice", password="bad"), 0x86)
            with RawClient(locked_port) as c:
                c.connect_ok(5, username="alice", password="al1ce")
                c.send(subscribe(5, 1, "only/x") + subscribe(5, 2, "other"))
                self.assertEqual(c.recv_packet(), (0x90, bytes.fromhex("00 01 00 00")))
                self.assertEqual(c.recv_packet(), (0x90, bytes.fromhex("00 02 00 80")))
            with RawClient(open_port) as c:  # no ACL on this listener
                c.connect_ok(5)
                c.send(subscribe(5, 1, "other"))
                self.assertEqual(c.recv_packet(), (0x90, bytes.fromhex("00 01 00 00")))
        finally:
            proc.terminate()
            self.assertEqual(proc.wait(10), 0)
            log.close()

    @staticmethod
    def _accepts(port):
        try:
            with socket.create_connection((harness.HOST, port), timeout=0.5):
                return True
        except OSError:
            return False


class CheckQueue(unittest.TestCase):
    """At most 256 password checks wait or run; beyond that CONNACK 0x03 (3.1.1) /
    0x88 (5.0). Queued checks of clients that went away are dropped unhashed, and a
    SIGTERM does not wait for the queue."""

    def test_overflow_refused_abandoned_checks_skipped_prompt_shutdown(self):
        tmp = TempDir()
        salt = base64.b64encode(b"0123456789ab").decode()
        digest = base64.b64encode(bytes(64)).decode()
        # About a second of PBKDF2 per check: the queue cannot drain during the test.
        pw = tmp.file("pw", "slow:$7$400000$%s$%s\n" % (salt, digest))
        assert run([mote_passwd(), "-I", "1000", "-b", pw, "fast", "f4st"])[0] == 0
        b = harness.Broker(["allow_anonymous true", "password_file " + pw]).start()
        clients = []
        try:
            for i in range(300):
                c = RawClient(b.port, timeout=5)
                version = 5 if i >= 290 else 4
                c.send(connect(version, client_id="q%d" % i, username="slow", password="x"))
                clients.append((version, c))
            refused = {4: 0, 5: 0}
            for version, c in clients[256:]:
                try:
                    first, body = c.recv_packet(timeout=3)
                except Closed:
                    continue
                if (first, body[:2]) == (0x20, bytes([0, 0x03 if version == 4 else 0x88])):
                    refused[version] += 1
            self.assertGreaterEqual(refused[4], 25, refused)  # 34 expected; a check may finish meanwhile
            self.assertGreaterEqual(refused[5], 9, refused)
            self.assertIn("password checks:", b.stderr_text())
            for _v, c in clients:
                c.close()
            # The ~255 abandoned checks are dropped, so a new client is answered at
            # once instead of after minutes of hashing.
            t0 = time.monotonic()
            self.assertEqual(connack(b.port, 4, username="fast", password="f4st"), 0)
            self.assertLess(time.monotonic() - t0, 4.0)
            for i in range(50):
                c = RawClient(b.port, timeout=5)
                c.send(connect(4, client_id="z%d" % i, username="slow", password="x"))
                clients.append((4, c))
            t0 = time.monotonic()
        finally:
            problem = b.shutdown_problem()
            for _v, c in clients:
                c.close()
        # At most the checks already hashing finish before the exit.
        self.assertLess(time.monotonic() - t0, 4.0)
        self.assertIsNone(problem)


class StartupErrors(unittest.TestCase):
    def start_fails(self, conf_line, expect):
        b = harness.Broker([conf_line])
        with open(b.conf_path, "w") as f:
            f.write("listener %d 127.0.0.1\n%s\n" % (harness.free_port(), conf_line))
        p = subprocess.run([b.binary, "-c", b.conf_path], capture_output=True, timeout=20)
        self.assertEqual(p.returncode, 1)
        self.assertIn(expect, p.stderr.decode())

    def test_malformed_password_line(self):
        tmp = TempDir()
        pw = tmp.file("pw", "# ok\nalice:$7$101$bm9w$bm9w\n")
        self.start_fails("password_file " + pw, pw + ":2: password_file: user 'alice': hash is not 64 bytes")

    def test_malformed_acl_line(self):
        tmp = TempDir()
        acl = tmp.file("acl", "user x\ntopic readwrite a/#/b\n")
        self.start_fails("acl_file " + acl, acl + ":2: acl_file: topic: '#' must be the last topic level")

    def test_missing_file(self):
        self.start_fails("password_file /nonexistent/pw", "/nonexistent/pw: password_file: cannot read file")
        self.start_fails("password_file /nonexistent/pw", ".conf:2)")  # where the option is


if __name__ == "__main__":
    if not harness.is_mote():
        sys.exit("test_auth.py checks mote-broker; set MOTE_BROKER")
    unittest.main(verbosity=2)
