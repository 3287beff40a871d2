#!/usr/bin/env python3
"""Mosquitto compatibility, side by side (issue 9): every case sends the same raw
bytes to mote-broker and to Debian's mosquitto 2.0 (started by this test on another
free port) and compares what each broker sends back, packet by packet, including
when it closes. A case fails where mote-broker differs from mosquitto, unless the
difference is in DIFFERENCES below (which mirrors the table in
docs/mosquitto-compat.md): there the test checks mote-broker's own exact reply and
that mosquitto still behaves as documented, so a stale entry fails too.

Each case names the normative statement it checks, or says "Mosquitto
compatibility" where the spec leaves the choice. 3.1.1 ("v4") and 5.0 ("v5") run
as separate cases where both apply.

Transcript lines: "a< 20 02 00 00" is one packet received on connection a;
"a< CLOSED" the close; "a< OPEN" a connection still open when a close was
expected; "a< QUIET" nothing more within the quiet period; "a< TIMEOUT" fewer
packets than the script waited for.
"""

import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import harness  # noqa: E402
from mqttraw import (Closed, RawClient, connect, decode_vbi, h, pkt, props, publish,  # noqa: E402
                     publish_fields, s, split_packets, subscribe, vbi)

MOSQUITTO = harness.MOSQUITTO
QUIET = 0.4  # seconds of silence that count as "nothing more" (generous for a loaded CI machine)


# --------------------------------------------------------------------- scripts

def run_script(port, steps):
    """Runs `steps` against the broker on `port`; returns the transcript."""
    conns = {}
    out = []
    try:
        for st in steps:
            op, name = st[0], st[1]
            if op == "open":
                conns[name] = RawClient(port, timeout=3.0)
            elif op == "send":
                conns[name].send_ignoring_reset(st[2])
            elif op == "recv":
                _recv(conns[name], name, st[2], out)
            elif op == "close":
                _until_close(conns[name], name, out)
            elif op == "quiet":
                _quiet(conns[name], name, st[2] if len(st) > 2 else QUIET, out)
            elif op == "sleep":
                time.sleep(st[2])
            else:
                raise ValueError(op)
    finally:
        for c in conns.values():
            c.close()
    return out


def _recv(c, name, n, out):
    for _ in range(n):
        try:
            first, body = c.recv_packet(2.0)
        except Closed:
            out.append(name + "< CLOSED")
            return
        except (socket.timeout, TimeoutError):
            out.append(name + "< TIMEOUT")
            return
        out.append(name + "< " + (bytes([first]) + vbi(len(body)) + body).hex(" "))


def _packets(name, data, out):
    try:
        for first, body in split_packets(data):
            out.append(name + "< " + (bytes([first]) + vbi(len(body)) + body).hex(" "))
    except ValueError:
        out.append(name + "< PARTIAL " + data.hex(" "))


def _until_close(c, name, out):
    data, closed = c.read_until_close(1.5)
    _packets(name, data, out)
    out.append(name + ("< CLOSED" if closed else "< OPEN"))


def _quiet(c, name, secs, out):
    data, closed = c.read_until_close(secs)
    _packets(name, data, out)
    out.append(name + ("< CLOSED" if closed else "< QUIET"))


# Script builders. `k` makes client ids and topics unique per case, so that the
# sessions and retained messages of one case never meet another's.

def opened(v, name, cid, **kw):
    return [("open", name), ("send", name, connect(v, client_id=cid, **kw)), ("recv", name, 1)]


def pre(data):
    """A connection whose first bytes are `data`, then read until the close."""
    return [("open", "a"), ("send", "a", data), ("close", "a")]


def after(v, k, data, end="close"):
    """`data` sent after a valid CONNECT; then the close (or quiet)."""
    steps = opened(v, "a", "c" + k) + [("send", "a", data)]
    return steps + ([("close", "a")] if end == "close" else [("quiet", "a")])


def cbody(v, flags, payload, properties=b"\x00", keepalive=10):
    var = s("MQTT") + bytes([v, flags]) + keepalive.to_bytes(2, "big") + (properties if v == 5 else b"")
    return pkt(0x10, var + payload)


def wprops(v):
    return b"\x00" if v == 5 else b""


def sub_body(v, pid, *entries):
    body = pid.to_bytes(2, "big") + wprops(v)
    for topic, opts in entries:
        body += s(topic) + bytes([opts])
    return body


def unsub_body(v, pid, *topics):
    return pid.to_bytes(2, "big") + wprops(v) + b"".join(s(t) for t in topics)


# ----------------------------------------------------------------------- cases

CASES = {}  # name -> (cite, builder(k) -> steps, class tag)


def case(name, cite, steps_fn, tag="default"):
    assert name not in CASES, name
    CASES[name] = (cite, steps_fn, tag)


def both(name, cite, fn, tag="default"):
    """One case per version: fn(v, k) -> steps."""
    for v in (4, 5):
        case("%s_v%d" % (name, v), cite, (lambda v_: lambda k: fn(v_, k))(v), tag)


# 1. CONNECT edge cases (issue 9 item 1).
both("connect_client_id_overlong_utf8", "[MQTT-1.5.3-1] (3.1.1) / [MQTT-1.5.4-1]",
     lambda v, k: pre(cbody(v, 2, s(b"a\xc0\x80"))))
both("connect_client_id_nul", "[MQTT-1.5.3-2] / [MQTT-1.5.4-2]",
     lambda v, k: pre(cbody(v, 2, s(b"a\x00b"))))
both("connect_username_surrogate", "[MQTT-1.5.3-1] / [MQTT-1.5.4-1]",
     lambda v, k: pre(cbody(v, 0x82, s("p" + k) + s(b"\xed\xa0\x80"))))
both("connect_will_topic_nul", "[MQTT-1.5.3-2] / [MQTT-1.5.4-2]",
     lambda v, k: pre(cbody(v, 0x06, s("p" + k) + wprops(v) + s(b"t\x00") + s("x"))))
both("connect_will_topic_empty", "[MQTT-4.7.3-1]",
     lambda v, k: pre(cbody(v, 0x06, s("p" + k) + wprops(v) + s("") + s("x"))))
both("connect_will_topic_wildcard", "[MQTT-3.3.2-2] via [MQTT-3.1.3-11]",
     lambda v, k: pre(cbody(v, 0x06, s("p" + k) + wprops(v) + s("a/#") + s("x"))))
case("connect_password_without_username_v4", "3.1.1 [MQTT-3.1.2-22]",
     lambda k: pre(cbody(4, 0x42, s("p" + k) + s("pw"))))
case("connect_password_without_username_v5", "5.0 §3.1.2.9 allows it",
     lambda k: [("open", "a"), ("send", "a", cbody(5, 0x42, s("p" + k) + s("pw"))), ("recv", "a", 1),
                ("quiet", "a")])
both("connect_will_qos_without_will_flag", "3.1.1 [MQTT-3.1.2-13] / 5.0 [MQTT-3.1.2-11]",
     lambda v, k: pre(cbody(v, 0x0A, s("p" + k))))
both("connect_will_retain_without_will_flag", "3.1.1 [MQTT-3.1.2-15] / 5.0 [MQTT-3.1.2-13]",
     lambda v, k: pre(cbody(v, 0x22, s("p" + k))))
both("connect_will_qos_3", "3.1.1 [MQTT-3.1.2-14] / 5.0 [MQTT-3.1.2-12]",
     lambda v, k: pre(cbody(v, 0x1E, s("p" + k) + wprops(v) + s("t") + s("x"))))
both("connect_reserved_flag", "[MQTT-3.1.2-3]", lambda v, k: pre(cbody(v, 0x03, s("p" + k))))
case("connect_empty_client_id_persistent_v4", "3.1.1 [MQTT-3.1.3-8]", lambda k: pre(cbody(4, 0x00, s(""))))
both("connect_second_connect", "[MQTT-3.1.0-2]",
     lambda v, k: after(v, k, connect(v, client_id="c" + k)))
case("connect_protocol_level_2", "[MQTT-3.1.2-2]", lambda k: pre(h("10 0D 00 04 4D 51 54 54 02 02 00 0A 00 01 70")))
case("connect_protocol_level_6", "[MQTT-3.1.2-2]; Mosquitto compatibility (3.1.1 form)",
     lambda k: pre(h("10 0E 00 04 4D 51 54 54 06 02 00 0A 00 00 01 70")))
case("connect_protocol_level_ff", "[MQTT-3.1.2-2]; Mosquitto compatibility (3.1.1 form)",
     lambda k: pre(h("10 0E 00 04 4D 51 54 54 FF 02 00 0A 00 00 01 70")))
case("connect_protocol_name_mqtu_v4", "[MQTT-3.1.2-1]; Mosquitto compatibility (close)",
     lambda k: pre(h("10 0D 00 04 4D 51 54 55 04 02 00 0A 00 01 70")))
