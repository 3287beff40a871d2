#!/usr/bin/env python3
"""A whole gateway in emulation (run by scripts/cross-check.sh after the ARM Linux
builds): mote-broker cross-built for armhf or arm64 runs under qemu-arm /
qemu-aarch64 on 127.0.0.1, and

  1. mosquitto_pub -> mosquitto_sub round trips through it at QoS 0, 1 and 2, with
     MQTT 3.1.1 and 5.0 (the messages, their order and the granted QoS checked);
  2. the firmware client's Linux sensor example, cross-built for the same
     architecture and also under qemu-user, publishes telemetry (QoS 1) that
     mosquitto_sub receives, then obeys a "stop" command sent with mosquitto_pub at
     QoS 2 and exits 0 (so the broker delivered to it as well);
  3. the broker stops on SIGTERM with status 0.

  gateway_test.py ARCH BROKER SENSOR [SENSOR_VERSION]
      ARCH: armhf or arm64; BROKER: the ARM mote-broker (dynamic: run with -L
      /usr/<triplet>; static: without); SENSOR: the ARM mote-sensor;
      SENSOR_VERSION: 4 (MQTT 3.1.1) or 5 (default).
  gateway_test.py ARCH BROKER
      steps 1 and 3 only (used for the static build).
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

TRIPLET = {"armhf": "arm-linux-gnueabihf", "arm64": "aarch64-linux-gnu"}
QEMU = {"armhf": "qemu-arm", "arm64": "qemu-aarch64"}


def log(*a):
    print("gateway:", *a, flush=True)


def fail(msg, broker=None):
    log("FAIL:", msg)
    if broker is not None:
        log("broker log tail:\n" + broker.log_tail())
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def qemu_cmd(arch, binary):
    """qemu-user command line; a dynamic binary gets the target's library root."""
    out = subprocess.run(["file", "-L", binary], capture_output=True, text=True, check=True).stdout
    cmd = [QEMU[arch]]
    if "dynamically linked" in out:
        cmd += ["-L", "/usr/" + TRIPLET[arch]]
    return cmd + [binary]


