#!/usr/bin/env python3
"""Gateway figures for docs/benchmarks.md: installed size, and broker RSS at idle
and with 1,000 connected clients, for mote-broker and Debian's mosquitto 2.0.11 on
armhf and arm64 under qemu-user (and natively on the build machine for reference).

    scripts/gateway-figures.py        (after scripts/package.sh; run as root)

- mote-broker: the binary in build/deb/mote-broker_*_ARCH.deb (scripts/package.sh:
  Release, stripped), unpacked with dpkg -x.
- mosquitto: `apt-get download mosquitto:ARCH` and the libraries it links that are
  not installed for ARCH here (libssl3, libcjson1, libdlt2, libcap2, libwrap0,
  libmosquitto1), unpacked with dpkg -x into build/figures/ARCH; run with
  LD_LIBRARY_PATH into that tree.
- RSS is the qemu-user process's VmRSS: the guest's memory plus QEMU's own (its
  code, the translated-code cache). The QEMU baseline row is a static ARM program
  that only sleeps, run the same way: subtract it for a rough guest figure; the
  per-connection growth needs no subtraction.
- Idle: after a warm-up of 20 clients that connect and leave (QEMU has then
  translated the connection code), 2 s later.
- 1,000 clients: mote-bench --scenario storm --conns 1000 --hold 3 (MQTT 3.1.1
  CONNECT, then idle), sampling the broker's RSS with --broker-pid.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRIPLET = {"armhf": "arm-linux-gnueabihf", "arm64": "aarch64-linux-gnu"}
QEMU = {"armhf": "qemu-arm", "arm64": "qemu-aarch64"}
MOSQ_PKGS = ["mosquitto", "libmosquitto1", "libcjson1", "libdlt2", "libcap2", "libssl3", "libwrap0"]
BENCH = os.environ.get("MOTE_BENCH", os.path.join(ROOT, "build/dev/tests/load/mote-bench"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def wait_port(port, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("broker exited %s" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("broker not listening")


def fetch_mosquitto(arch):
    d = os.path.join(ROOT, "build/figures", arch)
    root = os.path.join(d, "root")
    if not os.path.exists(os.path.join(root, "usr/sbin/mosquitto")):
        os.makedirs(d, exist_ok=True)
        subprocess.run(["apt-get", "download"] + ["%s:%s" % (p, arch) for p in MOSQ_PKGS], cwd=d, check=True,
                       stdout=subprocess.DEVNULL)
        for deb in sorted(os.listdir(d)):
            if deb.endswith(".deb"):
                subprocess.run(["dpkg-deb", "-x", os.path.join(d, deb), root], check=True)
    debs = [f for f in os.listdir(d) if f.startswith("mosquitto_") and f.endswith(".deb")]
    return root, os.path.join(d, debs[0])


def idle_program(arch):
    """A static ARM program that sleeps: QEMU's own footprint."""
    d = os.path.join(ROOT, "build/figures", arch)
    os.makedirs(d, exist_ok=True)
    exe = os.path.join(d, "idle")
    if not os.path.exists(exe):
        src = os.path.join(d, "idle.c")
        with open(src, "w") as f:
            f.write("#include <unistd.h>\nint main(void) { for (;;) pause(); }\n")
        subprocess.run(["%s-gcc" % TRIPLET[arch], "-O2", "-static", "-o", exe, src], check=True)
    return exe


def mote_from_deb(deb, arch):
    """The packaged (stripped) mote-broker, unpacked from the .deb."""
    root = os.path.join(ROOT, "build/figures", arch, "mote-root")
    subprocess.run(["rm", "-rf", root], check=True)
    os.makedirs(root)
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    return os.path.join(root, "usr/sbin/mote-broker")


