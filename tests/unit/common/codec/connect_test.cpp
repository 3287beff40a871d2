// CONNECT: round trips for 3.1, 3.1.1 and 5.0, hand-assembled bytes, and every
// form rule of §3.1 (HOSTILE_INPUTS.md rows 8, 11, 12, 14-21, 23-32).
#include "common/codec/codec_support.hpp"

#include <CppUTest/TestHarness.h>

#include "mote/common/codec.hpp"
#include "mote/common/properties.hpp"

using namespace mote::mqtt;
using namespace mote::mqtt::test;

namespace {

const char* const kMqtt5 = "00 04 'MQTT' 05";
const char* const kMqtt4 = "00 04 'MQTT' 04";

// A 5.0 CONNECT body with the given flags, properties and payload after the client id "p".
std::string v5_body(const std::string& flags, const std::string& props, const std::string& rest = "") {
    return std::string(kMqtt5) + " " + flags + " 00 0A " + plen(props) + " 00 01 'p' " + rest;
}
std::string v4_body(const std::string& flags, const std::string& rest = "") {
    return std::string(kMqtt4) + " " + flags + " 00 0A 00 01 'p' " + rest;
}

}  // namespace

TEST_GROUP(CodecConnect) {};

TEST(CodecConnect, DecodesTheReferenceConnectsOfHostileInputs) {
    // C4 and C5 of HOSTILE_INPUTS.md.
    Decoded c4 = decode_hex_full("10 0D 00 04 4D 51 54 54 04 02 00 0A 00 01 70", Version::V3_1_1);
    CHECK_TRUE(c4.e.ok());
    CHECK_TRUE(c4.p.connect.version == Version::V3_1_1);
    CHECK_TRUE(c4.p.connect.clean_start);
    CHECK_EQUAL(10, c4.p.connect.keep_alive);
    CHECK_TRUE(c4.p.connect.client_id == Bytes::of("p"));
    Decoded c5 = decode_hex_full("10 0E 00 04 4D 51 54 54 05 02 00 0A 00 00 01 70", Version::V3_1_1);
    CHECK_TRUE(c5.e.ok());
    CHECK_TRUE(c5.p.connect.version == Version::V5);
    CHECK_TRUE(c5.p.connect.props.empty());
    CHECK_TRUE(c5.p.connect.client_id == Bytes::of("p"));
}

TEST(CodecConnect, V5WithWillAndPropertiesMatchesHandAssembledBytes) {
    // §3.1: flags EE = user name, password, will retain, will QoS 1, will, clean start.
    const ByteVec expected = hex(
        "10 2F 00 04 'MQTT' 05 EE 00 3C 08 11 00 00 00 78 21 00 14 00 03 'cid' "
        "05 18 00 00 00 05 00 03 'w/t' 00 03 'bye' 00 01 'u' 00 02 'pw'");
    std::uint8_t pbuf[16];
    std::uint8_t wbuf[8];
    PropertyBuilder props(pbuf, sizeof pbuf);
    props.add_u32(PropertyId::SessionExpiryInterval, 120).add_u16(PropertyId::ReceiveMaximum, 20);
    PropertyBuilder will_props(wbuf, sizeof wbuf);
    will_props.add_u32(PropertyId::WillDelayInterval, 5);
    CHECK_TRUE(props.ok() && will_props.ok());

    Connect c;
    c.version = Version::V5;
    c.keep_alive = 60;
    c.props = props.view();
    c.client_id = Bytes::of("cid");
    c.has_will = true;
    c.will.qos = 1;
    c.will.retain = true;
    c.will.topic = Bytes::of("w/t");
    c.will.payload = Bytes::of("bye");
    c.will.props = will_props.view();
    c.has_username = true;
    c.username = Bytes::of("u");
    c.has_password = true;
    c.password = Bytes::of("pw");
    const ByteVec wire = roundtrip(make_packet(c), Version::V5, Role::Client);
    STRCMP_EQUAL(to_hex(expected).c_str(), to_hex(wire).c_str());

    Packet p;
    CHECK_TRUE(decode_wire(expected, opts(Version::V5, Role::Client), p).ok());
    CHECK_EQUAL(120u, p.connect.props.number(PropertyId::SessionExpiryInterval, 0));
    CHECK_EQUAL(20u, p.connect.props.number(PropertyId::ReceiveMaximum, 0));
    CHECK_EQUAL(5u, p.connect.will.props.number(PropertyId::WillDelayInterval, 0));
    CHECK_TRUE(p.connect.will.payload == Bytes::of("bye"));
    CHECK_TRUE(p.connect.password == Bytes::of("pw"));
}

