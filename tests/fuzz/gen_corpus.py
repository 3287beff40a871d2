#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/).

codec: valid packets of every type for MQTT 3.1, 3.1.1 and 5.0, alone and as
streams, each prefixed with the split-control bytes codec_fuzz.cpp expects (a count
n, then n piece sizes). topic: byte 0 chooses the filter/topic split, byte 1 the
level cap, then the filter and topic bytes. client: a broker's side of whole
sessions, in the records client_fuzz.cpp reads. Run it from anywhere; it rewrites the
seed files it owns (names starting with "seed-").
"""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))


def hx(s):
    """Hex with 'quoted' ASCII runs, e.g. "00 03 'a/b'"."""
    out = bytearray()
    for tok in re.findall(r"'[^']*'|[0-9A-Fa-f]{2}", s):
        if tok.startswith("'"):
            out += tok[1:-1].encode()
        else:
            out.append(int(tok, 16))
    return bytes(out)


V311 = {
    "connect": "10 0D 00 04 'MQTT' 04 02 00 0A 00 01 'p'",
    "connect-will-user-pass": "10 19 00 04 'MQTT' 04 EE 00 3C 00 01 'c' 00 01 'w' 00 01 'x' 00 01 'u' 00 01 'p'",
    "connect-bridge": "10 0D 00 04 'MQTT' 84 02 00 0A 00 01 'p'",
    "connack": "20 02 00 00",
    "publish-qos0": "30 07 00 03 'a/b' 'hi'",
    "publish-qos1": "32 09 00 03 'a/b' 00 0A 'hi'",
    "publish-qos2-dup-retain": "3D 09 00 03 'a/b' 00 0B 'hi'",
    "puback": "40 02 00 01",
    "pubrec": "50 02 00 01",
    "pubrel": "62 02 00 01",
    "pubcomp": "70 02 00 01",
    "subscribe": "82 08 00 01 00 03 'a/#' 01",
    "suback": "90 03 00 01 01",
    "unsubscribe": "A2 07 00 01 00 03 'a/#'",
    "unsuback": "B0 02 00 01",
    "pingreq": "C0 00",
    "pingresp": "D0 00",
    "disconnect": "E0 00",
}
V31 = {
    "connect": "10 0F 00 06 'MQIsdp' 03 02 00 0A 00 01 'p'",
    "connect-bridge": "10 0F 00 06 'MQIsdp' 83 02 00 0A 00 01 'p'",
}
V5 = {
    "connect": "10 0E 00 04 'MQTT' 05 02 00 0A 00 00 01 'p'",
    "connect-props": "10 16 00 04 'MQTT' 05 02 00 0A 08 11 00 00 00 3C 21 00 0A 00 01 'p'",
    "connect-will": "10 17 00 04 'MQTT' 05 2E 00 0A 00 00 01 'c' 02 01 01 00 01 'w' 00 01 'x'",
    "connack": "20 03 00 00 00",
    "connack-props": "20 09 00 00 06 22 00 0A 21 00 14",
    "publish-qos0": "30 08 00 03 'a/b' 00 'hi'",
    "publish-qos2-props": "3D 1C 00 01 't' 12 34 15 01 01 02 00 00 00 3C 03 00 04 'text' 26 00 01 'k' 00 01 'v' 'x'",
    "publish-alias": "32 0D 00 03 'a/b' 00 01 03 23 00 01 'hi'",
    "puback-short": "40 02 00 01",
    "puback-reason": "40 03 00 01 10",
    "puback-props": "40 08 00 01 80 04 1F 00 01 'e'",
    "pubrec": "50 03 00 01 00",
    "pubrel": "62 03 00 01 92",
    "pubcomp": "70 02 00 01",
    "subscribe": "82 0B 00 01 02 0B 05 00 03 'a/#' 1D",
    "subscribe-shared": "82 10 00 01 00 00 0A '$share/g/t' 01",
    "suback": "90 04 00 01 00 01",
    "unsubscribe": "A2 08 00 01 00 00 03 'a/#'",
    "unsuback": "B0 04 00 01 00 00",
    "pingreq": "C0 00",
    "disconnect": "E0 00",
    "disconnect-reason": "E0 01 04",
    "disconnect-props": "E0 07 00 05 11 00 00 00 01",
    "auth": "F0 09 18 07 15 00 04 'abcd'",
}


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def codec():
    for tag, table in (("v31", V31), ("v311", V311), ("v5", V5)):
        for name, h in table.items():
            write("codec", f"{tag}-{name}", b"\x00" + hx(h))
    # Streams cut into pieces of 1, 3 and 7 bytes (control bytes hold size - 1).
    for tag, table in (("v311", V311), ("v5", V5)):
        stream = b"".join(hx(table[k]) for k in ("connect", "pingreq", "disconnect"))
        write("codec", f"{tag}-stream-split", b"\x03\x00\x02\x06" + stream)
        write("codec", f"{tag}-stream-whole", b"\x00" + stream)


TOPICS = [
    ("sport/tennis/player1/#", "sport/tennis/player1/ranking", 0),
    ("sport/#", "sport", 0),
    ("sport/+", "sport/", 0),
    ("+/+", "/finance", 0),
    ("#", "$SYS/x", 0),
    ("+/x", "$SYS/x", 0),
    ("$SYS/#", "$SYS/broker/load", 0),
    ("$share/g/a/+", "a/b", 0),
    ("$share/p/", "x", 0),
    ("a/#/b", "a/x/b", 0),
    ("a/b/c/d", "a/b/c/d", 3),
    ("caf\u00e9/+", "caf\u00e9/\U0002a6d4", 0),
]


def topic():
    for i, (f, t, cap) in enumerate(TOPICS):
        fb, tb = f.encode(), t.encode()
        n = len(fb) + len(tb)
        cut = next(c for c in range(256) if n * c // 255 == len(fb))
        write("topic", f"{i:02d}", bytes([cut, cap]) + fb + tb)


def client_record(h, ctl=0):
    """One record of client_fuzz.cpp: a count, the broker's bytes, a control byte."""
    b = hx(h)
    return bytes([len(b)]) + b + bytes([ctl])


