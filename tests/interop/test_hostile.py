#!/usr/bin/env python3
"""The hostile-input bank: rows 1-62 of /work/shared/HOSTILE_INPUTS.md, sent as raw
bytes to the real broker, asserting the exact reply (decoded to reason codes where
the spec allows several encodings) or the close within 1 s. After every case a
well-behaved client on another connection must still connect, subscribe and
receive a publish ("Other clients are unaffected").

Reply forms accepted, following the specs:
- MQTT 5 error after CONNACK: one DISCONNECT whose reason code is in the row's set
  (E0 01 RC, or E0 02 RC 00, or with a Reason String), then the close. v5 §4.13.1
  says the server SHOULD send it; HOSTILE_INPUTS.md asks for it, so it is required
  unless the row says "or CLOSE".
- MQTT 5 error in CONNECT: a CONNACK with the row's reason code then the close; a
  plain close is accepted only where the row says the CONNACK is optional ("MAY").
- MQTT 3.1.1 errors: the close with no bytes at all (3.1.1 has no DISCONNECT from
  the server and no CONNACK code for malformed packets).
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from mqttraw import (C4, C5, RawClient, connect, connack_properties, decode_vbi, h,  # noqa: E402
                     pkt, props, publish, publish_fields, s, split_packets, subscribe, vbi)

MAX_PACKET = 65536
MAX_KEEPALIVE = 60
HOSTILE_CONF = ("max_packet_size %d" % MAX_PACKET, "max_keepalive %d" % MAX_KEEPALIVE)
# A short CONNECT timer keeps row 6 (truncated packet then silence) quick.
HOSTILE_MOTE_CONF = ("connect_timeout 2",)

PROTOCOL_ERROR, MALFORMED = 0x82, 0x81


class HostileBase(harness.BrokerTestCase):
    CONF = HOSTILE_CONF
    MOTE_CONF = HOSTILE_MOTE_CONF
    _health_n = 0

    # --- connections -------------------------------------------------------------

    def client(self):
        c = RawClient(self.port)
        self.addCleanup(c.close)
        return c

    def connected(self, version, connect_bytes=None):
        """A connection after a valid C4/C5 (or the given CONNECT) and its CONNACK."""
        c = self.client()
        first, body = c.handshake(connect_bytes or (C5 if version == 5 else C4))
        self.assertEqual(first, 0x20, "CONNACK expected")
        self.assertEqual(body[1], 0, "CONNECT refused: %s" % body.hex(" "))
        return c

    # --- expectations ------------------------------------------------------------

    def read_close(self, c, timeout=1.0):
        data, closed = c.read_until_close(timeout)
        self.assertTrue(closed, "connection not closed within %.1f s (received %r)"
                        % (timeout, data.hex(" ")))
        return data

    def expect_close(self, c, timeout=1.0):
        """Closed within timeout, nothing sent back."""
        data = self.read_close(c, timeout)
        self.assertEqual(data.hex(" "), "", "expected a plain close, got bytes")

    def check_reason_props(self, body, at):
        """v5 reason code followed by a well-formed property block (if any)."""
        if len(body) > at + 1:
            r = decode_vbi(body, at + 1)
            self.assertIsNotNone(r, "bad property length in %s" % body.hex(" "))
            plen, pos = r
            self.assertEqual(pos + plen, len(body), "property length mismatch: %s" % body.hex(" "))

    def expect_disconnect(self, c, reasons, allow_close=False, timeout=1.0):
        """v5: one DISCONNECT with a reason in `reasons`, then close."""
        data = self.read_close(c, timeout)
        if not data and allow_close:
            return None
        packets = split_packets(data)
        self.assertEqual(len(packets), 1, "expected one DISCONNECT, got %s" % data.hex(" "))
        first, body = packets[0]
        self.assertEqual(first, 0xE0, "expected DISCONNECT, got %s" % data.hex(" "))
        rc = body[0] if body else 0
        self.assertIn(rc, set(reasons), "DISCONNECT reason 0x%02x, expected one of %s (bytes %s)"
                      % (rc, ["0x%02x" % r for r in sorted(reasons)], data.hex(" ")))
        self.check_reason_props(body, 0)
        return rc

    def expect_connack_refusal(self, c, reasons, allow_close=False, v4_codes=None):
        """A CONNACK with a reason in `reasons` (v5 form) or `v4_codes` (3.1.1 form),
        then the close; a plain close only if allow_close."""
        data = self.read_close(c)
        if not data and allow_close:
            return None
        packets = split_packets(data)
        self.assertEqual(len(packets), 1, "expected one CONNACK, got %s" % data.hex(" "))
        first, body = packets[0]
        self.assertEqual(first, 0x20, "expected CONNACK, got %s" % data.hex(" "))
        # Session Present is 0 with a non-zero return code [MQTT-3.2.2-6]/[MQTT-3.2.2-4].
        self.assertEqual(body[0], 0, "Session Present set on refusal: %s" % data.hex(" "))
        if len(body) == 2 and v4_codes is not None:
            self.assertIn(body[1], set(v4_codes), "3.1.1 CONNACK code: %s" % data.hex(" "))
        else:
            self.assertGreaterEqual(len(body), 3, "short v5 CONNACK: %s" % data.hex(" "))
            self.assertIn(body[1], set(reasons), "CONNACK reason 0x%02x, expected %s (bytes %s)"
                          % (body[1], ["0x%02x" % r for r in sorted(reasons)], data.hex(" ")))
            self.check_reason_props(body, 1)
        return body[1]

    def expect_alive(self, c):
        """The connection still works: PINGREQ gets exactly PINGRESP."""
        c.send(h("C0 00"))
        first, body = c.recv_packet(1.0)
        self.assertEqual((first, body), (0xD0, b""), "expected PINGRESP")

    def spy(self, version=5, topic="#"):
        """A subscriber that must not see the offending message."""
        c = self.client()
        c.connect_ok(version, client_id="spy-%s" % id(c))
        c.send(subscribe(version, 1, topic, 0))
        first, _ = c.recv_packet()
        self.assertEqual(first, 0x90)
        return c

    def expect_nothing_forwarded(self, spy, within=0.3):
        data, closed = spy.read_until_close(within)
        self.assertFalse(closed, "spy connection closed")
        self.assertEqual(data.hex(" "), "", "offending message was forwarded")

    # --- the "other clients are unaffected" check after every case ----------------

    def health_check(self):
        HostileBase._health_n += 1
        n = HostileBase._health_n
        topic = "health/%d" % n
        with RawClient(self.port) as c:
            c.connect_ok(5, client_id="health-%d" % n)
            c.send(subscribe(5, 1, topic, 0))
            first, body = c.recv_packet()
            self.assertEqual((first, body), (0x90, h("00 01 00 00")), "health SUBACK")
            c.send(publish(5, topic, b"ok"))
            first, body = c.recv_packet()
            self.assertEqual(first, 0x30, "health PUBLISH")
            self.assertEqual(publish_fields(5, first, body)[:2], (topic, b"ok"))
            c.send(h("E0 00"))

    def tearDown(self):
        try:
            self.assertTrue(self.broker.alive(), "broker died")
            self.health_check()
        finally:
            super().tearDown()


def v5_sub_body(pid, topic, options=0, properties=b"\x00"):
    return pid.to_bytes(2, "big") + properties + s(topic) + bytes([options])


# Table of single-packet cases: (name, row, spec, version, payload hex or bytes,
# expectation). version 5/4 = sent after C5/C4 and its CONNACK; "pre" = sent as the
# first bytes of the connection. Expectations:
#   ("close",)                  closed, nothing sent
#   ("disc", {codes})           v5 DISCONNECT with one of the codes, then close
#   ("disc_or_close", {codes})  the same, or a plain close (row says "/ CLOSE")
#   ("connack", {codes})        CONNACK with one of the codes, then close
#   ("connack_or_close", {codes}) the same, or a plain close (CONNACK is a MAY)
SUB_A = v5_sub_body(1, "a")
CASES = [
    # 1 Framing
    ("r01_rl_5_bytes_first_packet", 1, "v5 §1.5.5, 3.1.1 §2.2.3", "pre",
     "10 FF FF FF FF 7F 00 00 00", ("close",)),
    ("r01_rl_5_bytes_v5", 1, "v5 §1.5.5", 5, "30 FF FF FF FF 7F 00 00 00",
     ("disc_or_close", {MALFORMED})),
    ("r01_rl_5_bytes_v311", 1, "3.1.1 §2.2.3", 4, "30 FF FF FF FF 7F 00 00 00", ("close",)),
    ("r02_non_minimal_vbi_pingreq_v5", 2, "[MQTT-1.5.5-1]", 5, "C0 80 00",
     ("disc", {MALFORMED})),
    ("r02_non_minimal_vbi_pingreq_v311", 2, "[MQTT-1.5.5-1] (3.1.1: close)", 4, "C0 80 00",
     ("close",)),
    ("r02_non_minimal_vbi_subscription_identifier", 2, "[MQTT-1.5.5-1]", 5,
     pkt(0x82, v5_sub_body(1, "a", 0, props(h("0B 81 00")))), ("disc", {MALFORMED})),
    ("r04_first_packet_pingreq", 4, "[MQTT-3.1.0-1]", "pre", "C0 00", ("close",)),
    ("r04_first_packet_subscribe", 4, "[MQTT-3.1.0-1]", "pre", "82 06 00 01 00 01 61 00",
     ("close",)),
    ("r04_first_packet_puback", 4, "[MQTT-3.1.0-1]", "pre", "40 02 00 01", ("close",)),
    ("r07_reserved_type_0_v5", 7, "v5 §2.1.2", 5, "00 00",
     ("disc", {MALFORMED, PROTOCOL_ERROR})),
    ("r07_reserved_type_0_v311", 7, "3.1.1 §2.2.1", 4, "00 00", ("close",)),
    ("r07_reserved_type_0_first", 7, "[MQTT-3.1.0-1]", "pre", "00 00", ("close",)),
    ("r07_auth_in_v311", 7, "3.1.1 §2.2.1 (type 15 reserved)", 4, "F0 00", ("close",)),
    ("r08_subscribe_flags_0_v5", 8, "[MQTT-3.8.1-1]", 5, pkt(0x80, SUB_A), ("disc", {MALFORMED})),
    ("r08_subscribe_flags_3_v5", 8, "[MQTT-3.8.1-1]", 5, pkt(0x83, SUB_A), ("disc", {MALFORMED})),
    ("r08_subscribe_flags_a_v5", 8, "[MQTT-3.8.1-1]", 5, pkt(0x8A, SUB_A), ("disc", {MALFORMED})),
    ("r08_unsubscribe_flags_0_v5", 8, "[MQTT-3.10.1-1]", 5, "A0 06 00 01 00 00 01 61",
     ("disc", {MALFORMED})),
    ("r08_pubrel_flags_0_v5", 8, "[MQTT-3.6.1-1]", 5, "60 02 00 01", ("disc", {MALFORMED})),
    ("r08_pingreq_flags_1_v5", 8, "[MQTT-2.1.3-1]", 5, "C1 00", ("disc", {MALFORMED})),
    ("r08_disconnect_flags_1_v5", 8, "[MQTT-3.14.1-1]", 5, "E1 00", ("disc", {MALFORMED})),
    ("r08_puback_flags_1_v5", 8, "[MQTT-2.1.3-1]", 5, "41 02 00 01", ("disc", {MALFORMED})),
    ("r08_subscribe_flags_0_v311", 8, "3.1.1 [MQTT-3.8.1-1]", 4, "80 06 00 01 00 01 61 00",
     ("close",)),
    ("r08_pubrel_flags_0_v311", 8, "3.1.1 [MQTT-3.6.1-1]", 4, "60 02 00 01", ("close",)),
    ("r08_pingreq_flags_1_v311", 8, "3.1.1 [MQTT-2.2.2-2]", 4, "C1 00", ("close",)),
    # A v5 CONNECT with reserved flags is Malformed; v5 §4.13.1 lets the server send
    # CONNACK 0x81 before closing. 3.1.1 has no such code: a plain close.
    ("r08_connect_flags_1_first_v5", 8, "[MQTT-2.1.3-1], v5 §4.13.1", "pre", b"\x11" + C5[1:],
     ("connack_or_close", {MALFORMED})),
    ("r08_connect_flags_1_first_v311", 8, "3.1.1 [MQTT-2.2.2-2]", "pre", b"\x11" + C4[1:],
     ("close",)),
    ("r09_connack_from_client_v5", 9, "v5 §2.1.2", 5, "20 03 00 00 00",
     ("disc", {PROTOCOL_ERROR})),
    ("r09_connack_bad_flags_from_client_v5", 9, "v5 §2.1.2", 5, "29 02 00 01",
     ("disc", {MALFORMED, PROTOCOL_ERROR})),
    ("r09_suback_from_client_v5", 9, "v5 §2.1.2", 5, "90 04 00 01 00 00",
     ("disc", {PROTOCOL_ERROR})),
    ("r09_unsuback_from_client_v5", 9, "v5 §2.1.2", 5, "B0 04 00 01 00 00",
     ("disc", {PROTOCOL_ERROR})),
    ("r09_pingresp_from_client_v5", 9, "v5 §2.1.2; CVE-2021-28166", 5, "D0 00",
     ("disc", {PROTOCOL_ERROR})),
    ("r09_connack_from_client_v311", 9, "3.1.1 §2.2.1", 4, "20 02 00 00", ("close",)),
    ("r09_pingresp_from_client_v311", 9, "3.1.1 §2.2.1", 4, "D0 00", ("close",)),
    ("r10_pingreq_trailing_byte_v5", 10, "v5 §3.12", 5, "C0 01 00", ("disc", {MALFORMED})),
    ("r10_pingreq_trailing_byte_v311", 10, "3.1.1 §3.12", 4, "C0 01 00", ("close",)),
    ("r10_puback_trailing_bytes_v5", 10, "v5 §3.4", 5, "40 05 00 01 00 00 00",
     ("disc", {MALFORMED})),
    ("r11_string_length_overrun_v5", 11, "v5 §1.5.4", 5,
     "82 08 00 01 00 FF FF 61 62 00", ("disc", {MALFORMED})),
    ("r11_string_length_overrun_v311", 11, "3.1.1 §1.5.3", 4, "82 07 00 01 FF FF 61 62 00",
     ("close",)),
    ("r11_property_length_past_end_v5", 11, "v5 §2.2.2; CVE-2019-17210", 5,
     "30 09 00 03 61 2F 62 09 01 02 03", ("disc", {MALFORMED})),
    ("r11_connect_property_length_past_end", 11, "v5 §2.2.2", "pre",
     "10 0E 00 04 4D 51 54 54 05 02 00 0A 20 00 01 70", ("connack_or_close", {MALFORMED})),
    ("r11_will_payload_overrun_v5", 11, "v5 §3.1.3; NanoMQ vul_data", "pre",
     "10 17 00 04 4D 51 54 54 05 06 00 0A 00 00 01 70 00 00 01 74 04 68 61 62 63",
     ("connack_or_close", {MALFORMED})),
    ("r11_will_payload_overrun_v311", 11, "3.1.1 §3.1.3", "pre",
     "10 15 00 04 4D 51 54 54 04 06 00 0A 00 01 70 00 01 74 04 68 61 62 63", ("close",)),
    ("r12_connect_rl_smaller_than_fields", 12, "§3.1; mosquitto 'NanoMQ CWE-119'", "pre",
     "10 07 00 04 4D 51 54 54 04 C2 00 0A 00 01 70", ("close",)),
    # 2 CONNECT
    ("r13_second_connect_v5", 13, "[MQTT-3.1.0-2]", 5, C5, ("disc", {PROTOCOL_ERROR})),
    ("r13_second_connect_v311", 13, "3.1.1 [MQTT-3.1.0-2]", 4, C4, ("close",)),
    ("r14_protocol_name_mqtu", 14, "[MQTT-3.1.2-1]", "pre",
     "10 0E 00 04 4D 51 54 55 05 02 00 0A 00 00 01 70", ("connack_or_close", {0x84})),
    ("r14_protocol_name_mqt", 14, "[MQTT-3.1.2-1]", "pre",
     "10 0D 00 03 4D 51 54 05 02 00 0A 00 00 01 70", ("connack_or_close", {0x84})),
    ("r14_protocol_name_empty", 14, "[MQTT-3.1.2-1]", "pre",
     "10 0A 00 00 05 02 00 0A 00 00 01 70", ("connack_or_close", {0x84})),
    ("r15_protocol_level_2", 15, "[MQTT-3.1.2-2]", "pre",
     "10 0D 00 04 4D 51 54 54 02 02 00 0A 00 01 70", ("connack_level", {0x84})),
    ("r15_protocol_level_6", 15, "[MQTT-3.1.2-2]", "pre",
     "10 0E 00 04 4D 51 54 54 06 02 00 0A 00 00 01 70", ("connack_level", {0x84})),
    ("r15_protocol_level_ff", 15, "[MQTT-3.1.2-2]", "pre",
     "10 0E 00 04 4D 51 54 54 FF 02 00 0A 00 00 01 70", ("connack_level", {0x84})),
    ("r16_reserved_connect_flag_v5", 16, "[MQTT-3.1.2-3]", "pre",
     "10 0E 00 04 4D 51 54 54 05 03 00 0A 00 00 01 70", ("connack_or_close", {MALFORMED})),
    ("r16_reserved_connect_flag_v311", 16, "3.1.1 [MQTT-3.1.2-3]", "pre",
     "10 0D 00 04 4D 51 54 54 04 03 00 0A 00 01 70", ("close",)),
    ("r17_will_qos_3_v5", 17, "[MQTT-3.1.2-12]", "pre",
     "10 15 00 04 4D 51 54 54 05 1E 00 0A 00 00 01 70 00 00 01 74 00 01 78",
     ("connack_or_close", {MALFORMED})),
    ("r17_will_qos_3_v311", 17, "3.1.1 [MQTT-3.1.2-14]", "pre",
     "10 13 00 04 4D 51 54 54 04 1E 00 0A 00 01 70 00 01 74 00 01 78", ("close",)),
    ("r18_will_qos_without_will_flag", 18, "[MQTT-3.1.2-11]", "pre",
     "10 0E 00 04 4D 51 54 54 05 0A 00 0A 00 00 01 70", ("connack_or_close", {MALFORMED})),
    ("r18_will_retain_without_will_flag", 18, "[MQTT-3.1.2-13]", "pre",
     "10 0E 00 04 4D 51 54 54 05 22 00 0A 00 00 01 70", ("connack_or_close", {MALFORMED})),
    ("r18_will_retain_without_will_flag_v311", 18, "3.1.1 [MQTT-3.1.2-15]", "pre",
     "10 0D 00 04 4D 51 54 54 04 22 00 0A 00 01 70", ("close",)),
    ("r19_will_flag_without_will_fields", 19, "[MQTT-3.1.2-9]", "pre",
     "10 0E 00 04 4D 51 54 54 05 06 00 0A 00 00 01 70", ("connack_or_close", {MALFORMED})),
    ("r20_username_flag_without_username", 20, "[MQTT-3.1.2-17]", "pre",
     "10 0E 00 04 4D 51 54 54 05 82 00 0A 00 00 01 70", ("connack_or_close", {MALFORMED})),
    ("r20_username_bytes_without_flag", 20, "[MQTT-3.1.2-16]", "pre",
     "10 13 00 04 4D 51 54 54 05 02 00 0A 00 00 01 70 00 03 62 6F 62",
     ("connack_or_close", {MALFORMED})),
    ("r21_password_without_username_v311", 21, "3.1.1 [MQTT-3.1.2-22]", "pre",
     "10 12 00 04 4D 51 54 54 04 42 00 0A 00 01 70 00 03 70 77 64", ("close",)),
    ("r22_empty_client_id_persistent_v311", 22, "3.1.1 [MQTT-3.1.3-8]; CVE-2025-56352",
     "pre", "10 0C 00 04 4D 51 54 54 04 00 00 0A 00 00", ("exact_then_close", "20 02 00 02")),
    ("r23_client_id_nul_v5", 23, "[MQTT-1.5.4-2]", "pre",
     "10 10 00 04 4D 51 54 54 05 02 00 0A 00 00 03 61 00 62", ("connack_or_close", {MALFORMED})),
    ("r23_client_id_surrogate_v5", 23, "[MQTT-1.5.4-1]", "pre",
     "10 10 00 04 4D 51 54 54 05 02 00 0A 00 00 03 ED A0 80", ("connack_or_close", {MALFORMED})),
    ("r23_client_id_overlong_v5", 23, "[MQTT-1.5.4-1]", "pre",
     "10 0F 00 04 4D 51 54 54 05 02 00 0A 00 00 02 C0 80", ("connack_or_close", {MALFORMED})),
    ("r23_client_id_truncated_utf8_v5", 23, "[MQTT-1.5.4-1]", "pre",
     "10 0F 00 04 4D 51 54 54 05 02 00 0A 00 00 02 61 E2", ("connack_or_close", {MALFORMED})),
    ("r23_client_id_nul_v311", 23, "3.1.1 [MQTT-1.5.3-2]", "pre",
     "10 0F 00 04 4D 51 54 54 04 02 00 0A 00 03 61 00 62", ("close",)),
    ("r24_client_id_control_char_v5", 24, "v5 §1.5.4 (Mote policy: reject)", "pre",
     "10 10 00 04 4D 51 54 54 05 02 00 0A 00 00 03 61 01 62", ("connack_or_close", {MALFORMED})),
    ("r24_client_id_noncharacter_v5", 24, "v5 §1.5.4 (Mote policy: reject)", "pre",
     "10 10 00 04 4D 51 54 54 05 02 00 0A 00 00 03 EF BF BF", ("connack_or_close", {MALFORMED})),
    ("r25_duplicate_session_expiry", 25, "v5 §3.1.2.11.2", "pre",
     connect(5, properties=h("11 00 00 00 0A 11 00 00 00 0A")), ("connack", {PROTOCOL_ERROR})),
    ("r25_duplicate_receive_maximum", 25, "v5 §3.1.2.11.3", "pre",
     connect(5, properties=h("21 00 0A 21 00 0A")), ("connack", {PROTOCOL_ERROR})),
    ("r25_duplicate_maximum_packet_size", 25, "v5 §3.1.2.11.4", "pre",
     connect(5, properties=h("27 00 00 10 00 27 00 00 10 00")), ("connack", {PROTOCOL_ERROR})),
    ("r25_duplicate_topic_alias_maximum", 25, "v5 §3.1.2.11.5", "pre",
     connect(5, properties=h("22 00 05 22 00 05")), ("connack", {PROTOCOL_ERROR})),
    ("r26_receive_maximum_0", 26, "v5 §3.1.2.11.3", "pre",
     connect(5, properties=h("21 00 00")), ("connack", {PROTOCOL_ERROR})),
    ("r26_maximum_packet_size_0", 26, "v5 §3.1.2.11.4", "pre",
     connect(5, properties=h("27 00 00 00 00")), ("connack", {PROTOCOL_ERROR})),
    ("r26_request_response_information_2", 26, "v5 §3.1.2.11.6", "pre",
     connect(5, properties=h("19 02")), ("connack", {PROTOCOL_ERROR})),
    ("r26_request_problem_information_2", 26, "v5 §3.1.2.11.7", "pre",
     connect(5, properties=h("17 02")), ("connack", {PROTOCOL_ERROR})),
    ("r27_topic_alias_in_connect", 27, "v5 §2.2.2.2 Table 2-4", "pre",
     connect(5, properties=h("23 00 01")), ("connack", {PROTOCOL_ERROR})),
    ("r27_maximum_qos_in_connect", 27, "v5 §2.2.2.2 Table 2-4", "pre",
     connect(5, properties=h("24 01")), ("connack", {PROTOCOL_ERROR})),
    ("r27_subscription_identifier_in_connect", 27, "v5 §2.2.2.2 Table 2-4", "pre",
     connect(5, properties=h("0B 01")), ("connack", {PROTOCOL_ERROR})),
    ("r27_payload_format_in_connect", 27, "v5 §2.2.2.2 Table 2-4", "pre",
     connect(5, properties=h("01 01")), ("connack", {PROTOCOL_ERROR})),
    ("r27_server_keep_alive_in_connect", 27, "v5 §2.2.2.2 Table 2-4", "pre",
     connect(5, properties=h("13 00 0A")), ("connack", {PROTOCOL_ERROR})),
    ("r28_truncated_property", 28, "v5 §2.2.2", "pre",
     connect(5, properties=h("11")), ("connack_or_close", {MALFORMED})),
    ("r28_unknown_property_00", 28, "v5 §2.2.2", "pre",
     connect(5, properties=h("00 00")), ("connack_or_close", {MALFORMED})),
    ("r28_unknown_property_7f", 28, "v5 §2.2.2", "pre",
     connect(5, properties=h("7F 00")), ("connack_or_close", {MALFORMED})),
    ("r29_property_length_5_byte_vbi", 29, "v5 §1.5.5; CVE-2026-21888", "pre",
     "10 13 00 04 4D 51 54 54 05 02 00 0A 80 80 80 80 01 00 01 70 00",
     ("connack_or_close", {MALFORMED})),
    ("r30_auth_data_without_method", 30, "v5 §3.1.2.11.10", "pre",
     connect(5, properties=h("16 00 02 01 02")), ("connack", {PROTOCOL_ERROR})),
    ("r30_unsupported_auth_method", 30, "[MQTT-4.12.0-1]", "pre",
     connect(5, properties=h("15 00 04") + b"XYZW"), ("connack", {0x8C, 0x87})),
    ("r31_receive_maximum_in_will_properties", 31, "v5 §3.1.3.2; CVE-2023-3592", "pre",
     connect(5, will=("w/t", "x", 0, False, props(h("21 00 05")))),
     ("connack", {PROTOCOL_ERROR})),
    ("r32_empty_will_topic", 32, "[MQTT-3.1.3-9]; mosquitto 573191", "pre",
     connect(5, will=("", "x", 0, False)), ("connack", {PROTOCOL_ERROR})),
    # 3 PUBLISH and acknowledgements
    ("r36_publish_qos3_v5", 36, "[MQTT-3.3.1-4]", 5,
     "36 0F 00 05 74 6F 70 69 63 00 01 00 70 61 79 6C 6F", ("disc", {MALFORMED})),
    ("r36_publish_qos3_v311", 36, "[MQTT-3.3.1-4]", 4,
     "36 0F 00 05 74 6F 70 69 63 00 01 70 61 79 6C 6F 61", ("close",)),
    ("r37_publish_qos1_pid0_v5", 37, "[MQTT-2.2.1-3]", 5,
     "32 11 00 05 74 6F 70 69 63 00 00 00 70 61 79 6C 6F 61 64", ("disc", {PROTOCOL_ERROR})),
    ("r37_publish_qos1_pid0_v311", 37, "3.1.1 [MQTT-2.3.1-1]", 4,
     "32 10 00 05 74 6F 70 69 63 00 00 70 61 79 6C 6F 61 64", ("close",)),
    ("r38_publish_qos0_dup_v5", 38, "[MQTT-3.3.1-2]", 5,
     "38 0A 00 05 74 6F 70 69 63 00 78 78", ("disc", {MALFORMED})),
    ("r38_publish_qos0_dup_v311", 38, "3.1.1 [MQTT-3.3.1-2]", 4,
     "38 09 00 05 74 6F 70 69 63 78 78", ("close",)),
    ("r39_publish_wildcard_topic_v311", 39, "3.1.1 [MQTT-3.3.2-2]", 4,
     "30 09 00 05 2B 6F 70 69 63 78 78", ("close",)),
    ("r40_publish_empty_topic_v5", 40, "v5 §3.3.2.1; CVE-2021-34432", 5, "30 05 00 00 00 78 78",
     ("disc", {PROTOCOL_ERROR, MALFORMED})),
    ("r40_publish_empty_topic_v311", 40, "3.1.1 [MQTT-4.7.3-1]", 4, "30 04 00 00 78 78",
     ("close",)),
    ("r41_publish_topic_nul_v5", 41, "[MQTT-1.5.4-2]; CVE-2017-7653", 5,
     "30 08 00 03 61 00 62 00 78 78", ("disc", {MALFORMED})),
    ("r41_publish_topic_overlong_v5", 41, "[MQTT-1.5.4-1]", 5,
     "30 07 00 02 C0 80 00 78 78", ("disc", {MALFORMED})),
    ("r41_publish_topic_nul_v311", 41, "3.1.1 [MQTT-1.5.3-2]", 4,
     "30 07 00 03 61 00 62 78 78", ("close",)),
    # Alias 0: 0x94 is defined for an alias above the maximum (5.0 §3.14.2.1); for 0
    # the spec names no code and mosquitto sends 0x81 (Mosquitto compatibility, issue 9).
    ("r42_topic_alias_0", 42, "[MQTT-3.3.2-8]", 5,
     publish(5, "a/b", b"x", properties=h("23 00 00")), ("disc", {MALFORMED})),
    ("r42_topic_alias_above_maximum", 42, "[MQTT-3.3.2-8], [MQTT-3.2.2-17]", 5,
     publish(5, "a/b", b"x", properties=h("23 FF FF")), ("disc", {0x94})),
    ("r43_empty_topic_unmapped_alias", 43, "v5 §3.3.2.3.4", 5,
     publish(5, "", b"x", properties=h("23 00 01")), ("disc", {PROTOCOL_ERROR})),
    ("r44_duplicate_topic_alias", 44, "v5 §2.2.2.2", 5,
     publish(5, "a/b", b"x", properties=h("23 00 01 23 00 02")), ("disc", {PROTOCOL_ERROR})),
    ("r44_response_topic_wildcard", 44, "[MQTT-3.3.2-14]", 5,
     publish(5, "a/b", b"x", properties=h("08 00 01 23")), ("disc", {PROTOCOL_ERROR})),
    ("r44_subscription_identifier_from_client", 44, "v5 §3.3.2.3.8", 5,
     publish(5, "a/b", b"x", properties=h("0B 01")), ("disc", {PROTOCOL_ERROR})),
    ("r45_publish_above_max_packet_size_v5", 45, "[MQTT-3.2.2-15] §3.2.2.3.6", 5,
     publish(5, "big", b"x" * (MAX_PACKET + 10)), ("disc", {0x95})),
    ("r45_publish_above_max_packet_size_v311", 45, "3.1.1 (Mote max_packet_size)", 4,
     publish(4, "big", b"x" * (MAX_PACKET + 10)), ("close",)),
    ("r51_puback_reason_ff", 51, "v5 §3.4.2.1", 5, "40 04 00 09 FF 00",
     ("disc", {PROTOCOL_ERROR, MALFORMED})),
    # 4 SUBSCRIBE, UNSUBSCRIBE and DISCONNECT
    ("r52_subscribe_no_filters_v5", 52, "[MQTT-3.8.3-2]", 5, "82 03 12 34 00",
     ("disc", {MALFORMED, PROTOCOL_ERROR})),
    ("r52_subscribe_no_filters_v311", 52, "3.1.1 [MQTT-3.8.3-3]", 4, "82 02 12 34", ("close",)),
    ("r52_unsubscribe_no_filters_v5", 52, "[MQTT-3.10.3-2]", 5, "A2 03 12 34 00",
     ("disc", {MALFORMED, PROTOCOL_ERROR})),
    ("r53_subscribe_qos3_v5", 53, "[MQTT-3.8.3-5]", 5, pkt(0x82, v5_sub_body(1, "a", 0x03)),
     ("disc", {MALFORMED})),
    ("r53_subscribe_reserved_bit_40_v5", 53, "[MQTT-3.8.3-5]", 5,
     pkt(0x82, v5_sub_body(1, "a", 0x40)), ("disc", {MALFORMED})),
    ("r53_subscribe_reserved_bit_80_v5", 53, "[MQTT-3.8.3-5]", 5,
     pkt(0x82, v5_sub_body(1, "a", 0x80)), ("disc", {MALFORMED})),
    ("r53_subscribe_retain_handling_3_v5", 53, "v5 §3.8.3.1", 5,
     pkt(0x82, v5_sub_body(1, "a", 0x30)), ("disc", {MALFORMED, PROTOCOL_ERROR})),
    ("r53_subscribe_qos3_v311", 53, "3.1.1 [MQTT-3.8.3-4]", 4, "82 06 00 01 00 01 61 03",
     ("close",)),
    ("r56_shared_subscription_no_local", 56, "[MQTT-3.8.3-4]", 5,
     pkt(0x82, v5_sub_body(1, "$share/p/p", 0x04)), ("disc", {PROTOCOL_ERROR})),
    ("r59_subscribe_pid0_v5", 59, "[MQTT-2.2.1-3]", 5, pkt(0x82, v5_sub_body(0, "a")),
     ("disc", {MALFORMED, PROTOCOL_ERROR})),
    ("r59_unsubscribe_pid0_v5", 59, "[MQTT-2.2.1-3]", 5, "A2 06 00 00 00 00 01 61",
     ("disc", {MALFORMED, PROTOCOL_ERROR})),
    ("r59_subscribe_pid0_v311", 59, "3.1.1 [MQTT-2.3.1-1]", 4, "82 06 00 00 00 01 61 00",
     ("close",)),
    ("r59_subscription_identifier_0", 59, "v5 §3.8.2.1.2", 5,
     pkt(0x82, v5_sub_body(1, "a", 0, props(h("0B 00")))), ("disc", {MALFORMED, PROTOCOL_ERROR})),
    ("r59_subscription_identifier_5_byte_vbi", 59, "v5 §1.5.5", 5,
     pkt(0x82, v5_sub_body(1, "a", 0, props(h("0B 80 80 80 80 01")))), ("disc", {MALFORMED})),
    ("r61_disconnect_session_expiry_after_zero", 61, "v5 §3.14.2.2.2", 5,
     "E0 07 00 05 11 00 00 00 01", ("disc", {PROTOCOL_ERROR})),
    ("r62_auth_without_method", 62, "[MQTT-4.12.0-7]", 5, "F0 02 18 00",
     ("disc", {PROTOCOL_ERROR})),
]


def _make_case(row, spec, version, data, expect):
    data = h(data) if isinstance(data, str) else data

    def test(self):
        if version == "pre":
            c = self.client()
        else:
            c = self.connected(version)
        c.send_ignoring_reset(data)
        kind = expect[0]
        if kind == "close":
            self.expect_close(c)
        elif kind == "disc":
            self.expect_disconnect(c, expect[1])
        elif kind == "disc_or_close":
            self.expect_disconnect(c, expect[1], allow_close=True)
        elif kind == "connack":
            self.expect_connack_refusal(c, expect[1])
        elif kind == "connack_or_close":
            self.expect_connack_refusal(c, expect[1], allow_close=True)
        elif kind == "connack_level":
            # Unknown level: CONNACK 0x84 in the v5 form, or 3.1.1's 0x01 [MQTT-3.1.2-2].
            self.expect_connack_refusal(c, expect[1], v4_codes={0x01})
        elif kind == "exact_then_close":
            got = self.read_close(c)
            self.assertEqual(got.hex(" "), h(expect[1]).hex(" "))
        else:
            raise AssertionError("bad case kind " + kind)

    test.__doc__ = "Row %d %s" % (row, spec)
    return test


class HostileTable(HostileBase):
    """Single-packet rows, generated from CASES. A spy subscribed to '#' (and to
    before each case checks that nothing
    from the offending packet is forwarded or retained (pass criteria)."""

    def setUp(self):
        super().setUp()
        self.table_spy = self.spy()

    def tearDown(self):
        try:
            data, closed = self.table_spy.read_until_close(0.2)
            self.assertFalse(closed, "spy connection closed")
            for first, body in split_packets(data):
                self.assertEqual(first & 0xF0, 0x30, "spy got %02x" % first)
                topic, payload = publish_fields(5, first, body)[:2]
                self.fail("forwarded or retained from a rejected packet: %r %r"
                          % (topic, payload))
        finally:
            super().tearDown()


for _name, _row, _spec, _version, _data, _expect in CASES:
    setattr(HostileTable, "test_" + _name, _make_case(_row, _spec, _version, _data, _expect))


class HostileScenarios(HostileBase):
    """Rows that need more than one packet or a second connection."""

    def test_r05_connect_above_max_packet_size(self):
        """Row 5 [MQTT-3.2.2-15] by analogy: a CONNECT whose RL exceeds the configured
        maximum packet size is closed before the body is read (v5 MAY CONNACK 0x95)."""
        c = self.client()
        body = C5[2:] + b"\x00" * (MAX_PACKET + 100)
        c.send_ignoring_reset(b"\x10" + vbi(len(body)) + body[:32])
        self.expect_connack_refusal(c, {0x95}, allow_close=True)

    def test_r06_truncated_connect_then_silence(self):
        """Row 6 §4.13: a truncated CONNECT then silence is closed when the connect
        timer fires (connect_timeout 2 in this configuration)."""
        if not harness.is_mote():
            self.skipTest("connect_timeout is a Mote option")
        c = self.client()
        c.send(h("10 64 00 04 4D 51"))
        self.expect_close(c, timeout=2 + 1.5)

    def test_r06_truncated_publish_then_silence_keepalive(self):
        """Row 6 [MQTT-3.1.2-22]: a truncated PUBLISH then silence; the keepalive timer
        (1.5 x 1 s) closes the connection, v5 MAY say DISCONNECT 0x8D first."""
        c = self.connected(5, connect(5, client_id="ka1", keepalive=1))
        c.send(h("30 64 00 05 74 6F 70"))
        self.expect_disconnect(c, {0x8D}, allow_close=True, timeout=1.5 + 1.5)

    def test_r22_empty_client_id_v5(self):
        """Row 22 [MQTT-3.1.3-6/-7], [MQTT-3.2.2-16]: v5 empty ClientId with Clean
        Start: either an Assigned Client Identifier in a successful CONNACK, or 0x85."""
        c = self.client()
        first, body = c.handshake(connect(5, client_id=""))
        self.assertEqual(first, 0x20)
        if body[1] == 0:
            p = connack_properties(body)
            self.assertIn(0x12, p, "no Assigned Client Identifier: %s" % body.hex(" "))
            self.assertGreater(len(p[0x12]), 0)
            self.expect_alive(c)
        else:
            self.assertEqual(body[1], 0x85)
            self.expect_close(c)

    def test_r24_valid_four_byte_utf8_accepted(self):
        """Row 24 v5 §1.5.4: U+2A6D4 (F0 AA 9B 94) is valid and must be accepted."""
        topic = "utf8/\U0002A6D4"
        c = self.connected(5)
        c.send(subscribe(5, 1, topic, 0))
        self.assertEqual(c.recv_packet(), (0x90, h("00 01 00 00")))
        c.send(publish(5, topic, b"ok"))
        first, body = c.recv_packet()
        self.assertEqual(publish_fields(5, first, body)[:2], (topic, b"ok"))

    def test_r33_many_user_properties_in_connect(self):
        """Row 33 CVE-2021-41039: 9000 one-byte User Properties in CONNECT are
        processed or refused within 1 s."""
        user = h("26 00 01 61 00 01 62") * 9000
        c = self.client()
        start = time.monotonic()
        first, body = c.handshake(connect(5, client_id="up", properties=user), timeout=1.0)
        self.assertLess(time.monotonic() - start, 1.0)
        self.assertEqual(first, 0x20)
        self.assertIn(body[1], {0x00, 0x95, 0x97})

    def test_r34_keepalive_above_maximum_v5(self):
        """Row 34 [MQTT-3.2.2-21]: v5 keepalive above max_keepalive: CONNACK success
        with Server Keep Alive = the maximum."""
        c = self.client()
        first, body = c.handshake(connect(5, client_id="ka", keepalive=MAX_KEEPALIVE + 40))
        self.assertEqual(first, 0x20)
        self.assertEqual(body[1], 0)
        p = connack_properties(body)
        self.assertEqual(p.get(0x13), MAX_KEEPALIVE.to_bytes(2, "big"),
                         "Server Keep Alive: %s" % body.hex(" "))

    def test_r34_keepalive_above_maximum_v311(self):
        """Row 34 (mosquitto behaviour, docs/configuration.md): 3.1.1 keepalive above
        max_keepalive gets CONNACK 0x02 then the close."""
        c = self.client()
        c.send(connect(4, client_id="ka", keepalive=MAX_KEEPALIVE + 40))
        self.assertEqual(self.read_close(c).hex(" "), "20 02 00 02")

    def test_r35_session_takeover_v5(self):
        """Row 35 [MQTT-3.1.4-3]: the old connection gets DISCONNECT 0x8E, the new one
        proceeds."""
        old = self.connected(5, connect(5, client_id="dup"))
        new = self.connected(5, connect(5, client_id="dup"))
        self.expect_disconnect(old, {0x8E})
        self.expect_alive(new)

    def test_r35_session_takeover_v311(self):
        """Row 35 3.1.1 [MQTT-3.1.4-2]: the old connection is closed."""
        old = self.connected(4, connect(4, client_id="dup4"))
        new = self.connected(4, connect(4, client_id="dup4"))
        self.expect_close(old)
        self.expect_alive(new)

    def test_r39_publish_wildcard_topic_v5_not_forwarded(self):
        """Row 39 [MQTT-3.3.2-2], [MQTT-4.7.0-1]: topic with '+' (QoS 1): DISCONNECT
        0x81/0x82 or PUBACK 0x90; never forwarded."""
        spy = self.spy()
        c = self.connected(5)
        c.send(publish(5, "+opic", b"xx", qos=1, pid=1))
        data, closed = c.read_until_close(1.0)
        packets = split_packets(data)
        self.assertEqual(len(packets), 1, data.hex(" "))
        first, body = packets[0]
        if first == 0x40:
            self.assertFalse(closed)
            self.assertEqual(body[:3], h("00 01 90"))
        else:
            self.assertTrue(closed)
            self.assertEqual(first, 0xE0)
            self.assertIn(body[0], {MALFORMED, PROTOCOL_ERROR})
        self.expect_nothing_forwarded(spy)

    def test_r43_alias_mapped_then_empty_topic_delivers(self):
        """Row 43 v5 §3.3.2.3.4 (positive side): alias set with a topic, then used with
        an empty topic, reaches the subscriber under the real topic."""
        c = self.connected(5)
        c.send(subscribe(5, 1, "alias/t", 0))
        self.assertEqual(c.recv_packet()[0], 0x90)
        c.send(publish(5, "alias/t", b"one", properties=h("23 00 03")))
        c.send(publish(5, "", b"two", properties=h("23 00 03")))
        got = [publish_fields(5, *c.recv_packet())[:2] for _ in range(2)]
        self.assertEqual(got, [("alias/t", b"one"), ("alias/t", b"two")])

    def test_r47_receive_maximum_exceeded(self):
        """Row 47 v5 §3.3.4: more unacknowledged QoS 2 PUBLISH than the broker's
        Receive Maximum: DISCONNECT 0x93."""
        c = self.client()
        first, body = c.handshake(connect(5, client_id="rm"))
        self.assertEqual(body[1], 0)
        rm = int.from_bytes(connack_properties(body).get(0x21, b"\xff\xff"), "big")
        if rm > 2000:
            self.skipTest("Receive Maximum %d too large to exceed quickly" % rm)
        for pid in range(1, rm + 1):
            c.send(publish(5, "rm/t", b"x", qos=2, pid=pid))
            first, body = c.recv_packet()
            self.assertEqual((first, body[:2]), (0x50, pid.to_bytes(2, "big")))
        c.send(publish(5, "rm/t", b"x", qos=2, pid=rm + 1))
        self.expect_disconnect(c, {0x93})

    def test_r49_payload_format_utf8_invalid(self):
        """Row 49 v5 §3.3.2.3.2: Payload Format Indicator 1 with a non-UTF-8 payload:
        PUBACK 0x00 and forwarded unchanged, or PUBACK 0x99 and not forwarded."""
        spy = self.spy(topic="pfi/#")
        c = self.connected(5)
        c.send(publish(5, "pfi/t", b"\xff\xfe", qos=1, pid=3, properties=h("01 01")))
        first, body = c.recv_packet()
        self.assertEqual(first, 0x40)
        rc = body[2] if len(body) > 2 else 0
        self.assertIn(rc, {0x00, 0x99})
        if rc == 0:
            self.assertEqual(publish_fields(5, *spy.recv_packet())[1], b"\xff\xfe")
        else:
            self.expect_nothing_forwarded(spy)

    def test_r50_dollar_topics_not_matched_by_wildcards(self):
        """Row 50 [MQTT-4.7.2-1]; CVE-2018-12543: PUBLISH to $SYS/x and $foo does not
        crash; '#' and '+/x' subscriptions do not receive them."""
        spy = self.spy(topic="#")
        spy2 = self.spy(topic="+/x")
        c = self.connected(5)
        c.send(publish(5, "$SYS/x", b"a"))
        c.send(publish(5, "$foo", b"b"))
        c.send(publish(5, "$foo/x", b"c"))
        self.expect_alive(c)
        for sp in (spy, spy2):
            data, _ = sp.read_until_close(0.5)
            for first, body in split_packets(data):
                topic = publish_fields(5, first, body)[0]
                self.assertFalse(topic.startswith("$"), "wildcard matched %s" % topic)

    def test_r51_unknown_puback_and_pubcomp_ignored(self):
        """Row 51 [MQTT-2.2.1-5]: unsolicited PUBACK / PUBCOMP are ignored."""
        c = self.connected(5)
        c.send(h("40 02 00 2A"))
        c.send(h("70 02 00 2B"))
        self.expect_alive(c)

    def test_r51_unknown_pubrel_v5(self):
        """Row 51 [MQTT-4.3.3-11]: PUBREL for an unknown id: PUBCOMP. The row allows
        0x92; mosquitto sends 0x00, and so does Mote (Mosquitto compatibility, issue 9):
        exactly `70 02 00 05`."""
        c = self.connected(5)
        c.send(h("62 02 00 05"))
        first, body = c.recv_packet(1.0)
        self.assertEqual((first, body), (0x70, h("00 05")))
        self.expect_alive(c)

    def test_r51_unknown_pubrel_v311(self):
        """Row 51 3.1.1 §4.3.3: PUBREL for an unknown id: PUBCOMP."""
        c = self.connected(4)
        c.send(h("62 02 00 05"))
        self.assertEqual(c.recv_packet(1.0), (0x70, h("00 05")))
        self.expect_alive(c)

    def test_r51_pubrec_for_qos1_delivery(self):
        """Row 51: PUBREC answering a QoS 1 delivery is the wrong flow: 0x82."""
        c = self.connected(5)
        c.send(subscribe(5, 1, "flow/t", 1))
        self.assertEqual(c.recv_packet()[0], 0x90)
        c.send(publish(5, "flow/t", b"x", qos=1, pid=9))
        got = {}
        for _ in range(2):
            first, body = c.recv_packet()
            got[first & 0xF0] = (first, body)
        self.assertIn(0x40, got)
        self.assertIn(0x30, got)
        out_pid = publish_fields(5, *got[0x30])[4]
        c.send(b"\x50\x02" + out_pid.to_bytes(2, "big"))
        self.expect_disconnect(c, {PROTOCOL_ERROR})

    def test_r54_empty_topic_filter(self):
        """Row 54 [MQTT-4.7.3-1]: an empty filter: DISCONNECT 0x81, or SUBACK 0x8F for
        that entry (and the valid entry granted)."""
        c = self.connected(5)
        body = h("00 01 00") + s("") + b"\x00" + s("ok/t") + b"\x00"
        c.send(pkt(0x82, body))
        data, closed = c.read_until_close(1.0)
        packets = split_packets(data)
        self.assertEqual(len(packets), 1, data.hex(" "))
        first, body = packets[0]
        if first == 0x90:
            self.assertFalse(closed)
            self.assertEqual(body, h("00 01 00 8F 00"))
        else:
            self.assertTrue(closed)
            self.assertEqual((first, body[0]), (0xE0, MALFORMED))

    def test_r55_bad_wildcards(self):
        """Row 55 [MQTT-4.7.1-1/-2]: bad wildcard filters get SUBACK 0x8F (v5) each, or
        the connection is closed; the valid one is granted."""
        for version, bad_code in ((5, 0x8F), (4, 0x80)):
            with self.subTest(version=version):
                c = self.connected(version)
                bad = ["a/#/b", "a#", "sport+", "#/x", "+a"]
                body = h("00 02") + (b"\x00" if version == 5 else b"")
                for f in bad + ["good/+"]:
                    body += s(f) + b"\x00"
                c.send(pkt(0x82, body))
                data, closed = c.read_until_close(1.0)
                if closed and version == 4:
                    self.assertEqual(data, b"")
                    continue
                packets = split_packets(data)
                self.assertEqual(len(packets), 1, data.hex(" "))
                first, rbody = packets[0]
                if first == 0xE0:
                    self.assertTrue(closed)
                    self.assertIn(rbody[0], {MALFORMED, PROTOCOL_ERROR})
                    continue
                self.assertEqual(first, 0x90)
                codes = rbody[2:] if version == 4 else rbody[3:]
                self.assertEqual(codes, bytes([bad_code] * 5 + [0]))

    def test_r57_bad_share_names(self):
        """Row 57 [MQTT-4.8.2-1/-2]: malformed $share filters: DISCONNECT 0x82 or SUBACK
        0x8F; never stored half-parsed."""
        for f in ["$share/p", "$share/p/", "$share//t", "$share/a+b/t", "$share/ab"]:
            with self.subTest(filter=f):
                c = self.connected(5)
                c.send(pkt(0x82, v5_sub_body(1, f)))
                data, closed = c.read_until_close(1.0)
                packets = split_packets(data)
                self.assertEqual(len(packets), 1, data.hex(" "))
                first, body = packets[0]
                if first == 0x90:
                    self.assertEqual(body, h("00 01 00 8F"))
                else:
                    self.assertTrue(closed)
                    self.assertEqual((first, body[0]), (0xE0, PROTOCOL_ERROR))

    def test_r58_deep_filter(self):
        """Row 58 [MQTT-4.7.3-3]; CVE-2019-11779: a filter of 65 000 '/' is refused
        (SUBACK 0x8F/0x97 or close) without crashing."""
        c = self.connected(5)
        c.send(pkt(0x82, v5_sub_body(1, "/" * 65000)))
        data, closed = c.read_until_close(1.0)
        if data:
            first, body = split_packets(data)[0]
            if first == 0x90:
                self.assertIn(body[3], {0x8F, 0x97})
            else:
                self.assertEqual(first, 0xE0)
                self.assertTrue(closed)
        else:
            self.assertTrue(closed, "no reply within 1 s")

    def test_r60_mixed_shared_and_plain_unsubscribe(self):
        """Row 60 (CVE-2024-8376 class): interleaved $share/g/t and t (un)subscribes
        give correct UNSUBACK codes: 0x00 for a subscription, 0x11 for none."""
        c = self.connected(5)
        for i in range(20):
            pid = 2 * i + 1
            c.send(pkt(0x82, pid.to_bytes(2, "big") + b"\x00" + s("$share/g/t") + b"\x00"
                       + s("t") + b"\x00"))
            self.assertEqual(c.recv_packet(), (0x90, pid.to_bytes(2, "big") + h("00 00 00")))
            first = "$share/g/t" if i % 2 else "t"
            second = "t" if i % 2 else "$share/g/t"
            c.send(pkt(0xA2, (pid + 1).to_bytes(2, "big") + b"\x00" + s(first) + s(second)
                       + s(first)))
            self.assertEqual(c.recv_packet(),
                             (0xB0, (pid + 1).to_bytes(2, "big") + h("00 00 00 11")))


class HostileMemory(HostileBase):
    """Rows whose pass criterion is memory (RSS). This broker runs with ASan's
    quarantine off, so that in the sanitizer build freed memory is reused and RSS
    measures what the broker keeps, not what ASan holds back to catch use after
    free (the other classes keep the quarantine)."""

    BROKER_ENV = {"ASAN_OPTIONS": "quarantine_size_mb=0"}

    def test_r48_qos2_packet_id_reuse_one_delivery(self):
        """Row 48 [MQTT-4.3.3-10]; CVE-2023-28366: the same QoS 2 packet id re-sent
        2000 times (also with a different topic) without PUBREL: PUBREC every time,
        exactly one delivery after PUBREL, RSS flat. The message is passed on at the
        PUBREL and a resend replaces the held one (Mosquitto compatibility, issue 9:
        mosquitto delivers the last one sent), so the delivery is the last resend."""
        sub = self.connected(5, connect(5, client_id="r48sub"))
        sub.send(subscribe(5, 1, "r48/#", 0))
        self.assertEqual(sub.recv_packet()[0], 0x90)
        c = self.connected(5, connect(5, client_id="r48pub"))
        pid = self.broker.pid
        c.send(publish(5, "r48/a", b"first", qos=2, pid=7))
        first, body = c.recv_packet()
        self.assertEqual((first, body[:2]), (0x50, h("00 07")))
        before = harness.rss_kb(pid)
        batch = publish(5, "r48/a", b"again", qos=2, pid=7, dup=True) * 100
        other = publish(5, "r48/b", b"other", qos=2, pid=7, dup=True)
        for _ in range(20):
            c.send(batch + other)
            for _ in range(101):
                first, body = c.recv_packet()
                self.assertEqual(first, 0x50)
                self.assertEqual(body[:2], h("00 07"))
        grown = harness.rss_kb(pid) - before
        c.send(h("62 02 00 07"))
        first, body = c.recv_packet()
        self.assertEqual(first, 0x70)
        self.assertEqual(body[:2], h("00 07"))
        self.assertIn(body[2:3], (b"", b"\x00"))
        got = publish_fields(5, *sub.recv_packet())[:2]
        self.assertEqual(got, ("r48/b", b"other"))
        self.expect_nothing_forwarded(sub, within=0.5)
        self.assertLess(grown, 1024, "RSS grew by %d kB" % grown)

    def test_r03_huge_rl_first_packet_closed_without_allocating(self):
        """Row 3 [MQTT-3.1.0-1]; CVE-2023-0809, CVE-2017-7651: a first packet that is
        not CONNECT announcing ~244 MB is closed quickly, and the broker's RSS does not
        grow by anything like the announced size."""
        pid = self.broker.pid
        before = harness.rss_kb(pid)
        socks = [self.client() for _ in range(14)]
        chunk = b"\x01" * 65536
        for c in socks:
            c.send_ignoring_reset(h("30 80 80 80 74"))
        sent = [0] * len(socks)
        deadline = time.monotonic() + 1.0
        # Stream up to 4 MB per socket; a broker that closed stops us early.
        for _ in range(64):
            for i, c in enumerate(socks):
                if sent[i] >= 0 and c.send_ignoring_reset(chunk):
                    sent[i] += len(chunk)
                else:
                    sent[i] = -1
            if time.monotonic() > deadline:
                break
        grown = harness.rss_kb(pid) - before
        for c in socks:
            data, closed = c.read_until_close(1.0)
            self.assertTrue(closed, "not closed within 1 s")
            self.assertEqual(data, b"")
        self.assertLess(grown, 20 * 1024, "RSS grew by %d kB for 14 x 244 MB announced" % grown)

    def test_r03_huge_rl_after_connect_above_max_packet_size(self):
        """Row 3/45 [MQTT-3.2.2-15]: after CONNECT, an announced 244 MB PUBLISH exceeds
        Maximum Packet Size: DISCONNECT 0x95 before the body, RSS stays flat."""
        pid = self.broker.pid
        before = harness.rss_kb(pid)
        c = self.connected(5)
        c.send(h("30 80 80 80 74"))
        for _ in range(32):
            if not c.send_ignoring_reset(b"\x01" * 65536):
                break
        grown = harness.rss_kb(pid) - before
        self.expect_disconnect(c, {0x95})
        self.assertLess(grown, 8 * 1024, "RSS grew by %d kB" % grown)

    def repeat_rss(self, data, reps):
        """Sends `data` on `reps` fresh connections (each answered and closed by the
        broker), twice; returns the RSS growth in kB of the second round. The first
        round is the warm-up: the broker keeps a little per-connection state until
        its connect timer (connect_timeout 2 here) fires, and the allocator keeps its
        high-water mark, so only growth after that is retention."""
        def once():
            with RawClient(self.port) as c:
                c.send_ignoring_reset(data)
                _, closed = c.read_until_close(1.0)
                self.assertTrue(closed, "not closed within 1 s")

        def round_():
            for _ in range(reps):
                once()
            time.sleep(3)

        if harness.is_sanitizer_build():
            # Measured: with ASan's allocator RSS swings by +-300 kB between rounds
            # of the same input even with the quarantine off; the plain build (CI
            # stage 1) gives a stable reading, so the check is made there.
            self.skipTest("RSS of an ASan broker is allocator noise at this scale")
        round_()
        before = harness.rss_kb(self.broker.pid)
        round_()
        return harness.rss_kb(self.broker.pid) - before

    def test_r31_repeated_bad_will_properties_rss_flat(self):
        """Row 31 CVE-2023-3592 (pass criteria: RSS back to baseline after
        repetitions): 3000 CONNECTs with Receive Maximum in the Will Properties after
        a warm-up of 3000. The row's 64 kB is doubled for allocator noise."""
        bad = connect(5, client_id="r31", will=("w/t", "x", 0, False, props(h("21 00 05"))))
        grown = self.repeat_rss(bad, 3000)
        self.assertLess(grown, 128, "RSS grew by %d kB over 3000 rejected CONNECTs" % grown)

    def test_r11_repeated_property_overrun_rss_flat(self):
        """Row 11 (pass criteria: RSS back to baseline): 3000 CONNECTs whose Property
        Length runs past the packet end, after a warm-up of 3000."""
        bad = h("10 0E 00 04 4D 51 54 54 05 02 00 0A 20 00 01 70")
        grown = self.repeat_rss(bad, 3000)
        self.assertLess(grown, 128, "RSS grew by %d kB over 3000 rejected CONNECTs" % grown)



class HostileWills(HostileBase):
    """Pass criterion: the Will IS published after a protocol-error close (5.0 and
    3.1.1 §3.1.2.5), and not after DISCONNECT 0x00."""

    def will_case(self, version, bad, expect_will=True, tag=""):
        topic = "will/%s%d" % (tag, version)
        watcher = self.connected(5, connect(5, client_id="watch-" + topic.replace("/", "-")))
        watcher.send(subscribe(5, 1, topic, 0))
        self.assertEqual(watcher.recv_packet()[0], 0x90)
        c = self.connected(version, connect(version, client_id="w-" + topic.replace("/", "-"),
                                            will=(topic, "gone", 0, False)))
        c.send(bad)
        self.read_close(c)
        if expect_will:
            first, body = watcher.recv_packet(1.0)
            self.assertEqual(publish_fields(5, first, body)[:2], (topic, b"gone"))
        else:
            self.expect_nothing_forwarded(watcher, within=0.5)

    def test_will_after_malformed_v5(self):
        """5.0 §3.1.2.5: Will published after a Malformed Packet close (row 8)."""
        self.will_case(5, h("C1 00"), tag="mal")

    def test_will_after_protocol_error_v5(self):
        """5.0 §3.1.2.5: Will published after a Protocol Error close (row 13)."""
        self.will_case(5, C5, tag="pe")

    def test_will_after_malformed_disconnect_v311(self):
        """3.1.1 §3.1.2.5, §3.14: `E0 01 00` is a malformed DISCONNECT (row 10), not a
        clean one, so the Will is published."""
        self.will_case(4, h("E0 01 00"), tag="mal")

    def test_will_after_malformed_v311(self):
        """3.1.1 §3.1.2.5: Will published after a QoS 3 PUBLISH close (row 36)."""
        self.will_case(4, h("36 0F 00 05 74 6F 70 69 63 00 01 70 61 79 6C 6F 61"), tag="q3")

    def test_no_will_after_normal_disconnect_v5(self):
        """[MQTT-3.1.2-10]: DISCONNECT 0x00 removes the Will."""
        self.will_case(5, h("E0 00"), expect_will=False, tag="ok")

    def test_no_will_after_normal_disconnect_v311(self):
        """3.1.1 [MQTT-3.1.2-10]: DISCONNECT removes the Will."""
        self.will_case(4, h("E0 00"), expect_will=False, tag="ok")


class HostileNoRetainNoAlias(HostileBase):
    """Rows 42 and 46 with retain_available false and max_topic_alias 0."""

    CONF = HOSTILE_CONF + ("retain_available false", "max_topic_alias 0")

    def test_r46_retain_when_not_available(self):
        """Row 46 [MQTT-3.2.2-14]: Retain 1 when Retain Available is 0: DISCONNECT 0x9A."""
        c = self.client()
        first, body = c.handshake(C5)
        self.assertEqual(body[1], 0)
        self.assertEqual(connack_properties(body).get(0x25), b"\x00", "Retain Available not 0")
        c.send(publish(5, "r/t", b"x", retain=True))
        self.expect_disconnect(c, {0x9A})

    def test_r42_any_alias_when_maximum_is_0(self):
        """Row 42 [MQTT-3.2.2-17/-18]: any Topic Alias when the maximum is 0: 0x94."""
        c = self.connected(5)
        c.send(publish(5, "a/b", b"x", properties=h("23 00 01")))
        self.expect_disconnect(c, {0x94})


if __name__ == "__main__":
    unittest.main(verbosity=2)