TEST(CodecConnect, V311RoundTripWithWillAndCredentials) {
    Connect c;
    c.version = Version::V3_1_1;
    c.clean_start = false;
    c.keep_alive = 0xFFFF;
    c.client_id = Bytes::of("client-1");
    c.has_will = true;
    c.will.qos = 2;
    c.will.topic = Bytes::of("status/client-1");
    c.will.payload = Bytes::of("offline");
    c.has_username = true;
    c.username = Bytes::of("user");
    c.has_password = true;
    c.password = Bytes::of("secret");
    const ByteVec wire = roundtrip(make_packet(c), Version::V3_1_1, Role::Client);
    // Flags: user 0x80 | password 0x40 | will QoS 2 0x10 | will 0x04 = 0xD4.
    CHECK_EQUAL(0xD4, wire[9]);
    const ByteVec expected = hex(
        "10 3C 00 04 'MQTT' 04 D4 FF FF 00 08 'client-1' 00 0F 'status/client-1' "
        "00 07 'offline' 00 04 'user' 00 06 'secret'");
    STRCMP_EQUAL(to_hex(expected).c_str(), to_hex(wire).c_str());
}

TEST(CodecConnect, V31RoundTripUsesMqisdp) {
    const ByteVec expected = hex("10 11 00 06 'MQIsdp' 03 02 00 3C 00 03 'abc'");
    Connect c;
    c.version = Version::V3_1;
    c.keep_alive = 60;
    c.client_id = Bytes::of("abc");
    const ByteVec wire = roundtrip(make_packet(c), Version::V3_1, Role::Client);
    STRCMP_EQUAL(to_hex(expected).c_str(), to_hex(wire).c_str());
    Packet p;
    CHECK_TRUE(decode_wire(expected, opts(Version::V5, Role::Client), p).ok());
    CHECK_TRUE(p.connect.version == Version::V3_1);
    CHECK_TRUE(p.connect.protocol_name == Bytes::of("MQIsdp"));
}

// try_private: bit 7 of the Protocol Level says "I am a bridge". A mosquitto
// convention (handle_connect.c in mosquitto 2.0), not part of any MQTT spec: 0x83
// with "MQIsdp", 0x84 with "MQTT".
TEST(CodecConnect, BridgeBitOn31And311DecodesAsABridge) {
    Decoded d4 = decode_hex_full("10 0D 00 04 'MQTT' 84 02 00 0A 00 01 'p'", Version::V3_1_1);
    CHECK_TRUE(d4.e.ok());
    CHECK_TRUE(d4.p.connect.version == Version::V3_1_1);
    CHECK_TRUE(d4.p.connect.bridge);
    CHECK_TRUE(d4.p.connect.client_id == Bytes::of("p"));
    Decoded d3 = decode_hex_full("10 0F 00 06 'MQIsdp' 83 02 00 0A 00 01 'p'", Version::V3_1_1);
    CHECK_TRUE(d3.e.ok());
    CHECK_TRUE(d3.p.connect.version == Version::V3_1);
    CHECK_TRUE(d3.p.connect.bridge);
    // Without the bit, not a bridge.
    Decoded plain = decode_hex_full("10 0D 00 04 'MQTT' 04 02 00 0A 00 01 'p'", Version::V3_1_1);
    CHECK_TRUE(plain.e.ok());
    CHECK_FALSE(plain.p.connect.bridge);
}