class Broker:
    def __init__(self, arch, binary):
        self.tmp = tempfile.TemporaryDirectory(prefix="mote-gateway-")
        self.logf = open(os.path.join(self.tmp.name, "broker.log"), "w+")
        for _attempt in range(3):  # the free port may be taken in between
            self.port = free_port()
            cmd = qemu_cmd(arch, binary) + ["-p", str(self.port)]
            log("start:", " ".join(cmd))
            self.proc = subprocess.Popen(cmd, stdout=self.logf, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                    return
                except OSError:
                    time.sleep(0.1)
            self.stop()
        fail("the %s broker did not start" % arch, self)

    def log_tail(self):
        self.logf.flush()
        self.logf.seek(0)
        return self.logf.read()[-3000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                return self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode


def round_trip(broker, version, qos):
    topic = "gw/v%s/q%d" % (version, qos)
    payloads = ["m%d-%s" % (i, "x" * (i * 37)) for i in range(10)]
    vflag = ["-V", "mqttv5" if version == 5 else "mqttv311"]
    sub = subprocess.Popen(["stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port), "-t",
                            topic, "-q", str(qos), "-C", str(len(payloads)), "-W", "30", "-d"] + vflag,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # Wait for the SUBACK before publishing (mosquitto_sub -d prints it).
    debug = []
    granted = None
    for line in sub.stdout:
        debug.append(line.rstrip("\n"))
        if "received SUBACK" in line:
            break
    for line in sub.stdout:
        debug.append(line.rstrip("\n"))
        if line.startswith("Subscribed"):
            granted = line.strip()
            break
    if granted is None:
        sub.kill()
        fail("mosquitto_sub got no SUBACK at QoS %d v%s: %r" % (qos, version, debug), broker)
    pub = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-t", topic, "-q", str(qos),
                          "-l"] + vflag, input="\n".join(payloads) + "\n", text=True, capture_output=True,
                         timeout=60)
    if pub.returncode != 0:
        sub.kill()
        fail("mosquitto_pub exited %d: %s" % (pub.returncode, pub.stderr), broker)
    got = []
    delivered_qos = set()
    for line in sub.stdout:
        line = line.rstrip("\n")
        if line.startswith("Client ") or not line:
            debug.append(line)
            if "received PUBLISH (" in line:
                delivered_qos.add(line.split("received PUBLISH (", 1)[1].split(",")[1].strip())
            continue
        got.append(line)
    rc = sub.wait(40)
    if rc != 0 or got != payloads:
        fail("QoS %d v%s: mosquitto_sub exited %d and received %r, want %r\n%s"
             % (qos, version, rc, got, payloads, "\n".join(debug[-20:])), broker)
    # Mote grants the QoS asked for (no max_qos option), and a message is
    # delivered at the lower of its own and the subscription's QoS [MQTT-3.8.4-6]
    # (3.1.1; MQTT 5 section 3.8.4): here both are `qos`.
    if granted.rsplit(":", 1)[1].strip() != str(qos):
        fail("QoS %d v%s: SUBACK says %r" % (qos, version, granted), broker)
    if delivered_qos != {"q%d" % qos}:
        fail("QoS %d v%s: messages delivered at %r" % (qos, version, sorted(delivered_qos)), broker)
    log("ok: MQTT %s QoS %d: %d messages mosquitto_pub -> %s broker -> mosquitto_sub, in order"
        % ("5.0" if version == 5 else "3.1.1", qos, len(payloads), broker_arch))


def sensor_run(arch, broker, sensor, version):
    sensor_id = "gw-%s" % arch
    topic = "sensors/%s/temperature" % sensor_id
    sub = subprocess.Popen(["stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port), "-t", topic,
                            "-q", "2", "-C", "3", "-W", "60"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    time.sleep(0.5)  # mosquitto_sub without -d: give the SUBSCRIBE time to land
    cmd = qemu_cmd(arch, sensor) + ["127.0.0.1", str(broker.port), sensor_id, str(version), "200", "60"]
    log("start:", " ".join(cmd))
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        out, _ = sub.communicate(timeout=70)
        lines = [l for l in out.splitlines() if l.strip()]
        if sub.returncode != 0 or len(lines) != 3:
            fail("telemetry from the %s sensor: mosquitto_sub exited %d with %r" % (arch, sub.returncode, lines),
                 broker)
        seqs = []
        for line in lines:
            doc = json.loads(line)
            if not (isinstance(doc.get("seq"), int) and 15.0 <= float(doc.get("t", 0)) <= 30.0):
                fail("bad telemetry %r" % line, broker)
            seqs.append(doc["seq"])
        if seqs != list(range(seqs[0], seqs[0] + 3)):
            fail("telemetry sequence numbers not consecutive: %r" % seqs, broker)
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-t",
                        "sensors/%s/cmd" % sensor_id, "-q", "2", "-m", "stop"], check=True, timeout=30)
        try:
            rc = proc.wait(30)
        except subprocess.TimeoutExpired:
            fail("the %s sensor did not obey the stop command" % arch, broker)
        if rc != 0:
            fail("the %s sensor exited %d: %s" % (arch, rc, proc.stderr.read()[-2000:]), broker)
        log("ok: %s sensor (MQTT %s, qemu-user) -> %s broker: telemetry seq %r seen by mosquitto_sub; "
            "stop command delivered at QoS 2, sensor exit 0" % (arch, "5.0" if version == 5 else "3.1.1", arch, seqs))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if sub.poll() is None:
            sub.kill()
            sub.wait()


broker_arch = ""


def main(argv):
    global broker_arch
    if len(argv) not in (3, 4, 5) or argv[1] not in TRIPLET:
        print(__doc__)
        return 64
    arch, broker_bin = argv[1], argv[2]
    sensor = argv[3] if len(argv) > 3 else None
    version = int(argv[4]) if len(argv) > 4 else 5
    for f in [broker_bin] + ([sensor] if sensor else []):
        if not os.path.isfile(f):
            fail("not built: %s" % f)
    static = "statically linked" in subprocess.run(["file", "-L", broker_bin], capture_output=True, text=True).stdout
    broker_arch = arch + (" (static)" if static else "")
    broker = Broker(arch, broker_bin)
    try:
        for version_ in (4, 5):
            for qos in (0, 1, 2):
                round_trip(broker, version_, qos)
        if sensor:
            sensor_run(arch, broker, sensor, version)
    finally:
        rc = broker.stop()
    if rc != 0:
        fail("the %s broker exited %s on SIGTERM" % (arch, rc), broker)
    log("ok: %s broker stopped on SIGTERM with status 0" % broker_arch)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
