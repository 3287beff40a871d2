// CONNACK (§3.2): both versions, direction, ack flags, return/reason codes and
// properties; HOSTILE_INPUTS.md rows 9 and C5.
#include "common/codec/codec_support.hpp"

#include <CppUTest/TestHarness.h>

#include "mote/common/codec.hpp"
#include "mote/common/properties.hpp"

using namespace mote::mqtt;
using namespace mote::mqtt::test;

TEST_GROUP(CodecConnack) {};

TEST(CodecConnack, V311RoundTrip) {
    Connack c;
    c.session_present = true;
    STRCMP_EQUAL("20 02 01 00", to_hex(roundtrip(make_packet(c), Version::V3_1_1, Role::Server)).c_str());
    c.session_present = false;
    c.code = static_cast<std::uint8_t>(ConnackCode311::IdentifierRejected);
    STRCMP_EQUAL("20 02 00 02", to_hex(roundtrip(make_packet(c), Version::V3_1_1, Role::Server)).c_str());
}

TEST(CodecConnack, V5RoundTripWithProperties) {
    std::uint8_t buf[64];
    PropertyBuilder b(buf, sizeof buf);
    b.add_u16(PropertyId::ReceiveMaximum, 100)
        .add_byte(PropertyId::MaximumQos, 1)
        .add_byte(PropertyId::RetainAvailable, 0)
        .add_u32(PropertyId::MaximumPacketSize, 65536)
        .add_string(PropertyId::AssignedClientIdentifier, Bytes::of("auto-1"))
        .add_u16(PropertyId::TopicAliasMaximum, 10)
        .add_u16(PropertyId::ServerKeepAlive, 30)
        .add_byte(PropertyId::WildcardSubscriptionAvailable, 1)
        .add_byte(PropertyId::SubscriptionIdentifierAvailable, 1)
        .add_byte(PropertyId::SharedSubscriptionAvailable, 1);
    CHECK_TRUE(b.ok());
    Connack c;
    c.props = b.view();
    roundtrip(make_packet(c), Version::V5, Role::Server);
    // The smallest 5.0 CONNACK has a Property Length of 0 (§3.2.2.3).
    Connack refused;
    refused.code = static_cast<std::uint8_t>(Reason::UnsupportedProtocolVersion);
    STRCMP_EQUAL("20 03 00 84 00", to_hex(roundtrip(make_packet(refused), Version::V5, Role::Server)).c_str());
}

TEST(CodecConnack, FromAClientIsAProtocolError) {
    // §2.1.2, HOSTILE row 9: `20 03 00 00 00` and `29 02 00 01` sent by a client.
    CHECK_REASON(Reason::ProtocolError, decode_hex("20 03 00 00 00", Version::V5, Role::Client));
    CHECK_REASON(Reason::ProtocolError, decode_hex("29 02 00 01", Version::V3_1_1, Role::Client));
}

TEST(CodecConnack, ShortLongAndReservedFlagsAreMalformed) {
    // HOSTILE row C5 and [MQTT-3.2.2-1].
    CHECK_REASON(Reason::MalformedPacket, decode_hex("20 01 00", Version::V3_1_1, Role::Server));
    CHECK_REASON(Reason::MalformedPacket, decode_hex("20 01 00", Version::V5, Role::Server));
    CHECK_REASON(Reason::MalformedPacket, decode_hex("20 02 00 00", Version::V5, Role::Server));  // no Property Length
    CHECK_REASON(Reason::MalformedPacket, decode_hex("20 03 00 00 00", Version::V3_1_1, Role::Server));
    CHECK_REASON(Reason::MalformedPacket, decode_hex("20 04 00 00 00 00", Version::V5, Role::Server));
    CHECK_REASON(Reason::MalformedPacket, decode_hex("20 02 02 00", Version::V3_1_1, Role::Server));
    CHECK_REASON(Reason::MalformedPacket, decode_hex("20 03 02 00 00", Version::V5, Role::Server));
    CHECK_REASON(Reason::MalformedPacket, decode_hex("21 02 00 00", Version::V3_1_1, Role::Server));
}

TEST(CodecConnack, UnknownCodesAreProtocolErrors) {
    // [MQTT-3.2.2-8] (5.0: only the codes of Table 3-1), HOSTILE row C5 (0x01, 0xFF);
    // 3.1.1 §3.2.2.3: 6-255 are reserved.
    CHECK_REASON(Reason::ProtocolError, decode_hex("20 03 00 01 00", Version::V5, Role::Server));
    CHECK_REASON(Reason::ProtocolError, decode_hex("20 03 00 FF 00", Version::V5, Role::Server));
    CHECK_REASON(Reason::ProtocolError, decode_hex("20 02 00 06", Version::V3_1_1, Role::Server));
    CHECK_TRUE(decode_hex("20 03 00 9F 00", Version::V5, Role::Server).ok());
    CHECK_TRUE(decode_hex("20 02 00 05", Version::V3_1_1, Role::Server).ok());
}

TEST(CodecConnack, SessionPresentOnlyWhenAccepted) {
    // 5.0 [MQTT-3.2.2-6], 3.1.1 [MQTT-3.2.2-4].
    CHECK_REASON(Reason::ProtocolError, decode_hex("20 03 01 87 00", Version::V5, Role::Server));
    CHECK_REASON(Reason::ProtocolError, decode_hex("20 02 01 05", Version::V3_1_1, Role::Server));
}

TEST(CodecConnack, PropertyRulesApply) {
    // §3.2.2.3: Maximum QoS 2, Retain Available 2, Receive Maximum 0, a CONNECT-only property.
    for (const char* bad : {"24 02", "25 02", "28 02", "29 02", "2A 02", "21 00 00", "17 01", "16 00 01 'x'"}) {
        CHECK_REASON(Reason::ProtocolError, dec(0x20, std::string("00 00 ") + plen(bad), Version::V5, Role::Server));
    }
    CHECK_REASON(Reason::MalformedPacket, dec(0x20, "00 00 " + plen("12 00 01 C0"), Version::V5, Role::Server));
}

TEST(CodecConnack, TruncationAndCorruptionSweep) {
    sweep(frame(0x20, "01 00 " + plen("21 00 0A 12 00 03 'abc' 26 00 01 'k' 00 00")), opts(Version::V5, Role::Server));
    sweep(hex("20 02 00 00"), opts(Version::V3_1_1, Role::Server));
}