case("connect_protocol_name_mqtu_v5", "[MQTT-3.1.2-1]; Mosquitto compatibility (close)",
     lambda k: pre(h("10 0E 00 04 4D 51 54 55 05 02 00 0A 00 00 01 70")))
case("connect_mqisdp_level_3", "MQTT 3.1", lambda k: [
    ("open", "a"), ("send", "a", pkt(0x10, s("MQIsdp") + bytes([3, 2, 0, 10]) + s("m" + k))), ("recv", "a", 1),
    ("send", "a", h("C0 00")), ("recv", "a", 1)])
case("connect_first_packet_pingreq", "[MQTT-3.1.0-1]", lambda k: pre(h("C0 00")))
case("connect_v5_duplicate_session_expiry", "5.0 §3.1.2.11.2",
     lambda k: pre(connect(5, client_id="d" + k, properties=h("11 00 00 00 0A 11 00 00 00 0A"))))
case("connect_v5_receive_maximum_0", "5.0 §3.1.2.11.3",
     lambda k: pre(connect(5, client_id="d" + k, properties=h("21 00 00"))))
case("connect_v5_topic_alias_property", "5.0 §2.2.2.2",
     lambda k: pre(connect(5, client_id="d" + k, properties=h("23 00 01"))))
case("connect_v5_unknown_property", "5.0 §2.2.2.2 (Malformed)",
     lambda k: pre(connect(5, client_id="d" + k, properties=h("7F 00"))))
case("connect_v5_auth_method", "[MQTT-4.12.0-1]: 0x8C",
     lambda k: pre(connect(5, client_id="d" + k, properties=h("15 00 04") + b"XYZW")))
case("connect_v5_auth_data_without_method", "5.0 §3.1.2.11.10",
     lambda k: pre(connect(5, client_id="d" + k, properties=h("16 00 02 01 02"))))
case("connect_v5_will_property_not_allowed", "5.0 §3.1.3.2",
     lambda k: pre(connect(5, client_id="d" + k, will=("w/t", "x", 0, False, props(h("21 00 05"))))))
case("connect_v5_connack_default_properties", "Mosquitto compatibility (CONNACK properties and order)",
     lambda k: opened(5, "a", "d" + k))
case("connect_v5_keepalive_0_server_keep_alive", "[MQTT-3.2.2-21]; Mosquitto compatibility",
     lambda k: opened(5, "a", "d" + k, keepalive=0))
case("connect_v4_keepalive_0", "3.1.1 §3.1.2.10", lambda k: opened(4, "a", "d" + k, keepalive=0) + [
    ("send", "a", h("C0 00")), ("recv", "a", 1)])
case("connect_v4_empty_client_id_clean", "3.1.1 [MQTT-3.1.3-6]", lambda k: opened(4, "a", "") + [
    ("send", "a", h("C0 00")), ("recv", "a", 1)])

# 2. Packet-level errors after CONNECT (items 2 and 3: codes, no Reason String).
both("sub_packet_id_0", "[MQTT-2.2.1-3]; Mosquitto compatibility (0x81)",
     lambda v, k: after(v, k, pkt(0x82, sub_body(v, 0, ("a", 0)))))
both("unsub_packet_id_0", "[MQTT-2.2.1-3]; Mosquitto compatibility (0x81)",
     lambda v, k: after(v, k, pkt(0xA2, unsub_body(v, 0, "a"))))
both("pub_qos1_packet_id_0", "[MQTT-2.2.1-3]", lambda v, k: after(v, k, publish(v, "t", b"x", qos=1, pid=0)))
both("sub_no_filters", "[MQTT-3.8.3-2] (5.0: Protocol Error)", lambda v, k: after(v, k, pkt(0x82, sub_body(v, 1))))
both("unsub_no_filters", "[MQTT-3.10.3-2] (5.0: Protocol Error)",
     lambda v, k: after(v, k, pkt(0xA2, unsub_body(v, 1))))
both("sub_qos_3", "[MQTT-3.8.3-4] / [MQTT-3.8.3-5]", lambda v, k: after(v, k, pkt(0x82, sub_body(v, 1, ("a", 3)))))
both("sub_reserved_fixed_header_flags", "[MQTT-3.8.1-1]",
     lambda v, k: after(v, k, pkt(0x80, sub_body(v, 1, ("a", 0)))))
both("pub_qos_3", "[MQTT-3.3.1-4]", lambda v, k: after(v, k, pkt(0x36, s("t") + b"\x00\x01" + wprops(v) + b"x")))
both("pub_wildcard_topic", "[MQTT-3.3.2-2]; Mosquitto compatibility (0x82)",
     lambda v, k: after(v, k, publish(v, "a/+", b"x")))
both("pub_empty_topic", "[MQTT-4.7.3-1]", lambda v, k: after(v, k, publish(v, "", b"x")))
both("pub_topic_nul", "[MQTT-1.5.4-2]", lambda v, k: after(v, k, publish(v, "a\x00b", b"x")))
both("pub_dup_on_qos_0", "[MQTT-3.3.1-2]", lambda v, k: after(v, k, publish(v, "t", b"x", dup=True), end="quiet"))
both("pingreq_reserved_flags", "3.1.1 [MQTT-2.2.2-2] / 5.0 [MQTT-2.1.3-1]",
     lambda v, k: after(v, k, h("C1 00"), end="quiet"))
both("pingreq_with_body", "5.0 §3.12 / 3.1.1 §3.12 (no variable header)",
     lambda v, k: after(v, k, h("C0 01 00"), end="quiet"))
both("pingreq_non_minimal_length", "[MQTT-1.5.5-1]", lambda v, k: after(v, k, h("C0 80 00"), end="quiet"))
both("pingresp_from_client", "5.0 §2.1.2 (server-to-client only)", lambda v, k: after(v, k, h("D0 00"), end="quiet"))
both("connack_from_client", "5.0 §2.1.2 (server-to-client only)", lambda v, k: after(v, k, h("20 02 00 00")))
both("packet_type_0", "5.0 §2.1.2 reserved; Mosquitto compatibility (0x82)", lambda v, k: after(v, k, h("00 00")))
both("packet_type_15", "3.1.1 §2.2.1 reserved / [MQTT-4.12.0-7]", lambda v, k: after(v, k, h("F0 00")))
both("pubrel_reserved_flags", "[MQTT-3.6.1-1]", lambda v, k: after(v, k, h("60 02 00 01")))
both("remaining_length_5_bytes", "5.0 §1.5.5 / 3.1.1 §2.2.3", lambda v, k: after(v, k, h("30 FF FF FF FF 7F 00")))
both("disconnect_trailing_bytes", "5.0 §3.14 / 3.1.1 §3.14",
     lambda v, k: after(v, k, h("E0 01 00") if v == 4 else h("E0 03 00 00 00")))
case("disconnect_v5_reason_0x04", "5.0 §3.14.2.1", lambda k: after(5, k, h("E0 01 04")))
case("disconnect_v5_invalid_reason", "5.0 §3.14.2.1", lambda k: after(5, k, h("E0 01 03")))
case("disconnect_v5_session_expiry_after_0", "5.0 §3.14.2.2.2", lambda k: after(5, k, h("E0 07 00 05 11 00 00 00 01")))
case("auth_v5_without_method", "[MQTT-4.12.0-7]", lambda k: after(5, k, h("F0 02 18 00")))
case("pub_v5_topic_alias_0", "[MQTT-3.3.2-8]; Mosquitto compatibility (0x81)",
     lambda k: after(5, k, publish(5, "a/b", b"x", properties=h("23 00 00"))))
case("pub_v5_topic_alias_above_maximum", "[MQTT-3.2.2-17]: 0x94",
     lambda k: after(5, k, publish(5, "a/b", b"x", properties=h("23 FF FF"))))
case("pub_v5_unmapped_topic_alias", "5.0 §3.3.2.3.4: 0x82",
     lambda k: after(5, k, publish(5, "", b"x", properties=h("23 00 01"))))
case("pub_v5_subscription_identifier", "[MQTT-3.3.4-6]",
     lambda k: after(5, k, publish(5, "a/b", b"x", properties=h("0B 01")), end="quiet"))
case("pub_v5_response_topic_wildcard", "[MQTT-3.3.2-14]",
     lambda k: after(5, k, publish(5, "a/b", b"x", properties=h("08 00 01 23")), end="quiet"))
case("pub_v5_payload_format_2", "5.0 §3.3.2.3.2 (values 0 and 1 only)",
     lambda k: after(5, k, publish(5, "a/b", b"x", properties=h("01 02")), end="quiet"))
case("puback_v5_reason_ff", "[MQTT-3.4.2-1]", lambda k: after(5, k, h("40 04 00 09 FF 00"), end="quiet"))
case("sub_v5_no_local_on_shared", "[MQTT-3.8.3-4]",
     lambda k: after(5, k, pkt(0x82, sub_body(5, 1, ("$share/g/a", 4))), end="quiet"))
