#!/usr/bin/env python3
"""Shows that mote-bench's checks can fail: runs it against a deliberately faulty
MQTT 3.1.1 broker (fake_broker below, asyncio, loopback, free port) and expects the
matching error and a non-zero exit status for each fault:

  reuse-id  QoS 2: a new PUBLISH reuses a packet id whose flow is still open
            (no PUBREL yet) -> counted as id reuse, the message is lost [MQTT-4.3.3-9]
  drop      QoS 1: every 50th message is not forwarded -> loss
  reorder   QoS 1: every 50th message is held back one place -> reordering (§4.6)
  dup       QoS 2: every 50th message is sent twice with a new id -> duplicates
  none      the same fake broker without faults -> exit 0 (the harness itself is sound)
"""
import argparse
import asyncio
import json
import subprocess
import sys
import threading


class FakeBroker:
    def __init__(self, mode):
        self.mode = mode
        self.subs = []  # (writer, granted qos, state dict)
        self.count = 0
        self.held = None

    async def handle(self, reader, writer):
        state = {"next_id": 1}
        try:
            while True:
                first = (await reader.readexactly(1))[0]
                mult, length = 1, 0
                while True:
                    b = (await reader.readexactly(1))[0]
                    length += (b & 0x7F) * mult
                    mult *= 128
                    if b & 0x80 == 0:
                        break
                body = await reader.readexactly(length) if length else b""
                await self.packet(first, body, writer, state)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.subs = [s for s in self.subs if s[0] is not writer]
            writer.close()

    async def packet(self, first, body, writer, state):
        kind = first >> 4
        if kind == 1:  # CONNECT
            writer.write(b"\x20\x02\x00\x00")
        elif kind == 8:  # SUBSCRIBE
            pid = body[0:2]
            qos = body[-1] & 3
            self.subs.append((writer, qos, state))
            writer.write(b"\x90\x03" + pid + bytes([qos]))
        elif kind == 3:  # PUBLISH
            qos = (first >> 1) & 3
            tlen = int.from_bytes(body[0:2], "big")
            topic = body[2:2 + tlen]
            off = 2 + tlen
            if qos:
                pid = body[off:off + 2]
                off += 2
                writer.write((b"\x40\x02" if qos == 1 else b"\x50\x02") + pid)
            self.forward(topic, qos, body[off:])
        elif kind == 6:  # PUBREL
            writer.write(b"\x70\x02" + body[0:2])
        elif kind == 5:  # PUBREC from a subscriber
            writer.write(b"\x62\x02" + body[0:2])
        elif kind == 12:  # PINGREQ
            writer.write(b"\xd0\x00")
        elif kind == 14:  # DISCONNECT
            writer.close()
        await writer.drain()

    def send(self, topic, qos, payload, reuse=False):
        for w, sq, st in self.subs:
            q = min(qos, sq)
            var = len(topic).to_bytes(2, "big") + topic
            if q:
                if reuse:
                    pid = 1  # the fault: never waits for PUBCOMP before reusing id 1
                else:
                    pid = st["next_id"]
                    st["next_id"] = pid % 65535 + 1
                var += pid.to_bytes(2, "big")
            rest = var + payload
            n, enc = len(rest), b""
            while True:
                b = n % 128
                n //= 128
                enc += bytes([b | (0x80 if n else 0)])
                if not n:
                    break
            w.write(bytes([0x30 | (q << 1)]) + enc + rest)

    def forward(self, topic, qos, payload):
        self.count += 1
        nth = self.count % 50 == 0
        if self.mode == "drop" and nth:
            return
        if self.mode == "reorder":
            if nth and self.held is None:
                self.held = (topic, qos, payload)
                return
            self.send(topic, qos, payload)
            if self.held is not None:
                self.send(*self.held)
                self.held = None
            return
        self.send(topic, qos, payload, reuse=self.mode == "reuse-id")
        if self.mode == "dup" and nth:
            self.send(topic, qos, payload)


def serve(mode, port_box, ready):
    async def main():
        broker = FakeBroker(mode)
        server = await asyncio.start_server(broker.handle, "127.0.0.1", 0)
        port_box.append(server.sockets[0].getsockname()[1])
        ready.set()
        async with server:
            await server.serve_forever()
    asyncio.run(main())


CASES = [
    # mode, qos, JSON field that must be non-zero (None: must pass)
    ("none", 1, None),
    ("none", 2, None),
    ("reuse-id", 2, "id_reuse"),
    ("drop", 1, "lost"),
    ("reorder", 1, "reordered"),
    ("dup", 2, "duplicates"),
]


def run_case(bench, mode, qos, field):
    port_box, ready = [], threading.Event()
    t = threading.Thread(target=serve, args=(mode, port_box, ready), daemon=True)
    t.start()
    ready.wait(5)
    cmd = [bench, "--port", str(port_box[0]), "--scenario", "fan-in", "--pubs", "2", "--qos", str(qos),
           "--count", "500", "--window", "8", "--drain", "2", "--time-limit", "60"]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    lines = [l[5:] for l in out.stdout.splitlines() if l.startswith("JSON ")]
    if len(lines) != 1:
        return "no JSON line:\n" + out.stdout
    r = json.loads(lines[0])
    if field is None:
        if out.returncode != 0 or not r["ok"]:
            return "expected a clean run, got exit %d: %s" % (out.returncode, r["errors"])
        return None
    if out.returncode != 1 or r["ok"]:
        return "fault not reported (exit %d)" % out.returncode
    if r[field] == 0:
        return "%s is 0; errors: %s" % (field, r["errors"])
    if field == "id_reuse" and r["lost"] == 0:
        return "QoS 2 id reuse did not show up as loss in the sequence check"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    args = ap.parse_args()
    failures = 0
    for mode, qos, field in CASES:
        err = run_case(args.bench, mode, qos, field)
        print("%-9s QoS %d: %s" % (mode, qos, "ok" if err is None else "FAIL: " + err))
        failures += err is not None
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