TEST(CodecConnect, BridgeConnectMatchesHandAssembledBytes) {
    // The encoder writes the bit for 3.1.1 and 3.1; the decoder reads it back.
    Connect c;
    c.version = Version::V3_1_1;
    c.bridge = true;
    c.keep_alive = 60;
    c.client_id = Bytes::of("gw");
    ByteVec wire = roundtrip(make_packet(c), Version::V3_1_1, Role::Client);
    STRCMP_EQUAL(to_hex(hex("10 0E 00 04 'MQTT' 84 02 00 3C 00 02 'gw'")).c_str(), to_hex(wire).c_str());
    c.version = Version::V3_1;
    wire = roundtrip(make_packet(c), Version::V3_1, Role::Client);
    STRCMP_EQUAL(to_hex(hex("10 10 00 06 'MQIsdp' 83 02 00 3C 00 02 'gw'")).c_str(), to_hex(wire).c_str());
}

TEST(CodecConnect, BridgeIsIgnoredWhenEncoding5) {
    // 5.0 has no bridge level (a 5.0 bridge uses No Local [MQTT-3.8.3-3]): the
    // encoder stays total and writes plain 05.
    Connect c;
    c.version = Version::V5;
    c.bridge = true;
    c.keep_alive = 10;
    c.client_id = Bytes::of("p");
    const ByteVec wire = encode_vec(make_packet(c), Version::V5);
    STRCMP_EQUAL(to_hex(hex("10 0E 00 04 'MQTT' 05 02 00 0A 00 00 01 'p'")).c_str(), to_hex(wire).c_str());
    Packet q;
    CHECK_TRUE(decode_wire(wire, opts(Version::V5, Role::Client), q).ok());
    CHECK_FALSE(q.connect.bridge);
}

TEST(CodecConnect, BridgeBitOnOtherLevelsIsUnsupported) {
    // [MQTT-3.1.2-2]: the bit goes only with the level of the name (mosquitto 2.0
    // refuses the rest too); 0x85 is refused as mosquitto 2.0 does, 0x80 and 0xFF
    // name no version.
    for (const char* level : {"83", "85", "80", "86", "FF"}) {
        Decoded d = dec_full(0x10, std::string("00 04 'MQTT' ") + level + " 02 00 0A 00 01 'p'", Version::V3_1_1);
        CHECK_REASON(Reason::UnsupportedProtocolVersion, d.e);
        CHECK_FALSE(d.p.connect.bridge);
    }
    CHECK_REASON(Reason::UnsupportedProtocolVersion, dec(0x10, "00 04 'MQTT' 85 02 00 0A 00 00 01 'p'", Version::V5));
    CHECK_REASON(Reason::UnsupportedProtocolVersion, dec(0x10, "00 06 'MQIsdp' 84 02 00 0A 00 01 'p'", Version::V3_1_1));
}

TEST(CodecConnect, BridgeConnectSweep) {
    sweep(hex("10 0D 00 04 'MQTT' 84 02 00 0A 00 01 'p'"), opts(Version::V3_1_1, Role::Client));
    sweep(hex("10 0F 00 06 'MQIsdp' 83 02 00 0A 00 01 'p'"), opts(Version::V3_1, Role::Client));
}

TEST(CodecConnect, EmptyClientIdIsTheBrokersDecision) {
    // [MQTT-3.1.3-6]/3.1.1 [MQTT-3.1.3-8]: the server decides; the decoder accepts.
    CHECK_TRUE(decode_hex("10 0C 00 04 4D 51 54 54 04 00 00 0A 00 00", Version::V3_1_1).ok());
}

TEST(CodecConnect, WrongFixedHeaderFlagsAreMalformed) {
    // [MQTT-2.1.3-1], HOSTILE row 8 (`11`).
    CHECK_REASON(Reason::MalformedPacket, dec(0x11, v4_body("02"), Version::V3_1_1));
}

TEST(CodecConnect, ConnectFromAServerIsAProtocolError) {
    // §2.1.2: CONNECT goes from client to server only.
    CHECK_REASON(Reason::ProtocolError, dec(0x10, v4_body("02"), Version::V3_1_1, Role::Server));
}