case("sub_v5_retain_handling_3", "5.0 §3.8.3.1", lambda k: after(5, k, pkt(0x82, sub_body(5, 1, ("a", 0x30)))))
case("sub_v5_subscription_identifier_0", "5.0 §3.8.2.1.2 (Protocol Error)",
     lambda k: after(5, k, pkt(0x82, b"\x00\x01\x02\x0B\x00" + s("a") + b"\x00")))

# 3. SUBSCRIBE / UNSUBSCRIBE reason codes and filters (item 6).
for _f, _n in (("a/#/b", "hash_not_last"), ("a#", "hash_in_level"), ("sport+", "plus_in_level"),
               ("#/x", "hash_first"), ("+a", "plus_prefix")):
    both("sub_bad_wildcard_" + _n, "[MQTT-4.7.1-1] [MQTT-4.7.1-2]; Mosquitto compatibility (Malformed)",
         (lambda f: lambda v, k: after(v, k, pkt(0x82, sub_body(v, 1, ("ok" + k, 0), (f, 0))), end="quiet"))(_f))
for _f, _n in (("$share/p", "no_filter"), ("$share/p/", "empty_filter"), ("$share//t", "empty_name"),
               ("$share/a+b/t", "wildcard_name")):
    both("sub_bad_share_" + _n, "[MQTT-4.8.2-1] [MQTT-4.8.2-2]",
         (lambda f: lambda v, k: after(v, k, pkt(0x82, sub_body(v, 1, (f, 0))), end="quiet"))(_f))
both("sub_shared_ok", "5.0 §4.8.2", lambda v, k: after(v, k, pkt(0x82, sub_body(v, 1, ("$share/g/s" + k, 1))),
                                                        end="quiet"))
both("sub_granted_qos", "[MQTT-3.8.4-6]", lambda v, k: after(v, k, pkt(
    0x82, sub_body(v, 7, ("q0" + k, 0), ("q1" + k, 1), ("q2" + k, 2))), end="quiet"))
both("unsub_not_subscribed", "5.0 §3.11.3 (0x11) / 3.1.1 [MQTT-3.10.4-5]",
     lambda v, k: after(v, k, pkt(0xA2, unsub_body(v, 1, "zz" + k)), end="quiet"))
both("unsub_subscribed", "5.0 §3.11.3 / [MQTT-3.10.4-4]", lambda v, k: after(
    v, k, pkt(0x82, sub_body(v, 1, ("u" + k, 1))) + pkt(0xA2, unsub_body(v, 2, "u" + k, "x" + k)), end="quiet"))


def levels(n):
    return "/".join(["x"] * n)


for _n in (201, 202):
    both("sub_%d_levels" % _n, "[MQTT-4.7.3-3]; Mosquitto compatibility (limit of 200 '/')",
         (lambda n: lambda v, k: after(v, k, pkt(0x82, sub_body(v, 1, (levels(n), 0))), end="quiet"))(_n))
    both("pub_%d_levels" % _n, "[MQTT-4.7.3-3]; Mosquitto compatibility (limit of 200 '/')",
         (lambda n: lambda v, k: after(v, k, publish(v, levels(n), b"x", qos=1, pid=1), end="quiet"))(_n))
both("sub_pub_65535_byte_topic", "[MQTT-4.7.3-3] (65,535 bytes)", lambda v, k: opened(v, "a", "c" + k) + [
    ("send", "a", subscribe(v, 1, ("L" + k).ljust(65535, "z"), 0)), ("recv", "a", 1),
    ("send", "a", publish(v, ("L" + k).ljust(65535, "z"), b"x")), ("recv", "a", 1), ("quiet", "a")])
both("sub_pub_150_levels", "[MQTT-4.7.3-3]", lambda v, k: opened(v, "a", "c" + k) + [
    ("send", "a", subscribe(v, 1, k + "/" + levels(149), 0)), ("recv", "a", 1),
    ("send", "a", publish(v, k + "/" + levels(149), b"x")), ("recv", "a", 1), ("quiet", "a")])


# 4. QoS flows (items 4, 5, 8).
def flow(v, k, q, ack):
    """A subscriber of QoS q gets a message and answers with `ack` first."""
    t = "w/" + k
    return (opened(v, "s", "s" + k) + [("send", "s", subscribe(v, 1, t, q)), ("recv", "s", 1)] +
            opened(v, "p", "p" + k) + [("send", "p", publish(v, t, b"m", qos=q, pid=5)), ("recv", "p", 1)] +
            ([("send", "p", h("62 02 00 05")), ("recv", "p", 1)] if q == 2 else []) +
            [("recv", "s", 1), ("send", "s", h(ack + " 02 00 01")), ("quiet", "s"),
             ("send", "s", h("C0 00")), ("recv", "s", 1),
             ("send", "s", h("40 02 00 01" if q == 1 else "50 02 00 01")), ("quiet", "s")] +
            ([("send", "s", h("70 02 00 01")), ("quiet", "s")] if q == 2 else []))


for _q, _ack, _n in ((1, "50", "pubrec_for_qos1"), (1, "70", "pubcomp_for_qos1"),
                     (2, "40", "puback_for_qos2"), (2, "70", "pubcomp_for_qos2")):
    both("flow_wrong_ack_" + _n, "Mosquitto compatibility (issue 9 item 4: both brokers close)",
         (lambda q, a: lambda v, k: flow(v, k, q, a))(_q, _ack))
both("flow_unknown_pubrel", "[MQTT-4.3.3-11]; Mosquitto compatibility (code 0x00)",
     lambda v, k: after(v, k, h("62 02 00 01"), end="quiet"))
both("flow_unknown_pubrec", "5.0 §4.3.3; Mosquitto compatibility (PUBREL 0x00)",
     lambda v, k: after(v, k, h("50 02 00 01"), end="quiet"))
both("flow_unknown_puback_pubcomp", "[MQTT-4.3.2-5] (ignored)",
     lambda v, k: after(v, k, h("40 02 00 01 70 02 00 01"), end="quiet"))
both("flow_qos2_to_self", "5.0 §4.3.3; Mosquitto compatibility (PUBREC first, onward at PUBREL)",
     lambda v, k: opened(v, "a", "c" + k) + [
         ("send", "a", subscribe(v, 1, "q/" + k, 2)), ("recv", "a", 1),
         ("send", "a", publish(v, "q/" + k, b"m", qos=2, pid=7)), ("quiet", "a"),
         ("send", "a", h("62 02 00 07")), ("recv", "a", 2), ("quiet", "a")])
both("flow_qos1_to_self", "[MQTT-4.3.2-2]", lambda v, k: opened(v, "a", "c" + k) + [
    ("send", "a", subscribe(v, 1, "q/" + k, 1)), ("recv", "a", 1),
    ("send", "a", publish(v, "q/" + k, b"m", qos=1, pid=7)), ("recv", "a", 2), ("quiet", "a")])
both("flow_qos1_no_subscribers", "5.0 §3.4.2.1 0x10 (a MAY); Mosquitto compatibility",
     lambda v, k: after(v, k, publish(v, "nobody/" + k, b"m", qos=1, pid=7), end="quiet"))
both("flow_qos2_no_subscribers", "5.0 §3.5.2.1", lambda v, k: opened(v, "a", "c" + k) + [
    ("send", "a", publish(v, "nobody/" + k, b"m", qos=2, pid=7)), ("recv", "a", 1),
    ("send", "a", h("62 02 00 07")), ("recv", "a", 1), ("quiet", "a")])
both("flow_qos2_resend_before_pubrel", "[MQTT-4.3.3-10]; Mosquitto compatibility (resend replaces)",
     lambda v, k: opened(v, "s", "s" + k) + [("send", "s", subscribe(v, 1, "d/" + k, 2)), ("recv", "s", 1)] +
     opened(v, "p", "p" + k) + [
         ("send", "p", publish(v, "d/" + k, b"1", qos=2, pid=9)), ("recv", "p", 1),
         ("send", "p", publish(v, "d/" + k, b"2", qos=2, pid=9, dup=True)), ("recv", "p", 1), ("quiet", "s"),
         ("send", "p", h("62 02 00 09")), ("recv", "p", 1), ("recv", "s", 1), ("quiet", "s")])
both("flow_qos2_retained_at_pubrel", "[MQTT-3.3.1-5]; Mosquitto compatibility (stored at PUBREL)",
     lambda v, k: opened(v, "p", "p" + k) + [
         ("send", "p", publish(v, "rr/" + k, b"1", qos=2, pid=9, retain=True)), ("recv", "p", 1)] +
     opened(v, "s", "s" + k) + [("send", "s", subscribe(v, 1, "rr/" + k, 2)), ("recv", "s", 1), ("quiet", "s"),
                                 ("send", "p", h("62 02 00 09")), ("recv", "p", 1), ("recv", "s", 1),
                                 ("send", "p", publish(v, "rr/" + k, b"", retain=True)), ("recv", "s", 1)])