def installed_size(deb):
    out = subprocess.run(["dpkg-deb", "-f", deb, "Installed-Size"], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def measure(cmd, env=None, port=None, conf=None):
    """(idle RSS KiB, RSS KiB with 1000 clients, bytes per connection)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        if port is None:
            time.sleep(2.0)
            return rss_kib(proc.pid), None, None
        wait_port(port, proc)
        # Warm-up: 20 clients connect, idle and go, so that under QEMU the
        # connection code is translated before the idle figure is taken (the
        # translation cache would otherwise count as per-client growth).
        subprocess.run([BENCH, "--scenario", "storm", "--conns", "20", "--hold", "1", "--port", str(port)],
                       capture_output=True, timeout=120, check=True)
        time.sleep(2.0)  # settle
        idle = rss_kib(proc.pid)
        out = subprocess.run([BENCH, "--scenario", "storm", "--conns", "1000", "--hold", "3", "--port", str(port),
                              "--broker-pid", str(proc.pid), "--max-pending", "128", "--drain", "30"],
                             capture_output=True, text=True, timeout=300)
        line = [l for l in out.stdout.splitlines() if l.startswith("JSON ")]
        if not line:
            raise RuntimeError("mote-bench: %s %s" % (out.stdout[-2000:], out.stderr[-2000:]))
        doc = json.loads(line[-1][5:])
        if not doc["ok"] or doc["connected"] != 1000:
            raise RuntimeError("mote-bench: %r" % doc)
        return idle, doc["broker_rss_after"] // 1024, (doc["broker_rss_after"] - doc["broker_rss_before"]) / 1000
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    rows = []
    tmp = tempfile.mkdtemp(prefix="mote-figures-")
    for arch in ("armhf", "arm64"):
        qemu = [QEMU[arch], "-L", "/usr/" + TRIPLET[arch]]
        base, _, _ = measure([QEMU[arch], idle_program(arch)])
        rows.append((arch, "QEMU baseline (static idle program)", "", "", base, "", ""))
        deb = [f for f in os.listdir(os.path.join(ROOT, "build/deb")) if f.endswith("_%s.deb" % arch)][0]
        mote = mote_from_deb(os.path.join(ROOT, "build/deb", deb), arch)
        port = free_port()
        idle, full, per = measure(qemu + [mote, "-p", str(port)], port=port)
        rows.append((arch, "mote-broker 0.1.0", installed_size(os.path.join(ROOT, "build/deb", deb)),
                     os.path.getsize(mote) // 1024, idle, full, per))
        root, mdeb = fetch_mosquitto(arch)
        port = free_port()
        conf = os.path.join(tmp, "mosquitto-%s.conf" % arch)
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\nlog_dest none\n" % port)
        libs = ":".join(os.path.join(root, p, TRIPLET[arch]) for p in ("usr/lib", "lib"))
        idle, full, per = measure(qemu + ["-E", "LD_LIBRARY_PATH=" + libs, os.path.join(root, "usr/sbin/mosquitto"),
                                          "-c", conf], port=port)
        rows.append((arch, "mosquitto 2.0.11 (Debian)", installed_size(mdeb),
                     os.path.getsize(os.path.join(root, "usr/sbin/mosquitto")) // 1024, idle, full, per))
    # Native, for reference.
    port = free_port()
    deb = [f for f in os.listdir(os.path.join(ROOT, "build/deb")) if f.endswith("_amd64.deb")][0]
    mote = mote_from_deb(os.path.join(ROOT, "build/deb", deb), "amd64")
    idle, full, per = measure([mote, "-p", str(port)], port=port)
    rows.append(("amd64 (native)", "mote-broker 0.1.0", installed_size(os.path.join(ROOT, "build/deb", deb)),
                 os.path.getsize(mote) // 1024, idle, full, per))
    port = free_port()
    conf = os.path.join(tmp, "mosquitto-amd64.conf")
    with open(conf, "w") as f:
        f.write("listener %d 127.0.0.1\nallow_anonymous true\nlog_dest none\n" % port)
    idle, full, per = measure(["/usr/sbin/mosquitto", "-c", conf], port=port)
    msize = subprocess.run(["dpkg-query", "-W", "-f", "${Installed-Size}", "mosquitto"], capture_output=True,
                           text=True).stdout.strip()
    rows.append(("amd64 (native)", "mosquitto 2.0.11 (Debian)", msize, os.path.getsize("/usr/sbin/mosquitto") // 1024,
                 idle, full, per))

    print("| Architecture | Broker | Package Installed-Size (KiB) | Binary (KiB, stripped) | RSS idle (KiB) "
          "| RSS with 1,000 clients (KiB) | Growth per client (bytes) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %s | %s | %s | %s | %s | %s |" % (r[0], r[1], r[2], r[3], r[4], r[5] if r[5] != "" else "",
                                                       ("%.0f" % r[6]) if isinstance(r[6], float) else r[6]))


if __name__ == "__main__":
    sys.exit(main())