TEST(CodecConnect, InnerLengthsPastTheEndAreMalformed) {
    // HOSTILE row 11: client id length FF FF with 1 byte left.
    CHECK_REASON(Reason::MalformedPacket, decode_hex("10 0D 00 04 'MQTT' 04 02 00 0A FF FF 70", Version::V3_1_1));
    // Property Length 5 with 3 bytes left (§2.2.2.1).
    CHECK_REASON(Reason::MalformedPacket, decode_hex("10 0E 00 04 'MQTT' 05 02 00 0A 05 00 01 70", Version::V5));
    // Will Payload length 0x0468 with 5 bytes left (NanoMQ vul_data).
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v4_body("06", "00 01 't' 04 68 'abcde'"), Version::V3_1_1));
    // HOSTILE row 12: Remaining Length 7, smaller than the CONNECT's own fields.
    CHECK_REASON(Reason::MalformedPacket, decode_hex("10 07 00 04 4D 51 54 54 04", Version::V3_1_1));
    // Property Length as a 5-byte VBI (HOSTILE row 29, [MQTT-1.5.5-1]).
    CHECK_REASON(Reason::MalformedPacket,
                 dec(0x10, std::string(kMqtt5) + " 02 00 0A 80 80 80 80 01 00 01 'p'", Version::V5));
}

TEST(CodecConnect, WrongProtocolNameIsUnsupported) {
    // [MQTT-3.1.2-1], HOSTILE row 14; the name is kept for the caller.
    Decoded d = dec_full(0x10, "00 04 'MQTU' 04 02 00 0A 00 01 'p'", Version::V3_1_1);
    CHECK_REASON(Reason::UnsupportedProtocolVersion, d.e);
    CHECK_TRUE(d.p.connect.protocol_name == Bytes::of("MQTU"));
    CHECK_REASON(Reason::UnsupportedProtocolVersion, dec(0x10, "00 03 'MQT' 04 02 00 0A 00 01 'p'", Version::V3_1_1));
    CHECK_REASON(Reason::UnsupportedProtocolVersion, dec(0x10, "00 00 04 02 00 0A 00 01 'p'", Version::V3_1_1));
}

TEST(CodecConnect, UnknownProtocolLevelIsUnsupported) {
    // [MQTT-3.1.2-2], HOSTILE row 15.
    for (const char* level : {"02", "06", "FF", "03", "00"}) {
        CHECK_REASON(Reason::UnsupportedProtocolVersion,
                     dec(0x10, std::string("00 04 'MQTT' ") + level + " 02 00 0A 00 01 'p'", Version::V3_1_1));
    }
    // "MQIsdp" goes only with level 3.
    CHECK_REASON(Reason::UnsupportedProtocolVersion, dec(0x10, "00 06 'MQIsdp' 04 02 00 0A 00 01 'p'", Version::V3_1_1));
}

TEST(CodecConnect, ReservedFlagBitIsMalformed) {
    // [MQTT-3.1.2-3], HOSTILE row 16.
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v4_body("03"), Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v5_body("03", ""), Version::V5));
}

TEST(CodecConnect, WillQos3IsMalformed) {
    // [MQTT-3.1.2-12] (3.1.1 [MQTT-3.1.2-14]), HOSTILE row 17.
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v4_body("1E", "00 01 't' 00 01 'x'"), Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v5_body("1E", "", "00 00 01 't' 00 01 'x'"), Version::V5));
}

TEST(CodecConnect, WillQosOrRetainWithoutWillIsMalformed) {
    // [MQTT-3.1.2-11] [MQTT-3.1.2-13] (3.1.1 [MQTT-3.1.2-13] [MQTT-3.1.2-15]), HOSTILE row 18.
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v4_body("0A"), Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v4_body("22"), Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v5_body("0A", ""), Version::V5));
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v5_body("22", ""), Version::V5));
}

TEST(CodecConnect, WillFieldsMissingAreMalformed) {
    // [MQTT-3.1.2-9], HOSTILE row 19: Will Flag set, topic or payload absent.
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v4_body("06"), Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v4_body("06", "00 01 't'"), Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v5_body("06", "", "00 00 01 't'"), Version::V5));
    CHECK_TRUE(dec(0x10, v4_body("06", "00 01 't' 00 00"), Version::V3_1_1).ok());
}

TEST(CodecConnect, UserNameAndPasswordFlagsMustMatchThePayload) {
    // [MQTT-3.1.2-16]..[MQTT-3.1.2-19], HOSTILE row 20.
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v4_body("82"), Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v4_body("02", "00 01 'u'"), Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v4_body("C2", "00 01 'u'"), Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v5_body("42", ""), Version::V5));
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v5_body("82", "", "00 01 'u' 00 01 'x'"), Version::V5));
    CHECK_TRUE(dec(0x10, v4_body("C2", "00 01 'u' 00 02 'pw'"), Version::V3_1_1).ok());
}