both("flow_qos2_lost_without_pubrel", "5.0 §4.3.3; Mosquitto compatibility",
     lambda v, k: opened(v, "s", "s" + k) + [("send", "s", subscribe(v, 1, "e/" + k, 2)), ("recv", "s", 1)] +
     opened(v, "p", "p" + k) + [("send", "p", publish(v, "e/" + k, b"1", qos=2, pid=9)), ("recv", "p", 1),
                                ("send", "p", h("E0 00")), ("quiet", "s")])
both("retained_flags", "[MQTT-3.3.1-8] [MQTT-3.3.1-9] [MQTT-3.3.1-10]", lambda v, k: opened(v, "a", "c" + k) + [
    ("send", "a", publish(v, "r/" + k, b"keep", qos=1, pid=3, retain=True)), ("recv", "a", 1),
    ("send", "a", subscribe(v, 1, "r/#", 1)), ("recv", "a", 2),
    ("send", "a", publish(v, "r/" + k, b"", retain=True)), ("recv", "a", 1), ("quiet", "a")])
case("retain_as_published_v5", "[MQTT-3.3.1-12] [MQTT-3.3.1-13]", lambda k: opened(5, "a", "c" + k) + [
    ("send", "a", publish(5, "rap/" + k, b"keep", retain=True)),
    ("send", "a", subscribe(5, 1, "rap/" + k, 0x08 | 1)), ("recv", "a", 2),
    ("send", "a", publish(5, "rap/" + k, b"two", retain=True)), ("recv", "a", 1),
    ("send", "a", publish(5, "rap/" + k, b"", retain=True)), ("recv", "a", 1), ("quiet", "a")])
case("receive_maximum_window_v5", "[MQTT-3.3.4-9] (issue 9 item 8)", lambda k: opened(
    5, "s", "s" + k, properties=h("21 00 02")) + [("send", "s", subscribe(5, 1, "rm/" + k, 1)), ("recv", "s", 1)] +
    opened(5, "p", "p" + k) + [
        ("send", "p", b"".join(publish(5, "rm/" + k, bytes([48 + i]), qos=1, pid=i + 1) for i in range(5))),
        ("recv", "p", 5), ("recv", "s", 2), ("quiet", "s"),
        ("send", "s", h("40 02 00 01")), ("recv", "s", 1), ("quiet", "s"),
        ("send", "s", h("40 02 00 02 40 02 00 03")), ("recv", "s", 2), ("quiet", "s")])
case("maximum_packet_size_v5", "[MQTT-3.1.2-25] (issue 9 item 8)", lambda k: opened(
    5, "s", "s" + k, properties=h("27 00 00 00 14")) + [("send", "s", subscribe(5, 1, "m/" + k, 1)), ("recv", "s", 1)] +
    opened(5, "p", "p" + k) + [
        ("send", "p", publish(5, "m/" + k, b"a", qos=1, pid=1) + publish(5, "m/" + k, b"B" * 40, qos=1, pid=2) +
         publish(5, "m/" + k, b"c", qos=1, pid=3)), ("recv", "p", 3), ("recv", "s", 2), ("quiet", "s")])
case("receive_maximum_exceeded_v5", "5.0 §3.3.4 (DISCONNECT 0x93; issue 9 item 10)", lambda k: opened(
    5, "p", "p" + k) + [
        ("send", "p", b"".join(publish(5, "x/" + k, b"m", qos=2, pid=i + 1) for i in range(21))),
        ("recv", "p", 20), ("close", "p")])

# 5. Wills (item 7) and takeover.
WILL_DELAY_2 = props(h("18 00 00 00 02"))
EXPIRY_60 = h("11 00 00 00 3C")


def will_case(v, k, first, second, wait=QUIET):
    spy = opened(v, "s", "s" + k) + [("send", "s", subscribe(v, 1, "will/" + k, 0)), ("recv", "s", 1)]
    return spy + opened(v, "w", "w" + k, **first) + second + [("quiet", "s", wait)]


case("will_v5_delay_cancelled_by_reconnect", "[MQTT-3.1.3-9]", lambda k: will_case(
    5, k, dict(clean=False, properties=EXPIRY_60, will=("will/" + k, "gone", 0, False, WILL_DELAY_2)),
    [("send", "w", h("E0 01 04")), ("sleep", "w", 0.3)] + opened(5, "w2", "w" + k, clean=False, properties=EXPIRY_60),
    wait=2.5))
case("will_v5_takeover_delay_2", "[MQTT-3.1.3-9] (new connection within the delay)", lambda k: will_case(
    5, k, dict(clean=False, properties=EXPIRY_60, will=("will/" + k, "gone", 0, False, WILL_DELAY_2)),
    opened(5, "w2", "w" + k, clean=False, properties=EXPIRY_60) + [("close", "w")], wait=2.5))
case("will_v5_takeover_delay_0", "5.0 §3.1.3.2.2 / [MQTT-3.1.4-3]", lambda k: will_case(
    5, k, dict(clean=False, properties=EXPIRY_60, will=("will/" + k, "gone", 0, False)),
    opened(5, "w2", "w" + k, clean=False, properties=EXPIRY_60) + [("close", "w")]))
case("will_v4_takeover_clean", "3.1.1 §3.1.2.5", lambda k: will_case(
    4, k, dict(will=("will/" + k, "gone", 0, False)), opened(4, "w2", "w" + k) + [("close", "w")]))
case("will_v4_takeover_persistent", "3.1.1 §3.1.2.5; Mosquitto compatibility (Will discarded)",
     lambda k: will_case(4, k, dict(clean=False, will=("will/" + k, "gone", 0, False)),
                         opened(4, "w2", "w" + k, clean=False) + [("close", "w")]))
case("will_v5_disconnect_with_will", "5.0 §3.14.2.1 (0x04)", lambda k: will_case(
    5, k, dict(will=("will/" + k, "gone", 0, False, props(h("02 00 00 00 0A")))), [("send", "w", h("E0 01 04"))]))
case("will_v5_normal_disconnect", "[MQTT-3.1.2-10]", lambda k: will_case(
    5, k, dict(will=("will/" + k, "gone", 0, False)), [("send", "w", h("E0 00"))]))
case("will_v4_protocol_error", "3.1.1 §3.1.2.5", lambda k: will_case(
    4, k, dict(will=("will/" + k, "gone", 1, False)), [("send", "w", h("00 00"))]))

# 6. Forwarding of properties (item 9).
case("pub_v5_payload_format_1_invalid_utf8_forwarded", "5.0 §3.3.2.3.2 (validation is a MAY)", lambda k: opened(
    5, "s", "s" + k) + [("send", "s", subscribe(5, 1, "f/" + k, 1)), ("recv", "s", 1)] + opened(5, "p", "p" + k) + [
    ("send", "p", publish(5, "f/" + k, b"\xff", qos=1, pid=1, properties=h("01 01"))), ("recv", "p", 1),
    ("recv", "s", 1)])
case("pub_v5_properties_forwarded", "[MQTT-3.3.2-15] [MQTT-3.3.2-17] [MQTT-3.3.2-20]", lambda k: opened(
    5, "s", "s" + k) + [("send", "s", subscribe(5, 1, "f/" + k, 0)), ("recv", "s", 1)] + opened(5, "p", "p" + k) + [
    ("send", "p", publish(5, "f/" + k, b"x", properties=h("01 01 03 00 01 74 08 00 01 72 09 00 01 63 26 00 01 6B 00 01 76"))),
    ("recv", "s", 1)])

# 6b. Routing rules, both brokers with their defaults.
both("dollar_topics_not_matched_by_wildcards", "[MQTT-4.7.2-1]", lambda v, k: opened(v, "a", "c" + k) + [
    ("send", "a", subscribe(v, 1, "#", 0)), ("recv", "a", 1),
    ("send", "a", subscribe(v, 2, "+/" + k, 0)), ("recv", "a", 1),
    ("send", "a", subscribe(v, 3, "$d" + k + "/#", 0)), ("recv", "a", 1),
    ("send", "a", publish(v, "$d" + k + "/" + k, b"x")), ("recv", "a", 1), ("quiet", "a")])
both("qos_downgraded_to_subscription", "[MQTT-3.8.4-8]", lambda v, k: opened(v, "a", "c" + k) + [
    ("send", "a", subscribe(v, 1, "g/" + k, 0)), ("recv", "a", 1),
    ("send", "a", publish(v, "g/" + k, b"x", qos=1, pid=3)), ("recv", "a", 2), ("quiet", "a")])