# client_fuzz.cpp subscribes two filters (packet ids 1 and 2), publishes QoS 0, 1 and
# 2 (ids 3 and 4 for the QoS 1 and 2 ones) and starts. Byte 0: bit 0 MQTT 5.0, bit 1
# a valid CONNACK first, bit 2 Session Present on it, bit 3 clean start. Control
# byte: bits 0-4 most bytes per recv() (0: all), bits 5-6 clock step, bit 7 one more
# PUBLISH.
CLIENT = {
    "v311-flows": (0x02, [("90 03 00 01 01", 0), ("90 03 00 02 02", 0x20), ("40 02 00 03", 0),
                          ("50 02 00 04", 0), ("70 02 00 04", 0x20),
                          ("32 09 00 03 'a/b' 00 0A 'hi'", 0), ("34 09 00 03 'a/b' 00 0B 'hi'", 0x03),
                          ("62 02 00 0B", 0), ("D0 00", 0x40)]),
    "v311-resume": (0x06, [("90 03 00 01 01", 0), ("", 0x60), ("20 02 01 00", 0x20), ("40 02 00 03", 0x81)]),
    "v311-pieces": (0x02, [("90 03 00 01 01", 0x01), ("32 09 00 03 'a/b' 00 0A 'hi'", 0x02)]),
    "v5-flows": (0x09, [("20 09 00 00 06 21 00 01 22 00 05", 0x20), ("90 04 00 01 00 01", 0),
                        ("40 03 00 03 10", 0), ("32 0A 00 03 'a/b' 00 0A 00 'hi'", 0), ("E0 01 8B", 0x40)]),
}


def client():
    for name, (mode, records) in CLIENT.items():
        write("client", name, bytes([mode]) + b"".join(client_record(h, c) for h, c in records))


if __name__ == "__main__":
    codec()
    topic()
    client()
