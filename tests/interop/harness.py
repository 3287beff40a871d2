#!/usr/bin/env python3
"""Interop test harness: start a broker on a free 127.0.0.1 port, wait until it
accepts, stop it by PID, and keep its stderr for failure output.

The broker binary comes from $MOTE_BROKER (CMake passes $<TARGET_FILE:mote-broker>).
Without it the harness falls back to Debian's mosquitto, which is only meant for
developing the tests; the assertions are written for Mote's documented behaviour.

Also a command line tool:
    harness.py run-with-broker [--conf LINE]... -- PROGRAM ARGS...
starts a broker, replaces "{port}" in the arguments with its port, runs PROGRAM,
stops the broker and exits with PROGRAM's status (printing the broker's stderr if
PROGRAM failed).
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HOST = "127.0.0.1"
MOSQUITTO = "/usr/sbin/mosquitto"
# Lines that ASan, LSan and UBSan print; any of them in the broker's stderr fails.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def broker_binary():
    return os.environ.get("MOTE_BROKER") or MOSQUITTO


def is_mote(binary=None):
    return os.path.basename(binary or broker_binary()) != "mosquitto"


def is_sanitizer_build(binary=None):
    """True if the broker binary carries the ASan runtime (clang links it in)."""
    try:
        with open(binary or broker_binary(), "rb") as f:
            return b"AddressSanitizer" in f.read()
    except OSError:
        return False


def free_port():
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def rss_kb(pid):
    """VmRSS of a process in kB (from /proc/PID/status)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


class Broker:
    """One broker process with a generated configuration file."""

    def __init__(self, conf_lines=(), binary=None, mote_conf=(), env=None, port=None):
        self.binary = binary or broker_binary()
        # A fixed port (a broker that is stopped and started again at the same
        # address, e.g. a bridge's upstream); None: a free one at each start.
        self.fixed_port = port
        self.env = dict(os.environ)
        for key, value in (env or {}).items():
            # Sanitizer options are appended to what the caller already set.
            if key.endswith("SAN_OPTIONS") and self.env.get(key):
                value = self.env[key] + ":" + value
            self.env[key] = value
        self.conf_lines = list(conf_lines)
        # Mote-only options (e.g. connect_timeout) are left out for mosquitto.
        if is_mote(self.binary):
            self.conf_lines += list(mote_conf)
        self.port = None
        self.proc = None
        self.dir = tempfile.mkdtemp(prefix="mote-interop-")
        self.stderr_path = os.path.join(self.dir, "broker.stderr")
        self.conf_path = os.path.join(self.dir, "broker.conf")
        self._stderr = None

    def start(self, timeout=10.0):
        last_error = None
        for _attempt in range(3):  # the free port may be taken in between: retry
            self.port = self.fixed_port or free_port()
            lines = ["listener %d %s" % (self.port, HOST)]
            # mosquitto 2.x refuses anonymous clients by default; Mote rejects a
            # repeated option, so only add it when the test did not set it.
            if not any(l.split()[:1] == ["allow_anonymous"] for l in self.conf_lines):
                lines.append("allow_anonymous true")
            lines += self.conf_lines
            with open(self.conf_path, "w") as f:
                f.write("\n".join(lines) + "\n")
            self._stderr = open(self.stderr_path, "ab")
            self.proc = subprocess.Popen([self.binary, "-c", self.conf_path],
                                         stdin=subprocess.DEVNULL, env=self.env,
                                         stdout=self._stderr, stderr=self._stderr)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    last_error = "broker exited with status %s" % self.proc.returncode
                    break
                try:
                    with socket.create_connection((HOST, self.port), timeout=0.5):
                        return self
                except OSError as e:
                    last_error = str(e)
                    time.sleep(0.05)
            self.stop()
        raise RuntimeError("broker %s did not start: %s\n--- broker stderr ---\n%s"
                           % (self.binary, last_error, self.stderr_text()))

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM by PID, then SIGKILL after 5 s; returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self._stderr:
            self._stderr.close()
            self._stderr = None
        return self.proc.returncode

    def shutdown_problem(self):
        """Stops the broker; a description of what went wrong (a crash, a non-zero
        exit on SIGTERM, a sanitizer report in its stderr), or None."""
        status = self.stop()
        text = self.stderr_text(tail=10 ** 9)
        for marker in SANITIZER_MARKERS:
            if marker in text:
                return "sanitizer report in broker stderr:\n" + text[text.index(marker):][:8000]
        if status not in (0, -signal.SIGTERM):
            return "broker exited with status %s on SIGTERM\n--- stderr ---\n%s" % (
                status, text[-8000:])
        return None

    def stderr_text(self, tail=20000):
        try:
            with open(self.stderr_path, "rb") as f:
                data = f.read()
        except OSError:
            return ""
        return data[-tail:].decode("utf-8", "replace")


class BrokerTestCase(unittest.TestCase):
    """One broker per test class; restarted if a test killed it. On failure the
    broker's stderr is printed."""

    CONF = ()
    MOTE_CONF = ()
    BROKER_ENV = None
    broker = None

    @classmethod
    def make_broker(cls):
        return Broker(cls.CONF, mote_conf=cls.MOTE_CONF, env=cls.BROKER_ENV).start()

    @classmethod
    def setUpClass(cls):
        cls.broker = cls.make_broker()

    @classmethod
    def tearDownClass(cls):
        if cls.broker is not None:
            problem = cls.broker.shutdown_problem()
            if problem:
                raise AssertionError(problem)

    def setUp(self):
        if not self.broker.alive():
            # A previous test killed the broker; that test has failed already.
            sys.stderr.write("\n--- broker died; stderr ---\n%s\n" % self.broker.stderr_text())
            type(self).broker = self.make_broker()
        self._stderr_mark = len(self.broker.stderr_text(tail=10 ** 9))

    @property
    def port(self):
        return self.broker.port

    def log_has(self, text, timeout=3.0):
        """True once `text` appears in what the broker logged since this test began."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.broker.stderr_text(tail=10 ** 9)[self._stderr_mark:]:
                return True
            time.sleep(0.05)
        return False

    def tearDown(self):
        outcome = getattr(self, "_outcome", None)
        failed = False
        if outcome is not None:
            result = getattr(outcome, "result", None)
            errors = getattr(outcome, "errors", None)
            if errors:  # Python <= 3.10
                failed = any(exc is not None for _t, exc in errors)
            elif result is not None:
                failed = any(t is self for t, _ in result.failures + result.errors)
        if failed:
            text = self.broker.stderr_text(tail=10 ** 9)[self._stderr_mark:]
            sys.stderr.write("\n--- broker stderr during %s ---\n%s\n" % (self.id(), text[-8000:]))


def _run_with_broker(argv):
    conf = []
    while argv and argv[0] == "--conf":
        conf.append(argv[1])
        argv = argv[2:]
    if not argv or argv[0] != "--":
        sys.stderr.write(__doc__)
        return 2
    argv = argv[1:]
    broker = Broker(conf).start()
    try:
        cmd = [a.replace("{port}", str(broker.port)) for a in argv]
        status = subprocess.call(cmd)
    finally:
        problem = broker.shutdown_problem()
    if status != 0:
        sys.stderr.write("--- broker stderr ---\n%s\n" % broker.stderr_text())
    if problem:
        sys.stderr.write(problem + "\n")
        return status or 1
    return status


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "run-with-broker":
        sys.exit(_run_with_broker(sys.argv[2:]))
    sys.stderr.write(__doc__)
    sys.exit(2)