both("overlapping_subscriptions", "[MQTT-3.3.4-2]; Mosquitto compatibility (3.1.1: one copy, 5.0: one per "
     "subscription)",
     lambda v, k: opened(v, "a", "c" + k) + [
         ("send", "a", subscribe(v, 1, "o/" + k + "/#", 0)), ("recv", "a", 1),
         ("send", "a", subscribe(v, 2, "o/+/x", 1)), ("recv", "a", 1),
     ] + opened(v, "p", "p" + k) + [("send", "p", publish(v, "o/" + k + "/x", b"m")), ("recv", "a", 1),
                                    ("quiet", "a")])
both("overlapping_subscriptions_order", "[MQTT-3.3.4-2] [MQTT-3.3.4-4]; Mosquitto compatibility (order)",
     lambda v, k: opened(v, "a", "c" + k) + [
         ("send", "a", pkt(0x82, b"\x00\x01" + (b"\x02\x0B\x03" if v == 5 else b"") + s("ov/" + k + "/x") + b"\x02")),
         ("send", "a", pkt(0x82, b"\x00\x02" + (b"\x02\x0B\x04" if v == 5 else b"") + s("ov/#") + b"\x01")),
         ("send", "a", pkt(0x82, b"\x00\x03" + (b"\x02\x0B\x05" if v == 5 else b"") + s("+/" + k + "/x") + b"\x00")),
         ("recv", "a", 3)] + opened(v, "p", "p" + k) + [
         ("send", "p", publish(v, "ov/" + k + "/x", b"m", qos=1, pid=1)), ("recv", "p", 1),
         ("recv", "a", 3 if v == 5 else 1), ("quiet", "a")])
both("unsubscribe_stops_delivery", "[MQTT-3.10.4-1] [MQTT-3.10.4-2]", lambda v, k: opened(v, "a", "c" + k) + [
    ("send", "a", subscribe(v, 1, "us/" + k, 1)), ("recv", "a", 1),
    ("send", "a", pkt(0xA2, unsub_body(v, 2, "us/" + k))), ("recv", "a", 1),
    ("send", "a", publish(v, "us/" + k, b"x")), ("quiet", "a")])
case("no_local_v5", "[MQTT-3.8.3-3]", lambda k: opened(5, "a", "c" + k) + [
    ("send", "a", subscribe(5, 1, "nl/" + k, 0x04)), ("recv", "a", 1),
    ("send", "a", publish(5, "nl/" + k, b"x")), ("quiet", "a")])
case("subscription_identifier_v5", "[MQTT-3.3.4-3]", lambda k: opened(5, "a", "c" + k) + [
    ("send", "a", pkt(0x82, b"\x00\x01\x02\x0B\x07" + s("si/" + k) + b"\x00")), ("recv", "a", 1),
    ("send", "a", publish(5, "si/" + k, b"x")), ("recv", "a", 1), ("quiet", "a")])
case("retain_handling_2_v5", "[MQTT-3.3.1-11]", lambda k: opened(5, "a", "c" + k) + [
    ("send", "a", publish(5, "rh/" + k, b"keep", retain=True)),
    ("send", "a", subscribe(5, 1, "rh/" + k, 0x20)), ("recv", "a", 1), ("quiet", "a"),
    ("send", "a", publish(5, "rh/" + k, b"", retain=True)), ("recv", "a", 1)])
case("retain_handling_1_v5", "[MQTT-3.3.1-10]", lambda k: opened(5, "a", "c" + k) + [
    ("send", "a", publish(5, "rh1/" + k, b"keep", retain=True)),
    ("send", "a", subscribe(5, 1, "rh1/" + k, 0x10)), ("recv", "a", 2),
    ("send", "a", subscribe(5, 2, "rh1/" + k, 0x10)), ("recv", "a", 1), ("quiet", "a"),
    ("send", "a", publish(5, "rh1/" + k, b"", retain=True)), ("recv", "a", 1)])
both("sys_topic_publish_dropped", "Mosquitto compatibility ($SYS is the broker's)",
     lambda v, k: opened(v, "a", "c" + k) + [
         ("send", "a", subscribe(v, 1, "$SYS/x" + k, 0)), ("recv", "a", 1),
         ("send", "a", publish(v, "$SYS/x" + k, b"x", qos=1, pid=4)), ("recv", "a", 1), ("quiet", "a"),
         ("send", "a", publish(v, "$SYS/x" + k, b"x", qos=2, pid=5)), ("recv", "a", 1), ("quiet", "a"),
         ("send", "a", h("62 02 00 05")), ("recv", "a", 1), ("quiet", "a")])

# 6c. Sessions.
both("session_present_and_queued_qos1", "[MQTT-3.2.2-2] [MQTT-4.4.0-1]", lambda v, k: opened(
    v, "s", "s" + k, clean=False, **({"properties": EXPIRY_60} if v == 5 else {})) + [
    ("send", "s", subscribe(v, 1, "sp/" + k, 1)), ("recv", "s", 1),
    ("send", "s", publish(v, "sp/" + k, b"1", qos=1, pid=1)), ("recv", "s", 2),  # PUBACK and the copy, unacked
    ("send", "s", h("E0 00")), ("close", "s")] + opened(v, "p", "p" + k) + [
    ("send", "p", publish(v, "sp/" + k, b"2", qos=1, pid=2)), ("recv", "p", 1),
    ("send", "p", publish(v, "sp/" + k, b"3", qos=0))] + opened(
    v, "s2", "s" + k, clean=False, **({"properties": EXPIRY_60} if v == 5 else {})) + [
    ("recv", "s2", 2), ("quiet", "s2")])
case("session_v5_expiry_0_ends_with_connection", "[MQTT-3.1.2-23]", lambda k: opened(
    5, "s", "s" + k, clean=False) + [("send", "s", h("E0 00")), ("close", "s")] + opened(5, "s2", "s" + k, clean=False))
case("session_v5_disconnect_sets_expiry", "5.0 §3.14.2.2.2", lambda k: opened(
    5, "s", "s" + k, clean=False, properties=EXPIRY_60) + [
    ("send", "s", h("E0 07 00 05 11 00 00 00 00")), ("close", "s")] + opened(5, "s2", "s" + k, clean=False))
case("session_v5_clean_start_discards", "[MQTT-3.1.2-4]", lambda k: opened(
    5, "s", "s" + k, clean=False, properties=EXPIRY_60) + [("send", "s", h("E0 00")), ("close", "s")] + opened(
    5, "s2", "s" + k, clean=True, properties=EXPIRY_60))
both("unsubscribe_shared", "5.0 §4.8.2", lambda v, k: after(
    v, k, pkt(0x82, sub_body(v, 1, ("$share/g/us" + k, 1))) + pkt(0xA2, unsub_body(v, 2, "$share/g/us" + k, "$share/h/us" + k)),
    end="quiet"))

# 6d. Bridges that connect with try_private (issue 13). The bridge bit on the
# Protocol Level (0x83 for 3.1, 0x84 for 3.1.1) is a mosquitto convention, in no
# MQTT spec; mosquitto 2.0 makes such a client's subscriptions No Local (5.0
# [MQTT-3.8.3-3]) and Retain As Published (5.0 [MQTT-3.3.1-12]).
TRY_PRIVATE = "try_private: a mosquitto convention (no spec)"


def bconnect(level, cid, clean=True, name=None):
    """A bridge's CONNECT: `level` with the bridge bit, the name that goes with it."""
    name = name or ("MQIsdp" if level & 0x7F == 3 else "MQTT")
    return pkt(0x10, s(name) + bytes([level, 0x02 if clean else 0, 0, 10]) + s(cid))


def bopened(level, name, cid, clean=True):
    return [("open", name), ("send", name, bconnect(level, cid, clean)), ("recv", name, 1)]


case("connect_bridge_0x84", TRY_PRIVATE, lambda k: bopened(0x84, "a", "b" + k) + [
    ("send", "a", h("C0 00")), ("recv", "a", 1)])
case("connect_bridge_0x83_mqisdp", TRY_PRIVATE + "; MQTT 3.1", lambda k: bopened(0x83, "a", "b" + k) + [
    ("send", "a", h("C0 00")), ("recv", "a", 1)])
case("connect_bridge_0x83_with_mqtt_name", "[MQTT-3.1.2-2]; " + TRY_PRIVATE,
     lambda k: pre(bconnect(0x83, "b" + k, name="MQTT")))
case("connect_bridge_0x84_with_mqisdp_name", "[MQTT-3.1.2-2]; " + TRY_PRIVATE,
     lambda k: pre(bconnect(0x84, "b" + k, name="MQIsdp")))
case("connect_bridge_0x85", "[MQTT-3.1.2-2]; " + TRY_PRIVATE + " (none for 5.0)",
     lambda k: pre(pkt(0x10, s("MQTT") + bytes([0x85, 2, 0, 10, 0]) + s("b" + k))))
