#!/usr/bin/env python3
"""End-to-end tests of Mote's firmware client against a real broker.

  e2e.py host mote|mosquitto VERSION QOS   host client round trip (mote-e2e-client)
  e2e.py host-tls mote|mosquitto VERSION QOS    the same over TLS (mbedTLS port)
  e2e.py mps2|mps2-v311                    mps2-an385 firmware in qemu-system-arm (5.0 / 3.1.1-only build)
  e2e.py arm|aarch64                       ARM Linux sensor under qemu-arm / qemu-aarch64

Brokers run on 127.0.0.1 on a free port, started and stopped (by PID) here.
mps2/arm use mote-broker and fall back to mosquitto only when mote-broker is not
built, saying so. The telemetry is checked by independent subscribers (Eclipse
Paho C++ for the sensors, mosquitto_sub for the host client); commands go in with
mosquitto_pub.
"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

ENV = os.environ
# Stack budget of the sensor firmware (client + application), bytes.
STACK_BUDGET = 2048


def log(*a):
    print("e2e:", *a, flush=True)


def fail(msg):
    log("FAIL:", msg)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listening(port, proc, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            fail("broker exited with %s before listening" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    fail("broker not listening on %d" % port)


def make_certs(d):
    """A throw-away CA and a server certificate for "localhost" (P-256)."""
    def ossl(*args):
        subprocess.run(["openssl"] + list(args), check=True, cwd=d, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ossl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=Mote e2e CA")
    ossl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    ossl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "server.crt", "-days", "2", "-extfile", "san.ext")
    # mosquitto started as root drops to its own user: let it read the throw-away files.
    os.chmod(d, 0o755)
    for name in ("ca.crt", "server.crt", "server.key"):
        os.chmod(os.path.join(d, name), 0o644)
    return os.path.join(d, "ca.crt")


class Broker:
    def __init__(self, kind, tls=False):
        self.port = free_port()
        self.tmp = tempfile.TemporaryDirectory(prefix="mote-e2e-")
        self.logf = open(os.path.join(self.tmp.name, "broker.log"), "w+")
        mote = ENV.get("MOTE_BROKER", "")
        if kind == "mote" and not (mote and os.path.exists(mote)):
            if ENV.get("E2E_REQUIRE_MOTE"):
                fail("mote-broker is not built (%r)" % mote)
            log("NOTE: mote-broker is not built here; falling back to Debian mosquitto")
            kind = "mosquitto"
        self.kind = kind
        if kind == "mote" and tls:
            # mote-broker's TLS listener (docs/tls.md) with the same throw-away files.
            conf = os.path.join(self.tmp.name, "mote.conf")
            self.cafile = make_certs(self.tmp.name)
            with open(conf, "w") as f:
                f.write("listener %d 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\n" % (
                    self.port, self.cafile, os.path.join(self.tmp.name, "server.crt"),
                    os.path.join(self.tmp.name, "server.key")))
            cmd = [mote, "-c", conf]
        elif kind == "mote":
            cmd = [mote, "-p", str(self.port)]
        else:
            conf = os.path.join(self.tmp.name, "mosquitto.conf")
            with open(conf, "w") as f:
                f.write("listener %d 127.0.0.1\nallow_anonymous true\n" % self.port)
                if tls:
                    self.cafile = make_certs(self.tmp.name)
                    f.write("cafile %s\ncertfile %s\nkeyfile %s\n" % (
                        self.cafile, os.path.join(self.tmp.name, "server.crt"),
                        os.path.join(self.tmp.name, "server.key")))
            cmd = [ENV.get("MOSQUITTO") or "/usr/sbin/mosquitto", "-c", conf]
        log("broker:", kind, "on 127.0.0.1:%d" % self.port)
        self.proc = subprocess.Popen(cmd, stdout=self.logf, stderr=subprocess.STDOUT)
        wait_listening(self.port, self.proc)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def dump_log(self):
        self.logf.flush()
        self.logf.seek(0)
        tail = self.logf.read()[-3000:]
        log("broker log tail:\n" + tail)


class Subscriber:
    """An independent subscriber at QoS 1, ready once its SUBACK arrived; records
    (monotonic time, topic, payload) for every message. `client` is "mosquitto"
    (mosquitto_sub in debug mode) or "paho" (tests/e2e/paho_subscriber.cpp, Eclipse
    Paho C++)."""

    def __init__(self, port, topic, version=5, cafile=None, client="mosquitto"):
        if client == "paho":
            cmd = [ENV["E2E_PAHO_SUB"], "127.0.0.1", str(port), topic, str(version)]
        else:
            # stdbuf: mosquitto_sub block-buffers its stdout into a pipe.
            cmd = ["stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-t", topic, "-q", "1",
                   "-v", "-d", "-V", "mqttv5" if version == 5 else "mqttv311"]
            if cafile:
                cmd += ["--cafile", cafile, "--insecure"]  # --insecure: the name is "localhost", we dial 127.0.0.1
        self.name = "Paho C++" if client == "paho" else "mosquitto_sub"
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.msgs = []
        self.ready = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        if not self.ready.wait(10):
            fail("%s did not subscribe" % self.name)

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            if line == "ready" or (line.startswith("Client ") and "received SUBACK" in line):
                self.ready.set()
            elif line.startswith("paho-sub:"):
                log(line)  # the Paho subscriber's own error message
            elif not line.startswith(("Client ", "Subscribed")) and " " in line:
                topic, payload = line.split(" ", 1)
                with self.lock:
                    self.msgs.append((time.monotonic(), topic, payload))

    def snapshot(self):
        with self.lock:
            return list(self.msgs)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)


def publish(port, topic, payload):
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-t", topic, "-q", "1", "-m", payload,
                    "-V", "mqttv5"], check=True, timeout=10)


def test_host(kind, version, qos, tls=False):
    broker = Broker(kind, tls)
    count = 20
    cid = "host%s%s%s%s" % (kind[0], version, qos, "tls" if tls else "")
    if tls:
        # The independent check runs over TLS too (mosquitto_sub with the same CA).
        sub = Subscriber(broker.port, "e2e/%s/#" % cid, version, cafile=broker.cafile)
    else:
        sub = Subscriber(broker.port, "e2e/%s/#" % cid, version)
    try:
        cmd = [ENV["E2E_CLIENT"], "127.0.0.1", str(broker.port), str(version), str(qos), str(count), cid]
        if tls:
            cmd.append(broker.cafile)
        r = subprocess.run(cmd, timeout=40)
        if r.returncode != 0:
            broker.dump_log()
            fail("mote-e2e-client exited %d" % r.returncode)
        deadline = time.monotonic() + 5
        while len(sub.snapshot()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        got = [p for (_, _, p) in sub.snapshot()]
        want = ["msg-%d" % i for i in range(count)]
        if got != want:
            fail("independent subscriber saw %r, want %r" % (got, want))
        log("ok: %s%s v%s qos %s: %d messages round trip, seen by mosquitto_sub"
            % (broker.kind, " over TLS" if tls else "", version, qos, count))
    finally:
        sub.stop()
        broker.stop()


def check_sensor(broker, sensor_id, proc, label):
    """Telemetry arrives, period=100 speeds it up, stop makes the program exit 0."""
    sub = Subscriber(broker.port, "sensors/%s/temperature" % sensor_id, client="paho")
    try:
        deadline = time.monotonic() + 30
        while len(sub.snapshot()) < 5 and time.monotonic() < deadline:
            if proc.poll() is not None:
                fail("%s exited early with %s" % (label, proc.returncode))
            time.sleep(0.05)
        before = sub.snapshot()
        if len(before) < 5:
            broker.dump_log()
            fail("%s: only %d telemetry messages in 30 s" % (label, len(before)))
        seqs = []
        for (_, topic, payload) in before:
            doc = json.loads(payload)
            if not (isinstance(doc.get("seq"), int) and isinstance(doc.get("t"), (int, float))):
                fail("bad telemetry %r" % payload)
            if not 15.0 <= doc["t"] <= 30.0:
                fail("implausible temperature %r" % payload)
            seqs.append(doc["seq"])
        if seqs != list(range(seqs[0], seqs[0] + len(seqs))):
            fail("sequence numbers not consecutive: %r" % seqs)
        slow = [b[0] - a[0] for a, b in zip(before[1:], before[2:])]
        publish(broker.port, "sensors/%s/cmd" % sensor_id, "period=100")
        time.sleep(1.0)  # let the new period settle
        mark = len(sub.snapshot())
        time.sleep(2.0)
        after = sub.snapshot()[mark:]
        if len(after) < 5:
            fail("%s: only %d messages in 2 s after period=100" % (label, len(after)))
        fast = [b[0] - a[0] for a, b in zip(after, after[1:])]
        mean_slow = sum(slow) / len(slow)
        mean_fast = sum(fast) / len(fast)
        log("%s: mean interval %.0f ms before, %.0f ms after period=100" % (label, mean_slow * 1000, mean_fast * 1000))
        if not mean_fast < mean_slow * 0.5:
            fail("%s: the rate did not change" % label)
        all_seqs = [json.loads(p)["seq"] for (_, _, p) in sub.snapshot()]
        if all_seqs != list(range(all_seqs[0], all_seqs[0] + len(all_seqs))):
            fail("lost or duplicated telemetry: %r" % all_seqs)
        publish(broker.port, "sensors/%s/cmd" % sensor_id, "stop")
        try:
            rc = proc.wait(20)
        except subprocess.TimeoutExpired:
            fail("%s did not stop" % label)
        if rc != 0:
            fail("%s exited %d after stop" % (label, rc))
        log("ok: %s via %s: %d telemetry messages seen by %s, rate change seen, clean stop (exit 0)"
            % (label, broker.kind, len(all_seqs), sub.name))
    finally:
        sub.stop()


def run_program(cmd, label):
    log("start:", " ".join(cmd))
    return subprocess.Popen(cmd)


def test_mps2(variant="mps2"):
    elf = ENV["MPS2_ELF" if variant == "mps2" else "MPS2_V311_ELF"]
    if not os.path.exists(elf):
        fail("firmware not built: %s" % elf)
    broker = Broker("mote")
    label = "mps2-an385 firmware (%s)" % ("cortex-m3, MQTT 5.0" if variant == "mps2" else "cortex-m0plus, MQTT 3.1.1")
    # The firmware's semihosting log (QEMU's stderr) ends with its stack high-water mark.
    fw_log = open(os.path.join(broker.tmp.name, "firmware.log"), "w+")
    log("start: %s (log: %s)" % (label, fw_log.name))
    proc = subprocess.Popen([ENV["RUN_FIRMWARE"], "mps2", elf, str(broker.port), "90"], stderr=fw_log)
    try:
        check_sensor(broker, "mps2", proc, label)
        fw_log.seek(0)
        text = fw_log.read()
        sys.stdout.write(text)
        marks = re.findall(r"stack high-water (\d+) bytes", text)
        if not marks:
            fail("the firmware did not report its stack high-water mark")
        if int(marks[-1]) > STACK_BUDGET:
            fail("stack high-water %s bytes exceeds the %d-byte budget" % (marks[-1], STACK_BUDGET))
        log("ok: stack high-water %s bytes (budget %d)" % (marks[-1], STACK_BUDGET))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        broker.stop()


def test_arm(arch):
    binary = ENV["ARM_SENSOR" if arch == "arm" else "AARCH64_SENSOR"]
    if not os.path.exists(binary):
        fail("ARM sensor not built: %s" % binary)
    broker = Broker("mote")
    # 32-bit ARM speaks 5.0, aarch64 3.1.1, so both versions run under emulation.
    version = "5" if arch == "arm" else "4"
    sensor_id = "armlinux" if arch == "arm" else "arm64linux"
    proc = run_program([ENV["RUN_FIRMWARE"], arch, binary, "127.0.0.1", str(broker.port), sensor_id, version, "500",
                        "60"], "ARM Linux sensor")
    try:
        check_sensor(broker, sensor_id, proc, "ARM Linux sensor (qemu-%s, MQTT v%s)" % (arch, version))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        broker.stop()


def main(argv):
    if len(argv) >= 5 and argv[1] == "host":
        test_host(argv[2], int(argv[3]), int(argv[4]))
    elif len(argv) >= 5 and argv[1] == "host-tls":
        test_host(argv[2], int(argv[3]), int(argv[4]), tls=True)
    elif len(argv) == 2 and argv[1] in ("mps2", "mps2-v311"):
        test_mps2(argv[1])
    elif len(argv) == 2 and argv[1] in ("arm", "aarch64"):
        test_arm(argv[1])
    else:
        print(__doc__)
        return 64
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
