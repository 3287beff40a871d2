#!/usr/bin/env python3
"""The live telemetry page in a real browser (issue 12): Debian's headless
chromium, driven by playwright-core from npm, opens mote-broker's dashboard
(`http_dashboard true`), whose MQTT.js client subscribes to sensors/# over
WebSockets; readings published by mosquitto_pub and by the firmware client's Linux
sensor example (firmware-client/examples/linux) must appear on the page within
5 s. A screenshot is saved under the build tree (dashboard.png).

The WebSocket side: the page connects to mote-broker's own websockets listener
(`listener N` + `protocol websockets`, found through /config.json), so the whole
path is Mote's. $MOTE_DASHBOARD_WS=mosquitto runs the same page against Debian
mosquitto's websockets listener instead (a cross-check of the page itself).

Environment (set by tests/interop/CMakeLists.txt): MOTE_BROKER, MOTE_SENSOR (the
host build of mote-sensor), MOTE_NPM_DIR (playwright-core is installed there with
`npm ci` from this folder's package-lock.json), MOTE_ARTIFACTS (screenshot folder).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import httpkit  # noqa: E402  (puts tests/interop on the path)
import harness  # noqa: E402
from httpkit import HOST  # noqa: E402

# "mosquitto": Debian mosquitto's websockets listener carries the telemetry.
# "mote": mote-broker's own `listener N` + `protocol websockets`.
WS_BROKER = os.environ.get("MOTE_DASHBOARD_WS", "mote")

HERE = os.path.dirname(os.path.abspath(__file__))


def npm_install(npm_dir):
    """playwright-core into npm_dir/browser, once per package-lock.json."""
    dest = os.path.join(npm_dir, "browser")
    os.makedirs(dest, exist_ok=True)
    lock = os.path.join(HERE, "package-lock.json")
    stamp = os.path.join(dest, "installed.lock")
    if os.path.exists(stamp) and open(stamp).read() == open(lock).read() and \
            os.path.isdir(os.path.join(dest, "node_modules", "playwright-core")):
        return dest
    for f in ("package.json", "package-lock.json"):
        shutil.copy(os.path.join(HERE, f), dest)
    r = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=dest,
                       capture_output=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError("npm ci playwright-core failed:\n%s" % r.stderr.decode()[-4000:])
    shutil.copy(lock, stamp)
    return dest


class Mosquitto:
    """Debian mosquitto with an MQTT and a websockets listener, both on 127.0.0.1
    (mosquitto 2.0.11 refuses to start with a websockets listener alone)."""

    def __init__(self):
        self.port = harness.free_port()
        self.ws_port = harness.free_port()
        self.dir = tempfile.mkdtemp(prefix="mote-ws-")
        conf = os.path.join(self.dir, "mosquitto.conf")
        with open(conf, "w") as f:
            # socket_domain ipv4: without it libwebsockets binds every interface
            # whatever the address says.
            f.write("listener %d %s\nlistener %d %s\nsocket_domain ipv4\nprotocol websockets\n"
                    "allow_anonymous true\n" % (self.port, HOST, self.ws_port, HOST))
        self.log = open(os.path.join(self.dir, "mosquitto.log"), "wb")
        self.proc = subprocess.Popen([harness.MOSQUITTO, "-c", conf], stdout=self.log, stderr=self.log)
        harness_wait(self.port)
        harness_wait(self.ws_port)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def harness_wait(port, timeout=10):
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on %d" % port)


@unittest.skipUnless(harness.is_mote(), "the dashboard is served by mote-broker")
class DashboardInBrowser(unittest.TestCase):
    def setUp(self):
        for var in ("MOTE_SENSOR", "MOTE_NPM_DIR"):
            self.assertTrue(os.environ.get(var), "%s is not set (tests/interop/CMakeLists.txt sets it)" % var)
        self.npm = npm_install(os.environ["MOTE_NPM_DIR"])
        if WS_BROKER == "mote":
            ws_port = harness.free_port()
            self.broker = httpkit.HttpBroker(
                ["listener %d %s" % (ws_port, HOST), "protocol websockets"],
                http_lines=["http_dashboard true"]).start()
            self.mqtt_port = self.broker.port
        else:
            self.mosq = Mosquitto()
            self.addCleanup(self.mosq.stop)
            self.broker = httpkit.HttpBroker(http_lines=[
                "http_dashboard true",
                "http_dashboard_websocket_url ws://%s:%d/mqtt" % (HOST, self.mosq.ws_port)]).start()
            self.mqtt_port = self.mosq.port

        def stop():
            problem = self.broker.shutdown_problem()
            if problem:
                raise AssertionError(problem)
        self.addCleanup(stop)

    def test_readings_appear_on_the_page(self):
        artifacts = os.environ.get("MOTE_ARTIFACTS") or tempfile.mkdtemp(prefix="mote-dash-")
        os.makedirs(artifacts, exist_ok=True)
        shot = os.path.join(artifacts, "dashboard.png")
        expect = [["sensors/pub/temperature", r"^2[0-9]\.[0-9]$"],
                  ["sensors/pub/humidity", r"^\{\"value\":4[0-9]\}$"],
                  ["sensors/dash1/temperature", r"^\{\"seq\":[0-9]+,\"t\":-?[0-9]+(\.[0-9]+)?\}$"]]
        env = dict(os.environ, NODE_PATH=os.path.join(self.npm, "node_modules"))
        node = subprocess.Popen(["node", os.path.join(HERE, "dashboard_browser.js"),
                                 "http://%s:%d/" % (HOST, self.broker.http_port), shot, json.dumps(expect)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, cwd=self.npm)
        self.addCleanup(lambda: node.poll() is None and node.kill())
        line = node.stdout.readline().decode().strip()
        if line != "READY":
            out, err = node.communicate(timeout=30)
            self.fail("the page did not connect: %s %s\n%s" % (line, out.decode(), err.decode()[-4000:]))
        sensor = subprocess.Popen([os.environ["MOTE_SENSOR"], HOST, str(self.mqtt_port), "dash1", "4", "200", "20"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: sensor.poll() is None and sensor.kill())
        node.stdin.write(b"GO\n")
        node.stdin.flush()
        for i, v in enumerate(("21.5", "22.0", "23.5", "22.5", "24.0")):
            subprocess.run(["mosquitto_pub", "-h", HOST, "-p", str(self.mqtt_port), "-t", "sensors/pub/temperature",
                            "-m", v], check=True, timeout=10)
            subprocess.run(["mosquitto_pub", "-h", HOST, "-p", str(self.mqtt_port), "-t", "sensors/pub/humidity",
                            "-m", '{"value":%d}' % (41 + i)], check=True, timeout=10)
            time.sleep(0.15)
        # Not under the filter: the page must not show it (dashboard_browser.js checks).
        subprocess.run(["mosquitto_pub", "-h", HOST, "-p", str(self.mqtt_port), "-t", "other/x", "-m", "1"],
                       check=True, timeout=10)
        out, err = node.communicate(timeout=60)
        result = out.decode().strip().splitlines()
        self.assertTrue(result and result[-1].startswith("OK"), "browser: %s\n%s" % (out.decode(), err.decode()[-4000:]))
        self.assertTrue(os.path.getsize(shot) > 10000, "screenshot missing or empty: %s" % shot)
        sys.stderr.write("\ndashboard screenshot: %s (%s)\n" % (shot, result[-1]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