case("bridge_no_local_v4", TRY_PRIVATE + "; 5.0 [MQTT-3.8.3-3] semantics", lambda k: bopened(
    0x84, "b", "b" + k) + [("send", "b", subscribe(4, 1, "nl/" + k + "/#", 1)), ("recv", "b", 1)] + opened(
    4, "n", "n" + k) + [("send", "n", subscribe(4, 1, "nl/" + k + "/#", 1)), ("recv", "n", 1),
                        ("send", "b", publish(4, "nl/" + k + "/a", b"from-b")), ("recv", "n", 1), ("quiet", "b"),
                        ("send", "b", publish(4, "nl/" + k + "/a", b"q1", qos=1, pid=4)), ("recv", "b", 1),
                        ("recv", "n", 1), ("quiet", "b"),
                        ("send", "n", publish(4, "nl/" + k + "/b", b"from-n")), ("recv", "n", 1),
                        ("recv", "b", 1), ("quiet", "b")])
case("bridge_no_local_v31", TRY_PRIVATE + "; MQTT 3.1", lambda k: bopened(0x83, "b", "b" + k) + [
    ("send", "b", subscribe(4, 1, "nl3/" + k, 0)), ("recv", "b", 1),
    ("send", "b", publish(4, "nl3/" + k, b"own")), ("quiet", "b")] + [
    ("open", "n"), ("send", "n", pkt(0x10, s("MQIsdp") + bytes([3, 2, 0, 10]) + s("n" + k))), ("recv", "n", 1),
    ("send", "n", publish(4, "nl3/" + k, b"other")), ("recv", "b", 1), ("quiet", "b")])
case("bridge_retained_forwarding_v4", TRY_PRIVATE + "; 5.0 [MQTT-3.3.1-12] semantics, [MQTT-3.3.1-8]",
     lambda k: opened(4, "p", "p" + k) + [
         ("send", "p", publish(4, "rb/" + k, b"keep", qos=1, pid=2, retain=True)), ("recv", "p", 1)] + bopened(
         0x84, "b", "b" + k) + [("send", "b", subscribe(4, 1, "rb/" + k, 1)), ("recv", "b", 2),
                                ("send", "b", h("40 02 00 01"))] + opened(4, "n", "n" + k) + [
         ("send", "n", subscribe(4, 1, "rb/" + k, 0)), ("recv", "n", 2),
         ("send", "p", publish(4, "rb/" + k, b"live", retain=True)), ("recv", "b", 1), ("recv", "n", 1),
         ("send", "p", publish(4, "rb/" + k, b"plain")), ("recv", "b", 1), ("recv", "n", 1),
         ("send", "b", publish(4, "rb/" + k, b"", retain=True)), ("recv", "n", 1), ("quiet", "b"),
         ("send", "n", subscribe(4, 2, "rb/" + k, 0)), ("recv", "n", 1), ("quiet", "n")])
case("bridge_options_stay_with_the_session_v4", TRY_PRIVATE + "; [MQTT-3.2.2-2]", lambda k: bopened(
    0x84, "b", "g" + k, clean=False) + [("send", "b", subscribe(4, 1, "so/" + k, 1)), ("recv", "b", 1),
                                         ("send", "b", h("E0 00")), ("close", "b")] + opened(
    4, "c", "g" + k, clean=False) + [("send", "c", publish(4, "so/" + k, b"own")), ("quiet", "c")] + opened(
    4, "n", "n" + k) + [("send", "n", publish(4, "so/" + k, b"other", retain=True)), ("recv", "c", 1),
                        ("send", "n", publish(4, "so/" + k, b"", retain=True)), ("recv", "c", 1),
                        ("send", "c", h("E0 00")), ("close", "c")] + opened(4, "d", "g" + k))
case("bridge_shared_subscription_v4", TRY_PRIVATE + "; 5.0 [MQTT-3.8.3-4]", lambda k: bopened(
    0x84, "b", "b" + k) + [("send", "b", subscribe(4, 1, "$share/g/sh/" + k, 0)), ("recv", "b", 1),
                           ("send", "b", publish(4, "sh/" + k, b"own", retain=True)), ("recv", "b", 1),
                           ("send", "b", publish(4, "sh/" + k, b"", retain=True)), ("recv", "b", 1),
                           ("quiet", "b")])

# 7. With limits configured the same way in both brokers (class Limits).
LIMITS_CONF = ("max_keepalive 60", "max_packet_size 1000", "retain_available false",
               "max_inflight_messages 5")
case("limits_v5_connack", "Mosquitto compatibility (CONNACK properties and order)",
     lambda k: opened(5, "a", "d" + k), tag="limits")
case("limits_v5_server_keep_alive", "[MQTT-3.2.2-21] [MQTT-3.2.2-22]",
     lambda k: opened(5, "a", "d" + k, keepalive=100), tag="limits")
case("limits_v5_keepalive_0", "[MQTT-3.2.2-21]; Mosquitto compatibility",
     lambda k: opened(5, "a", "d" + k, keepalive=0), tag="limits")
case("limits_v4_keepalive_above_max", "Mosquitto compatibility (CONNACK 0x02)",
     lambda k: pre(connect(4, client_id="d" + k, keepalive=100)), tag="limits")
case("limits_v4_keepalive_0", "Mosquitto compatibility (CONNACK 0x02 when max_keepalive is set)",
     lambda k: pre(connect(4, client_id="d" + k, keepalive=0)), tag="limits")
case("limits_v5_retain_not_supported", "[MQTT-3.2.2-14]: 0x9A",
     lambda k: after(5, k, publish(5, "r/" + k, b"x", retain=True)), tag="limits")
case("limits_v5_will_retain_not_supported", "5.0 §3.2.2.3.5: CONNACK 0x9A",
     lambda k: pre(connect(5, client_id="d" + k, will=("w/" + k, "x", 0, True))), tag="limits")
case("limits_v5_packet_too_large", "[MQTT-3.2.2-15] §3.2.2.3.6: 0x95",
     lambda k: after(5, k, publish(5, "big/" + k, b"x" * 1100)), tag="limits")
case("limits_v5_receive_maximum_exceeded", "5.0 §3.3.4: 0x93", lambda k: opened(5, "p", "p" + k) + [
    ("send", "p", b"".join(publish(5, "x/" + k, b"m", qos=2, pid=i + 1) for i in range(6))),
    ("recv", "p", 5), ("close", "p")], tag="limits")

# Documented differences (docs/mosquitto-compat.md): case -> (reason, mote-broker's
# exact transcript). Everything else must match mosquitto line for line.
CONNACK5 = "a< 20 09 00 00 06 22 00 0a 21 00 14"
CONNACK4 = "a< 20 02 00 00"
SPEC_CONNACK = "5.0 §4.13.1 lets the server send CONNACK with the reason code before closing; " \
               "Mote does (a reason code on the wire), mosquitto closes without one"
SPEC_DISCONNECT = "5.0 §4.13.1: the server SHOULD send DISCONNECT with the reason code; " \
                  "mosquitto closes without one"


KEEPALIVE_V4 = ("HOSTILE row 34: 3.1.1 cannot tell a client the maximum, so a Keep Alive above "
                "max_keepalive (or 0 when one is set) is refused with CONNACK 0x02; mosquitto 2.0.11 applies "
                "max_keepalive to MQTT 5 clients only (its changelog) and accepts it")


def _connack_close(code):
    return ["a< 20 03 00 %s 00" % code, "a< CLOSED"]


def _disc(v, code):
    return [CONNACK5, "a< e0 01 %s" % code, "a< CLOSED"] if v == 5 else [CONNACK4, "a< CLOSED"]