TEST(CodecConnect, PasswordWithoutUserNameOnlyIn5) {
    // 3.1.1 [MQTT-3.1.2-22], HOSTILE row 21; 5.0 allows it (§3.1.2.9).
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v4_body("42", "00 02 'pw'"), Version::V3_1_1));
    Decoded d = dec_full(0x10, v5_body("42", "", "00 02 'pw'"), Version::V5);
    CHECK_TRUE(d.e.ok());
    CHECK_TRUE(d.p.connect.has_password && !d.p.connect.has_username);
}

TEST(CodecConnect, IllFormedUtf8IsMalformed) {
    // [MQTT-1.5.4-1] [MQTT-1.5.4-2], HOSTILE row 23: in client id, user name and will topic.
    for (const char* bad : {"00 01 00", "00 03 ED A0 80", "00 02 C0 80", "00 02 E2 82"}) {
        CHECK_REASON(Reason::MalformedPacket,
                     dec(0x10, std::string(kMqtt4) + " 02 00 0A " + bad, Version::V3_1_1));
        CHECK_REASON(Reason::MalformedPacket, dec(0x10, v4_body("82", bad), Version::V3_1_1));
        CHECK_REASON(Reason::MalformedPacket, dec(0x10, v4_body("06", std::string(bad) + " 00 00"), Version::V3_1_1));
    }
}

TEST(CodecConnect, StrictUtf8RejectsControlsAndNonCharacters) {
    // HOSTILE row 24 (§1.5.4 lets a receiver reject them): both policies.
    for (const char* s : {"00 01 01", "00 02 C2 80", "00 03 EF BF BF"}) {
        const std::string body = std::string(kMqtt4) + " 02 00 0A " + s;
        CHECK_REASON(Reason::MalformedPacket, dec(0x10, body, Version::V3_1_1, Role::Client, true));
        CHECK_TRUE(dec(0x10, body, Version::V3_1_1, Role::Client, false).ok());
    }
    // U+2A6D4 is valid 4-byte UTF-8 and always accepted.
    CHECK_TRUE(dec(0x10, std::string(kMqtt4) + " 02 00 0A 00 04 F0 AA 9B 94", Version::V3_1_1).ok());
}

TEST(CodecConnect, DuplicatePropertiesAreProtocolErrors) {
    // §3.1.2.11 ("Protocol Error to include ... more than once"), HOSTILE row 25.
    for (const char* dup : {"11 00 00 00 01 11 00 00 00 02", "21 00 01 21 00 02", "27 00 00 01 00 27 00 00 01 00",
                            "15 00 01 'a' 15 00 01 'b'", "22 00 01 22 00 01"}) {
        CHECK_REASON(Reason::ProtocolError, dec(0x10, v5_body("02", dup), Version::V5));
    }
    // User Property may repeat (§3.1.2.11.8).
    CHECK_TRUE(dec(0x10, v5_body("02", "26 00 01 'k' 00 01 'v' 26 00 01 'k' 00 01 'v'"), Version::V5).ok());
}

TEST(CodecConnect, OutOfRangePropertyValuesAreProtocolErrors) {
    // §3.1.2.11.3/.4/.6/.7, HOSTILE row 26.
    for (const char* bad : {"21 00 00", "27 00 00 00 00", "19 02", "17 02"}) {
        CHECK_REASON(Reason::ProtocolError, dec(0x10, v5_body("02", bad), Version::V5));
    }
    CHECK_TRUE(dec(0x10, v5_body("02", "21 00 01 27 00 00 00 01 19 01 17 00"), Version::V5).ok());
}

TEST(CodecConnect, PropertiesNotAllowedInConnectAreProtocolErrors) {
    // §2.2.2.2 Table 2-4, HOSTILE row 27.
    for (const char* bad : {"23 00 01", "24 01", "0B 01", "01 01", "13 00 0A"}) {
        CHECK_REASON(Reason::ProtocolError, dec(0x10, v5_body("02", bad), Version::V5));
    }
}

