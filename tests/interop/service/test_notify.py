#!/usr/bin/env python3
"""systemd service notifications (Type=notify, sd_notify(3)) without systemd: the
test plays the service manager. It binds the datagram socket that NOTIFY_SOCKET
names, starts mote-broker with it, and checks READY=1 once the listener accepts,
WATCHDOG=1 pings when WATCHDOG_USEC is set, and STOPPING=1 on SIGTERM.

A broker built without libsystemd (MOTE_SYSTEMD=OFF, MOTE_STATIC=ON) must ignore
NOTIFY_SOCKET: it is checked to run and stop normally and to send nothing."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import harness  # noqa: E402


def built_with_systemd(binary):
    with open(binary, "rb") as f:
        return b"sd_notify" in f.read()


class Manager:
    """The service manager's end of NOTIFY_SOCKET."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mote-notify-")
        self.path = os.path.join(self.dir, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)

    def next(self, timeout):
        """The next notification as a dict (None after `timeout` seconds)."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return None
        fields = {}
        for line in data.decode().split("\n"):
            if "=" in line:
                k, v = line.split("=", 1)
                fields[k] = v
        return fields

    def wait_for(self, key, timeout=10.0):
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            msg = self.next(max(0.05, deadline - time.monotonic()))
            if msg is None:
                break
            seen.append(msg)
            if key in msg:
                return msg, seen
        return None, seen

    def close(self):
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@unittest.skipUnless(harness.is_mote(), "mote-broker's service notifications")
class Notify(unittest.TestCase):
    def start(self, **env):
        self.manager = Manager()
        self.addCleanup(self.manager.close)
        env = dict(env, NOTIFY_SOCKET=self.manager.path)
        b = harness.Broker(env=env)
        b.start()

        def check():
            problem = b.shutdown_problem()  # crash, bad exit status, sanitizer report
            if problem:
                raise AssertionError(problem)
        self.addCleanup(check)
        return b

    def test_ready_watchdog_stopping(self):
        b = self.start(WATCHDOG_USEC="200000")
        if not built_with_systemd(b.binary):
            msg = self.manager.next(1.0)
            self.assertIsNone(msg, "a broker without libsystemd sent %r" % msg)
            self.assertEqual(b.stop(), 0)
            return
        ready, seen = self.manager.wait_for("READY")
        self.assertIsNotNone(ready, "no READY=1 (got %r)\n%s" % (seen, b.stderr_text()))
        self.assertEqual(ready["READY"], "1")
        # READY comes after the listener is bound: the port accepts now.
        socket.create_connection((harness.HOST, b.port), timeout=2).close()
        self.assertIn(str(b.port), ready.get("STATUS", ""))
        pings = 0
        deadline = time.monotonic() + 10
        while pings < 3 and time.monotonic() < deadline:
            msg = self.manager.next(2.0)
            if msg and msg.get("WATCHDOG") == "1":
                pings += 1
        self.assertEqual(pings, 3, "WATCHDOG=1 pings with WATCHDOG_USEC=200000")
        os.kill(b.pid, signal.SIGTERM)
        stopping, seen = self.manager.wait_for("STOPPING")
        self.assertIsNotNone(stopping, "no STOPPING=1 on SIGTERM (got %r)" % seen)
        self.assertEqual(stopping["STOPPING"], "1")
        self.assertEqual(b.proc.wait(10), 0, b.stderr_text())

    def test_watchdog_for_another_pid_is_not_ours(self):
        # sd_watchdog_enabled(3): WATCHDOG_PID names the process that must ping.
        b = self.start(WATCHDOG_USEC="100000", WATCHDOG_PID="1")
        if not built_with_systemd(b.binary):
            self.assertEqual(b.stop(), 0)
            return
        ready, seen = self.manager.wait_for("READY")
        self.assertIsNotNone(ready, "no READY=1 (got %r)" % seen)
        # Ten watchdog periods without a ping (the broker stays alive meanwhile).
        msg = self.manager.next(1.0)
        self.assertIsNone(msg, "unexpected notification %r" % msg)
        self.assertTrue(b.alive())
        self.assertEqual(b.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
