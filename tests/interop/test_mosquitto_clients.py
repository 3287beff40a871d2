#!/usr/bin/env python3
"""Interop with Debian's mosquitto_pub / mosquitto_sub (mosquitto-clients), driven
as subprocesses: MQTT 3.1.1 and 5.0, QoS 0/1/2, retained messages, -C count."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402

VERSIONS = ("mqttv311", "mqttv5")


class MosquittoClients(harness.BrokerTestCase):
    def pub(self, version, topic, *args, message="x", qos=0):
        cmd = ["mosquitto_pub", "-h", harness.HOST, "-p", str(self.port), "-V", version,
               "-q", str(qos), "-t", topic]
        cmd += list(args) if args else ["-m", message]
        r = subprocess.run(cmd, capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 0, "mosquitto_pub failed: %s" % r.stderr.decode())

    def start_sub(self, version, topic, count, qos=0, extra=()):
        """mosquitto_sub -C count on `topic`, returned once its subscription is live.

        mosquitto_sub has no "subscribed" signal, so it also subscribes to a ready
        topic holding a retained marker: the marker's arrival proves the SUBSCRIBE was
        processed. The marker line is removed from the output by finish()."""
        ready = "ready/" + topic
        self.pub("mqttv311", ready, "-r", "-m", "ready", qos=1)
        self.addCleanup(lambda: self.pub("mqttv311", ready, "-r", "-n", qos=1))
        cmd = ["mosquitto_sub", "-h", harness.HOST, "-p", str(self.port), "-V", version,
               "-q", str(qos), "-t", topic, "-t", ready, "-C", str(count + 1), "-W", "10",
               "-v"] + list(extra)
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        proc.early = []
        while True:
            line = proc.stdout.readline().decode()
            if not line:
                self.fail("mosquitto_sub ended before its subscription was live: %s"
                          % proc.stderr.read().decode())
            if line.rstrip("\n") == ready + " ready":
                break
            proc.early.append(line.rstrip("\n"))
        return proc

    def finish(self, proc):
        out, err = proc.communicate(timeout=15)
        self.assertEqual(proc.returncode, 0, "mosquitto_sub failed (%s): %s"
                         % (proc.returncode, err.decode()))
        return proc.early + out.decode().splitlines()

    def test_qos_levels_both_versions(self):
        """QoS 0, 1 and 2 from mosquitto_pub to mosquitto_sub, 3.1.1 and 5.0 (each
        pairing), messages in order, -C stops after exactly N."""
        for sv in VERSIONS:
            for pv in VERSIONS:
                for qos in (0, 1, 2):
                    with self.subTest(sub=sv, pub=pv, qos=qos):
                        topic = "mc/%s/%s/%d" % (sv, pv, qos)
                        proc = self.start_sub(sv, topic, 3, qos)
                        for i in range(3):
                            self.pub(pv, topic, message="m%d" % i, qos=qos)
                        lines = self.finish(proc)
                        self.assertEqual(lines, ["%s m%d" % (topic, i) for i in range(3)])

    def test_retained_set_replace_clear(self):
        """Retained message seen by later subscribers; replaced; cleared with -n -r."""
        for v in VERSIONS:
            with self.subTest(version=v):
                topic = "mc/ret/" + v
                self.pub(v, topic, "-r", "-m", "one", qos=1)
                self.assertEqual(self.finish(self.start_sub(v, topic, 1)), [topic + " one"])
                self.pub(v, topic, "-r", "-m", "two", qos=1)
                self.assertEqual(self.finish(self.start_sub(v, topic, 1)), [topic + " two"])
                self.pub(v, topic, "-r", "-n", qos=1)
                # Cleared: a new subscriber gets nothing retained; it times out (-W 2)
                # unless a live message arrives, which is then the only line.
                cmd = ["mosquitto_sub", "-h", harness.HOST, "-p", str(self.port), "-V", v,
                       "-t", topic, "-C", "1", "-W", "2", "-v", "--retained-only"]
                r = subprocess.run(cmd, capture_output=True, timeout=10)
                self.assertEqual(r.stdout.decode(), "", "retained message not cleared")
                self.assertNotEqual(r.returncode, 0, "expected a -W timeout")

    def test_retained_flag_and_count(self):
        """-C counts retained plus live messages: 1 retained then 2 live."""
        topic = "mc/count"
        self.pub("mqttv5", topic, "-r", "-m", "r", qos=1)
        proc = self.start_sub("mqttv311", topic, 3, 1)
        self.pub("mqttv311", topic, message="a", qos=1)
        self.pub("mqttv5", topic, message="b", qos=2)
        self.assertEqual(self.finish(proc), [topic + " r", topic + " a", topic + " b"])
        self.pub("mqttv5", topic, "-r", "-n", qos=1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