DIFFERENCES = {
    "connect_client_id_overlong_utf8_v5": (SPEC_CONNACK, _connack_close("81")),
    "connect_client_id_nul_v5": (SPEC_CONNACK, _connack_close("81")),
    "connect_username_surrogate_v5": (SPEC_CONNACK, _connack_close("81")),
    "connect_will_topic_nul_v5": (SPEC_CONNACK, _connack_close("81")),
    "connect_will_topic_empty_v5": (SPEC_CONNACK, _connack_close("82")),
    "connect_will_topic_wildcard_v5": (SPEC_CONNACK, _connack_close("81")),
    "connect_will_qos_without_will_flag_v5": (SPEC_CONNACK, _connack_close("81")),
    "connect_will_retain_without_will_flag_v5": (SPEC_CONNACK, _connack_close("81")),
    "connect_will_qos_3_v5": (SPEC_CONNACK, _connack_close("81")),
    "connect_reserved_flag_v5": (SPEC_CONNACK, _connack_close("81")),
    "connect_v5_duplicate_session_expiry": (SPEC_CONNACK, _connack_close("82")),
    "connect_v5_receive_maximum_0": (SPEC_CONNACK, _connack_close("82")),
    "connect_v5_topic_alias_property": (SPEC_CONNACK, _connack_close("82")),
    "connect_v5_unknown_property": (SPEC_CONNACK, _connack_close("81")),
    "connect_v5_will_property_not_allowed": (SPEC_CONNACK, _connack_close("82")),
    "connect_v5_auth_data_without_method": (
        "5.0 §3.1.2.11.10: Authentication Data without Authentication Method is a Protocol Error; "
        "mosquitto accepts the CONNECT", _connack_close("82")),
    "connect_second_connect_v5": (SPEC_DISCONNECT, _disc(5, "82")),
    "connack_from_client_v5": (SPEC_DISCONNECT, _disc(5, "82")),
    "packet_type_15_v5": (SPEC_DISCONNECT, _disc(5, "82")),
    "pubrel_reserved_flags_v5": (SPEC_DISCONNECT, _disc(5, "81")),
    "remaining_length_5_bytes_v5": (SPEC_DISCONNECT, _disc(5, "81")),
    "disconnect_trailing_bytes_v5": (SPEC_DISCONNECT, _disc(5, "81")),
    "disconnect_v5_invalid_reason": (SPEC_DISCONNECT, _disc(5, "82")),
    "auth_v5_without_method": (SPEC_DISCONNECT, _disc(5, "82")),
    "sub_no_filters_v5": ("[MQTT-3.8.3-2]: a SUBSCRIBE without payload is a Protocol Error (0x82); "
                          "mosquitto sends 0x81", _disc(5, "82")),
    "unsub_no_filters_v5": ("[MQTT-3.10.3-2]: an UNSUBSCRIBE without payload is a Protocol Error (0x82); "
                            "mosquitto sends 0x81", _disc(5, "82")),
    "sub_v5_subscription_identifier_0": ("5.0 §3.8.2.1.2: Subscription Identifier 0 is a Protocol Error (0x82); "
                                         "mosquitto sends 0x81", _disc(5, "82")),
}
for _v in (4, 5):
    DIFFERENCES.update({
        "pub_dup_on_qos_0_v%d" % _v: ("[MQTT-3.3.1-2]: DUP MUST be 0 on QoS 0 (Malformed); mosquitto accepts it",
                                      _disc(_v, "81")),
        "pingreq_reserved_flags_v%d" % _v: ("3.1.1 [MQTT-2.2.2-2] / 5.0 [MQTT-2.1.3-1]: invalid flags MUST "
                                            "close (Malformed); mosquitto answers PINGRESP", _disc(_v, "81")),
        "pingreq_with_body_v%d" % _v: ("§3.12: PINGREQ has no variable header or payload (Malformed); "
                                       "mosquitto answers PINGRESP", _disc(_v, "81")),
        "pingreq_non_minimal_length_v%d" % _v: ("[MQTT-1.5.5-1]: minimum bytes in a Variable Byte Integer "
                                                "(Malformed); mosquitto answers PINGRESP", _disc(_v, "81")),
        "pingresp_from_client_v%d" % _v: ("§2.1.2: PINGRESP is server-to-client only (Protocol Error); "
                                          "mosquitto ignores it", _disc(_v, "82")),
    })
    _sub_ok = ("a< 90 03 00 01 %s" if _v == 4 else "a< 90 04 00 01 00 %s")
    _con = CONNACK4 if _v == 4 else CONNACK5
    for _n in ("no_filter", "empty_filter", "empty_name", "wildcard_name"):
        DIFFERENCES["sub_bad_share_%s_v%d" % (_n, _v)] = (
            "[MQTT-4.8.2-1] [MQTT-4.8.2-2]: not a valid shared subscription; Mote refuses the entry (0x8F, 3.1.1 "
            "0x80) where mosquitto subscribes to it as a plain filter or closes",
            [_con, _sub_ok % ("80" if _v == 4 else "8f"), "a< QUIET"])
DIFFERENCES.update({
    "pub_v5_subscription_identifier": ("[MQTT-3.3.4-6]: a client MUST NOT send it (Protocol Error); mosquitto "
                                       "ignores it", _disc(5, "82")),
    "pub_v5_response_topic_wildcard": ("[MQTT-3.3.2-14]: the Response Topic MUST NOT contain wildcards "
                                       "(Protocol Error); mosquitto forwards it", _disc(5, "82")),
    "pub_v5_payload_format_2": ("5.0 §3.3.2.3.2 defines only 0 and 1; Mote treats another value as a "
                                "Protocol Error like every other 0/1 property; mosquitto forwards it",
                                _disc(5, "82")),
    "puback_v5_reason_ff": ("[MQTT-3.4.2-1]: 0xFF is not a PUBACK reason code (Protocol Error); mosquitto "
                            "ignores it", _disc(5, "82")),
    "sub_v5_no_local_on_shared": ("[MQTT-3.8.3-4]: No Local on a shared subscription is a Protocol Error; "
                                  "mosquitto grants it", _disc(5, "82")),
    "flow_wrong_ack_pubrec_for_qos1_v5": (SPEC_DISCONNECT, None),
    "flow_wrong_ack_pubcomp_for_qos1_v5": (SPEC_DISCONNECT, None),
    "flow_wrong_ack_puback_for_qos2_v5": (SPEC_DISCONNECT, None),
    "flow_wrong_ack_pubcomp_for_qos2_v5": (SPEC_DISCONNECT, None),
    "receive_maximum_window_v5": ("[MQTT-3.3.4-9]: never more than Receive Maximum unacknowledged; mosquitto "
                                  "2.0.11 sends one more once the window reopens", None),
    "receive_maximum_exceeded_v5": ("5.0 §3.3.4: the server uses DISCONNECT 0x93 (issue 9 item 10); "
                                    "mosquitto answers the extra PUBLISH with PUBREC 0x97", None),
    "will_v5_takeover_delay_0": ("[MQTT-3.1.4-3] DISCONNECT 0x8E to the old connection (mosquitto closes "
                                 "without it); 5.0 §3.1.3.2.2: with Will Delay 0 the old Will is sent at its "
                                 "close, mosquitto discards it", None),
    "limits_v5_receive_maximum_exceeded": ("5.0 §3.3.4: the server uses DISCONNECT 0x93 (issue 9 item "
                                           "10); mosquitto answers the extra PUBLISH with PUBREC 0x97", None),
    "limits_v4_keepalive_above_max": (KEEPALIVE_V4, ["a< 20 02 00 02", "a< CLOSED"]),
    "limits_v4_keepalive_0": (KEEPALIVE_V4, ["a< 20 02 00 02", "a< CLOSED"]),
    "connect_bridge_0x85": ("3.1.1 [MQTT-3.1.2-2]: an unsupported Protocol Level gets CONNACK 0x01, then the "
                            "close; 0x85 (the try_private bit on 5.0) is no level either broker supports, and "
                            "mosquitto 2.0.11 closes without a CONNACK", ["a< 20 02 00 01", "a< CLOSED"]),
    "will_v5_takeover_delay_2": ("[MQTT-3.1.4-3]: DISCONNECT 0x8E to the old connection; mosquitto closes "
                                 "without it", None),
})


def _expected_mote(name, k, mosq):
    """mote-broker's documented transcript for a difference: the explicit one, or
    (None) the fix-ups below that depend on the case's own bytes."""
    exp = DIFFERENCES[name][1]
    if exp is not None:
        return exp
    if name.startswith("flow_wrong_ack_") and name.endswith("_v5"):
        # mosquitto: a plain close; Mote: DISCONNECT 0x82 first.
        i = mosq.index("s< CLOSED")
        return mosq[:i] + ["s< e0 01 82"] + mosq[i:]
    if name == "receive_maximum_window_v5":
        # Receive Maximum 2: two in flight, one more per PUBACK, never three.
        pubs = ["s< " + publish(5, "rm/" + k, bytes([48 + i]), qos=1, pid=i + 1).hex(" ") for i in range(5)]
        return mosq[:8] + pubs[:2] + ["s< QUIET"] + pubs[2:3] + ["s< QUIET"] + pubs[3:5] + ["s< QUIET"]
    if name in ("receive_maximum_exceeded_v5", "limits_v5_receive_maximum_exceeded"):
        return mosq[:-2] + ["p< e0 01 93", "p< CLOSED"]
    if name == "will_v5_takeover_delay_2":
        i = mosq.index("w< CLOSED")
        return mosq[:i] + ["w< e0 01 8e"] + mosq[i:]
    if name == "will_v5_takeover_delay_0":
        i = mosq.index("w< CLOSED")
        will = publish(5, "will/" + k, b"gone").hex(" ")
        return mosq[:i] + ["w< e0 01 8e", "w< CLOSED", "s< " + will, "s< QUIET"]
    return None


# ------------------------------------------------------------------------ tests

