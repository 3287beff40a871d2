#!/usr/bin/env python3
"""Capture the MQTT packets one client sends, for Mote's golden-bytes tests.

Listens on 127.0.0.1 (a free port unless --port is given), writes the port to
stdout (or to --port-file) before accepting, accepts ONE connection, records every
byte the client sends and answers just enough for the client to finish:
CONNACK, SUBACK, UNSUBACK, PUBACK/PUBREC/PUBCOMP and PINGRESP. With --deliver TOPIC
it also sends one QoS 0 PUBLISH on TOPIC after the first SUBACK, so that a
subscriber run with a message count exits on its own. It stops when the client
sends DISCONNECT or closes, or after --timeout seconds, then prints each captured
packet as one hex line, prefixed with its type name.

Python 3 standard library only. Usage (see README.md):
    python3 capture.py --port-file /tmp/port > capture.txt &
    mosquitto_pub -p "$(cat /tmp/port)" ...
"""

import argparse
import socket
import sys
import time

NAMES = ["RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
         "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"]


def encode_varint(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def split_packet(buf):
    """Return (packet, rest) for the first whole packet in buf, or (None, buf)."""
    if len(buf) < 2:
        return None, buf
    length, mult, i = 0, 1, 1
    while True:
        if i >= len(buf):
            return None, buf
        b = buf[i]
        length += (b & 0x7F) * mult
        mult *= 128
        i += 1
        if not b & 0x80:
            break
        if i > 4:
            raise ValueError("remaining length longer than 4 bytes")
    if len(buf) < i + length:
        return None, buf
    return bytes(buf[:i + length]), buf[i + length:]


def body_of(pkt):
    i = 1
    while pkt[i] & 0x80:
        i += 1
    return pkt[i + 1:]


def frame(first, body):
    return bytes([first]) + encode_varint(len(body)) + body


def connect_version(body):
    name_len = (body[0] << 8) | body[1]
    return body[2 + name_len]


def subscribe_reply(body, v5):
    """SUBACK granting each requested QoS."""
    pid = body[:2]
    pos = 2
    if v5:
        plen, mult = 0, 1
        while True:
            b = body[pos]
            pos += 1
            plen += (b & 0x7F) * mult
            mult *= 128
            if not b & 0x80:
                break
        pos += plen
    codes = bytearray()
    while pos < len(body):
        n = (body[pos] << 8) | body[pos + 1]
        pos += 2 + n
        codes.append(body[pos] & 0x03)
        pos += 1
    return frame(0x90, pid + (b"\x00" if v5 else b"") + bytes(codes))


def unsubscribe_reply(body, v5):
    pid = body[:2]
    if not v5:
        return frame(0xB0, pid)
    plen = body[2]  # test clients send short property blocks
    count, pos = 0, 3 + plen
    while pos < len(body):
        pos += 2 + ((body[pos] << 8) | body[pos + 1])
        count += 1
    return frame(0xB0, pid + b"\x00" + b"\x00" * count)


def reply(pkt, state):
    """The bytes to send back for one client packet (possibly empty)."""
    kind = pkt[0] >> 4
    body = body_of(pkt)
    v5 = state.get("version") == 5
    if kind == 1:
        state["version"] = connect_version(body)
        return b"\x20\x03\x00\x00\x00" if state["version"] == 5 else b"\x20\x02\x00\x00"
    if kind == 3:
        qos = (pkt[0] >> 1) & 3
        if qos == 0:
            return b""
        topic_len = (body[0] << 8) | body[1]
        pid = body[2 + topic_len:4 + topic_len]
        return frame(0x40 if qos == 1 else 0x50, pid)
    if kind == 6:
        return frame(0x70, body[:2])
    if kind == 8:
        out = subscribe_reply(body, v5)
        if state.get("deliver") and not state.get("delivered"):
            state["delivered"] = True
            topic = state["deliver"].encode()
            out += frame(0x30, len(topic).to_bytes(2, "big") + topic + (b"\x00" if v5 else b"") + b"golden")
        return out
    if kind == 10:
        return unsubscribe_reply(body, v5)
    if kind == 12:
        return b"\xd0\x00"
    return b""


def serve(conn, state, timeout):
    captured = []
    buf = b""
    deadline = time.monotonic() + timeout
    conn.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            data = conn.recv(65536)
        except socket.timeout:
            continue
        if not data:
            break
        buf += data
        while True:
            pkt, buf = split_packet(buf)
            if pkt is None:
                break
            captured.append(pkt)
            out = reply(pkt, state)
            if out:
                conn.sendall(out)
            if pkt[0] >> 4 == 14:
                return captured
    return captured


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--deliver", help="topic of one QoS 0 PUBLISH sent after the first SUBACK")
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", args.port))
    srv.listen(1)
    port = srv.getsockname()[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        import os
        os.replace(args.port_file + ".tmp", args.port_file)
    else:
        print("PORT %d" % port, flush=True)
    srv.settimeout(args.timeout)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        print("no connection", file=sys.stderr)
        return 1
    with conn:
        captured = serve(conn, {"deliver": args.deliver}, args.timeout)
    srv.close()
    for pkt in captured:
        print("%-11s %s" % (NAMES[pkt[0] >> 4], pkt.hex(" ").upper()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