TEST(CodecConnect, TruncatedOrUnknownPropertiesAreMalformed) {
    // §2.2.2, HOSTILE row 28.
    for (const char* bad : {"11", "11 00 00", "00", "7F 00", "26 00 01 'k'"}) {
        CHECK_REASON(Reason::MalformedPacket, dec(0x10, v5_body("02", bad), Version::V5));
    }
}

TEST(CodecConnect, AuthenticationDataNeedsAMethod) {
    // §3.1.2.11.10, HOSTILE row 30.
    CHECK_REASON(Reason::ProtocolError, dec(0x10, v5_body("02", "16 00 01 'x'"), Version::V5));
    CHECK_TRUE(dec(0x10, v5_body("02", "15 00 01 'm' 16 00 01 'x'"), Version::V5).ok());
}

TEST(CodecConnect, WillPropertiesAreCheckedInTheWillContext) {
    // §3.1.3.2, HOSTILE row 31: Receive Maximum is a CONNECT property, not a Will one.
    CHECK_REASON(Reason::ProtocolError, dec(0x10, v5_body("06", "", plen("21 00 05") + " 00 01 't' 00 00"), Version::V5));
    // Will Delay Interval belongs in the Will, not in CONNECT.
    CHECK_REASON(Reason::ProtocolError, dec(0x10, v5_body("02", "18 00 00 00 01"), Version::V5));
    CHECK_REASON(Reason::ProtocolError, dec(0x10, v5_body("06", "", plen("01 02") + " 00 01 't' 00 00"), Version::V5));
    Decoded d = dec_full(0x10, v5_body("06", "", plen("18 00 00 00 07 01 01 03 00 01 'j'") + " 00 01 't' 00 00"), Version::V5);
    CHECK_TRUE(d.e.ok());
    CHECK_EQUAL(7u, d.p.connect.will.props.number(PropertyId::WillDelayInterval, 0));
}

TEST(CodecConnect, WillTopicMustBeATopicName) {
    // HOSTILE row 32: an empty Will Topic is a Protocol Error (as mosquitto answers);
    // a wildcard cannot be a Topic Name [MQTT-3.3.2-2].
    CHECK_REASON(Reason::ProtocolError, dec(0x10, v4_body("06", "00 00 00 01 'x'"), Version::V3_1_1));
    CHECK_REASON(Reason::ProtocolError, dec(0x10, v5_body("06", "", "00 00 00 00 01 'x'"), Version::V5));
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v4_body("06", "00 03 'a/#' 00 01 'x'"), Version::V3_1_1));
}

TEST(CodecConnect, TrailingBytesAreMalformed) {
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v4_body("02", "00"), Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0x10, v5_body("02", "", "00"), Version::V5));
}

TEST(CodecConnect, TruncationAndCorruptionSweep) {
    sweep(hex("10 2F 00 04 'MQTT' 05 EE 00 3C 08 11 00 00 00 78 21 00 14 00 03 'cid' "
              "05 18 00 00 00 05 00 03 'w/t' 00 03 'bye' 00 01 'u' 00 02 'pw'"),
          opts(Version::V5, Role::Client));
    sweep(frame(0x10, v4_body("F6", "00 01 't' 00 01 'x' 00 01 'u' 00 01 'p'")), opts(Version::V3_1_1, Role::Client));
    sweep(hex("10 11 00 06 'MQIsdp' 03 02 00 3C 00 03 'abc'"), opts(Version::V3_1, Role::Client));
}

TEST(CodecConnect, EncodeDoesNotWritePastCap) {
    Connect c;
    c.version = Version::V3_1_1;
    c.client_id = Bytes::of("abc");
    const std::size_t n = encode_connect(c, nullptr, 0);
    CHECK_EQUAL(0u, n);
    std::uint8_t buf[64];
    for (std::size_t cap = 0; cap < 17; ++cap) {
        for (std::uint8_t& b : buf) b = 0xAA;
        CHECK_EQUAL(0u, encode_connect(c, buf, cap));
        for (std::size_t i = cap; i < sizeof buf; ++i) CHECK_EQUAL(0xAA, buf[i]);
    }
    CHECK_EQUAL(17u, encode_connect(c, buf, 17));
}