class SideBySide(unittest.TestCase):
    """One mote-broker and one mosquitto for the whole class."""

    CONF = ()
    brokers = None

    @classmethod
    def setUpClass(cls):
        if not harness.is_mote():
            raise unittest.SkipTest("MOTE_BROKER is not set: nothing to compare with mosquitto")
        cls.brokers = []
        for binary in (harness.broker_binary(), MOSQUITTO):
            cls.brokers.append(harness.Broker(cls.CONF, binary=binary).start())

    @classmethod
    def tearDownClass(cls):
        problems = [b.shutdown_problem() for b in cls.brokers or ()]
        problems = [p for p in problems if p]
        if problems:
            raise AssertionError("\n".join(problems))

    def both(self, steps_fn, k):
        """The transcripts of mote-broker and mosquitto, run at the same time."""
        results = [None, None]
        errors = [None, None]

        def run(i):
            try:
                results[i] = run_script(self.brokers[i].port, steps_fn(k))
            except Exception as e:  # reported below, with the broker that raised it
                errors[i] = e

        threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for i, e in enumerate(errors):
            if e is not None:
                raise AssertionError("%s: script error: %r" % (("mote-broker", "mosquitto")[i], e))
        return results

    def compare(self, name):
        cite, steps_fn, _tag = CASES[name]
        k = "%x" % (abs(hash(name)) % 0xFFFFFF)
        mote, mosq = self.both(steps_fn, k)
        report = "\n%s (%s)\n  mote-broker: %s\n  mosquitto:   %s" % (name, cite, mote, mosq)
        if name not in DIFFERENCES:
            self.assertEqual(mote, mosq, "differs from mosquitto without a documented reason:" + report)
            return
        self.assertNotEqual(mote, mosq, "documented difference no longer differs (update the table):" + report)
        exp = _expected_mote(name, k, mosq)
        if exp is not None:
            self.assertEqual(mote, exp, "mote-broker's documented reply changed:" + report)


def _make_test(name):
    def test(self):
        self.compare(name)
    test.__doc__ = "%s: %s" % (name, CASES[name][0])
    return test


class Defaults(SideBySide):
    """Both brokers with their defaults."""


class Limits(SideBySide):
    """Both brokers with the same limits configured (LIMITS_CONF)."""

    CONF = LIMITS_CONF


for _name, (_cite, _fn, _tag) in CASES.items():
    setattr(Defaults if _tag == "default" else Limits, "test_" + _name, _make_test(_name))


def connack_props(body):
    """[(id, raw value)] of a v5 CONNACK body, in order."""
    plen, pos = decode_vbi(body, 2)
    end, out = pos + plen, []
    fixed = {0x11: 4, 0x21: 2, 0x22: 2, 0x24: 1, 0x25: 1, 0x27: 4, 0x28: 1, 0x29: 1, 0x2A: 1, 0x13: 2}
    while pos < end:
        pid = body[pos]
        pos += 1
        n = fixed.get(pid)
        if n is None:  # a UTF-8 string property (0x12 Assigned Client Identifier, ...)
            n = 2 + int.from_bytes(body[pos:pos + 2], "big")
        out.append((pid, body[pos:pos + n]))
        pos += n
    return out


class Scenarios(SideBySide):
    """Side-by-side cases whose replies carry values that legitimately differ
    (generated client identifiers, times): the structure is compared."""

    def test_assigned_client_identifier_v5(self):
        """[MQTT-3.2.2-16] [MQTT-3.1.3-7]: an empty Client Identifier gets one in the
        CONNACK, in the same property order as mosquitto's; the identifier works for a
        later session (Session Present 1)."""
        shapes = []
        for b in self.brokers:
            c = RawClient(b.port)
            self.addCleanup(c.close)
            first, body = c.handshake(connect(5, client_id="", clean=False, properties=EXPIRY_60))
            self.assertEqual((first, body[:2]), (0x20, h("00 00")))
            pr = connack_props(body)
            ids = [v for p, v in pr if p == 0x12]
            self.assertEqual(len(ids), 1, "no Assigned Client Identifier: %s" % body.hex(" "))
            assigned = ids[0][2:].decode()
            self.assertTrue(assigned)
            shapes.append([p for p, _v in pr])
            c.send(h("E0 00"))
            c.read_until_close(1.0)
            c2 = RawClient(b.port)
            self.addCleanup(c2.close)
            first, body = c2.handshake(connect(5, client_id=assigned, clean=False, properties=EXPIRY_60))
            self.assertEqual((first, body[:2]), (0x20, h("01 00")), "session not kept for " + assigned)
        self.assertEqual(shapes[0], shapes[1], "CONNACK property order differs from mosquitto")

    def test_message_expiry_forwarded_v5(self):
        """[MQTT-3.3.2-6]: the Message Expiry Interval is forwarded minus the time
        the message waited (10 s, queued for about 1.2 s: 8 or 9 in both)."""
        for b in self.brokers:
            s1 = RawClient(b.port)
            self.addCleanup(s1.close)
            s1.connect_ok(5, client_id="ex-s", clean=False, properties=EXPIRY_60)
            s1.send(subscribe(5, 1, "ex/t", 1))
            self.assertEqual(s1.recv_packet()[0], 0x90)
            s1.send(h("E0 00"))
            s1.read_until_close(1.0)
            p = RawClient(b.port)
            self.addCleanup(p.close)
            p.connect_ok(5, client_id="ex-p")
            p.send(publish(5, "ex/t", b"x", qos=1, pid=1, properties=h("02 00 00 00 0A")))
            self.assertEqual(p.recv_packet()[0], 0x40)
            time.sleep(1.2)
            s2 = RawClient(b.port)
            self.addCleanup(s2.close)
            s2.connect_ok(5, client_id="ex-s", clean=False, properties=EXPIRY_60)
            first, body = s2.recv_packet()
            self.assertEqual(first & 0xF0, 0x30)
            prop = publish_fields(5, first, body)[5]
            self.assertEqual(prop[:1], b"\x02", "no Message Expiry Interval: %s" % body.hex(" "))
            self.assertIn(int.from_bytes(prop[1:5], "big"), (8, 9), "%s: %s" % (b.binary, body.hex(" ")))


class MoteOnly(unittest.TestCase):
    """Mote behaviour with no mosquitto counterpart to compare with."""

    def broker(self, conf=()):
        if not harness.is_mote():
            raise unittest.SkipTest("MOTE_BROKER is not set")
        b = harness.Broker(conf).start()

        def stop():
            problem = b.shutdown_problem()
            if problem:
                raise AssertionError(problem)
        self.addCleanup(stop)
        return b

    def test_reason_strings_option(self):
        """Issue 9 item 2: `reason_strings true` (Mote option) adds the cause as a
        Reason String (0x1F) to an error DISCONNECT; the default sends none."""
        for conf, with_string in (((), False), (("reason_strings true",), True)):
            b = self.broker(conf)
            c = RawClient(b.port)
            self.addCleanup(c.close)
            c.connect_ok(5)
            c.send(publish(5, "a/b", b"x", properties=h("23 FF FF")))
            data, closed = c.read_until_close(1.5)
            self.assertTrue(closed)
            ((first, body),) = split_packets(data)
            self.assertEqual((first, body[:1]), (0xE0, b"\x94"))
            if with_string:
                self.assertEqual(body[2:3], b"\x1F", body.hex(" "))
                self.assertIn(b"topic alias", body)
            else:
                self.assertEqual(body, b"\x94", body.hex(" "))

    def test_lingering_close_delivers_the_disconnect(self):
        """Issue 9 item 10: a subscriber that does not read has megabytes queued when
        it commits a protocol error (PINGREQ with flags, [MQTT-2.1.3-1]) and keeps
        sending. The DISCONNECT 0x81 after the queued data must still arrive: the
        broker half-closes and drains input instead of closing with unread input,
        which would reset the connection and drop what was not yet sent."""
        b = self.broker()
        a = RawClient(b.port, timeout=5.0)
        self.addCleanup(a.close)
        a.connect_ok(5, client_id="linger-a")
        a.send(subscribe(5, 1, "big/t", 0))
        self.assertEqual(a.recv_packet()[0], 0x90)
        p = RawClient(b.port)
        self.addCleanup(p.close)
        p.connect_ok(5, client_id="linger-p")
        for _ in range(40):
            p.send(publish(5, "big/t", b"x" * 100000))
        time.sleep(0.5)
        a.send_ignoring_reset(h("C1 00") + publish(5, "j", b"j" * 50000) * 4)
        time.sleep(0.5)
        data, closed = a.read_until_close(5.0)
        self.assertTrue(closed, "not closed")
        packets = split_packets(data)  # raises on a truncated stream
        self.assertEqual(packets[-1], (0xE0, b"\x81"), "last packet %02x %s" % (
            packets[-1][0], packets[-1][1][:8].hex(" ")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
