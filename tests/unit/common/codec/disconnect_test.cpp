// PINGREQ/PINGRESP (§3.12, §3.13), DISCONNECT (§3.14), AUTH (§3.15) and the
// decode() dispatch itself; HOSTILE_INPUTS.md rows 7-10.
#include "common/codec/codec_support.hpp"

#include <CppUTest/TestHarness.h>

#include "mote/common/codec.hpp"
#include "mote/common/properties.hpp"

using namespace mote::mqtt;
using namespace mote::mqtt::test;

TEST_GROUP(CodecDisconnect) {};

TEST(CodecDisconnect, PingsAreTwoBytes) {
    STRCMP_EQUAL("C0 00", to_hex(roundtrip(make_ping(PacketType::Pingreq), Version::V3_1_1, Role::Client)).c_str());
    STRCMP_EQUAL("D0 00", to_hex(roundtrip(make_ping(PacketType::Pingresp), Version::V5, Role::Server)).c_str());
    std::uint8_t buf[2];
    CHECK_EQUAL(0u, encode_ping(PacketType::Pingreq, buf, 1));
    CHECK_EQUAL(0u, encode_ping(PacketType::Connect, buf, 2));
}

TEST(CodecDisconnect, DirectEncodersNeedRoomAndMeasureWithoutABuffer) {
    // encode_ping() and the 3.1.1 encode_disconnect() are inline two-byte writers:
    // too small a buffer gives 0 and writes nothing; a null buffer only measures.
    std::uint8_t buf[4] = {0xAA, 0xAA, 0xAA, 0xAA};
    Disconnect d;
    d.reason = Reason::ServerShuttingDown;  // not on the wire before 5.0
    for (Version v : {Version::V3_1, Version::V3_1_1}) {
        buf[0] = 0xAA;
        CHECK_EQUAL(0u, encode_disconnect(d, v, buf, 1));
        CHECK_EQUAL(0xAA, buf[0]);
        CHECK_EQUAL(2u, encode_disconnect(d, v, nullptr, static_cast<std::size_t>(-1)));
        CHECK_EQUAL(2u, encode_disconnect(d, v, buf, sizeof buf));
        STRCMP_EQUAL("E0 00", to_hex(buf, 2).c_str());
    }
    CHECK_EQUAL(0u, encode_ping(PacketType::Pingresp, buf, 1));
    CHECK_EQUAL(2u, encode_ping(PacketType::Pingresp, nullptr, static_cast<std::size_t>(-1)));
    // 5.0 writes the reason code; no properties, so no Property Length (§3.14.2.2.1).
    CHECK_EQUAL(3u, encode_disconnect(d, Version::V5, buf, sizeof buf));
    STRCMP_EQUAL("E0 01 8B", to_hex(buf, 3).c_str());
    CHECK_EQUAL(0u, encode_disconnect(d, Version::V5, buf, 2));
}

TEST(CodecDisconnect, PingsWithABodyOrFlagsAreMalformed) {
    // HOSTILE rows 8 (`C1`) and 10 (`C0 01 00`).
    CHECK_REASON(Reason::MalformedPacket, decode_hex("C0 01 00", Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, decode_hex("D0 01 00", Version::V5, Role::Server));
    CHECK_REASON(Reason::MalformedPacket, decode_hex("C1 00", Version::V5));
}

TEST(CodecDisconnect, PingsGoOneWayEach) {
    // §2.1.2, HOSTILE row 9: PINGRESP from a client, PINGREQ from a server.
    CHECK_REASON(Reason::ProtocolError, decode_hex("D0 00", Version::V5, Role::Client));
    CHECK_REASON(Reason::ProtocolError, decode_hex("C0 00", Version::V3_1_1, Role::Server));
}

TEST(CodecDisconnect, ReservedTypeIsMalformed) {
    // §2.1.2, HOSTILE row 7: type 0, and AUTH (15) before 5.0.
    CHECK_REASON(Reason::MalformedPacket, decode_hex("00 00", Version::V5));
    CHECK_REASON(Reason::MalformedPacket, decode_hex("F0 00", Version::V3_1_1));
}

TEST(CodecDisconnect, V311DisconnectIsEmpty) {
    STRCMP_EQUAL("E0 00", to_hex(roundtrip(make_packet(Disconnect{}), Version::V3_1_1, Role::Client)).c_str());
    // HOSTILE rows 8 (`E1`) and 10 (`E0 01 00`).
    CHECK_REASON(Reason::MalformedPacket, decode_hex("E0 01 00", Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, decode_hex("E1 00", Version::V3_1_1));
    // Encoding for 3.1.1 drops the reason code.
    Disconnect d;
    d.reason = Reason::DisconnectWithWill;
    STRCMP_EQUAL("E0 00", to_hex(encode_vec(make_packet(d), Version::V3_1_1)).c_str());
}

TEST(CodecDisconnect, V5ShortFormsRoundTrip) {
    // §3.14.2.1: Remaining Length 0 is Normal disconnection; below 2 there is no
    // Property Length.
    Disconnect d;
    STRCMP_EQUAL("E0 00", to_hex(roundtrip(make_packet(d), Version::V5, Role::Client)).c_str());
    d.reason = Reason::DisconnectWithWill;
    STRCMP_EQUAL("E0 01 04", to_hex(roundtrip(make_packet(d), Version::V5, Role::Client)).c_str());
    const std::uint8_t props[] = {0x11, 0x00, 0x00, 0x00, 0x0A};
    d.props = Properties(Bytes(props, sizeof props));
    STRCMP_EQUAL("E0 07 04 05 11 00 00 00 0A", to_hex(roundtrip(make_packet(d), Version::V5, Role::Client)).c_str());
    CHECK_TRUE(decode_hex("E0 02 00 00", Version::V5).ok());
}

TEST(CodecDisconnect, ReasonCodesDependOnTheSender) {
    // Table 3-10: 0x04 only from a client, 0x8E only from a server; 0x01 never.
    CHECK_TRUE(decode_hex("E0 01 04", Version::V5, Role::Client).ok());
    CHECK_REASON(Reason::ProtocolError, decode_hex("E0 01 04", Version::V5, Role::Server));
    CHECK_TRUE(decode_hex("E0 01 8E", Version::V5, Role::Server).ok());
    CHECK_REASON(Reason::ProtocolError, decode_hex("E0 01 8E", Version::V5, Role::Client));
    CHECK_REASON(Reason::ProtocolError, decode_hex("E0 01 01", Version::V5, Role::Server));
    CHECK_REASON(Reason::ProtocolError, decode_hex("E0 01 FF", Version::V5, Role::Client));
}

TEST(CodecDisconnect, PropertyRules) {
    // [MQTT-3.14.2-2]: no Session Expiry Interval from the server.
    CHECK_REASON(Reason::ProtocolError, decode_hex("E0 07 00 05 11 00 00 00 01", Version::V5, Role::Server));
    // HOSTILE row 61's packet is well formed; comparing with CONNECT is session state.
    CHECK_TRUE(decode_hex("E0 07 00 05 11 00 00 00 01", Version::V5, Role::Client).ok());
    CHECK_TRUE(decode_hex("E0 08 9C 06 1C 00 03 'a:1'", Version::V5, Role::Server).ok());
    CHECK_REASON(Reason::ProtocolError, decode_hex("E0 05 00 03 21 00 01", Version::V5));
    CHECK_REASON(Reason::MalformedPacket, decode_hex("E0 03 00 05 11", Version::V5));
    CHECK_REASON(Reason::MalformedPacket, decode_hex("E0 03 00 00 00", Version::V5));
}

TEST(CodecDisconnect, AuthRoundTripsAndRules) {
    // §3.15.2.1: Success without properties is an empty body.
    Auth a;
    STRCMP_EQUAL("F0 00", to_hex(roundtrip(make_packet(a), Version::V5, Role::Client)).c_str());
    const std::uint8_t props[] = {0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M', 0x16, 0x00, 0x02, 0x01, 0x02};
    a.reason = Reason::ContinueAuthentication;
    a.props = Properties(Bytes(props, sizeof props));
    STRCMP_EQUAL("F0 0F 18 0D 15 00 05 53 43 52 41 4D 16 00 02 01 02",
                 to_hex(roundtrip(make_packet(a), Version::V5, Role::Server)).c_str());
    a.props = Properties();
    a.reason = Reason::ReAuthenticate;
    STRCMP_EQUAL("F0 02 19 00", to_hex(roundtrip(make_packet(a), Version::V5, Role::Client)).c_str());
    CHECK_EQUAL(0u, encoded_size(make_packet(a), Version::V3_1_1));
    // Reason codes of §3.15.2.1 only; a code needs its Property Length; data needs a method.
    CHECK_REASON(Reason::ProtocolError, decode_hex("F0 02 87 00", Version::V5));
    CHECK_REASON(Reason::MalformedPacket, decode_hex("F0 01 18", Version::V5));
    CHECK_REASON(Reason::ProtocolError, decode_hex("F0 06 18 04 16 00 01 'x'", Version::V5));
    CHECK_REASON(Reason::MalformedPacket, decode_hex("F1 00", Version::V5));
}

TEST(CodecDisconnect, V5OnlyWhenBuiltIn) {
    // codec.hpp: with MOTE_MQTT_V5=0 a 5.0 decode is UnsupportedProtocolVersion;
    // this build has it, so 5.0 packets decode.
    CHECK_EQUAL(1, MOTE_MQTT_V5);
    CHECK_TRUE(decode_hex("E0 00", Version::V5).ok());
}

TEST(CodecDisconnect, TruncationAndCorruptionSweep) {
    // §3.14.2.1 / §3.15.2.1: the empty body (and for DISCONNECT the lone code) are valid.
    sweep(hex("E0 08 9C 06 1C 00 03 'a:1'"), opts(Version::V5, Role::Server), Prefixes::MayBeShorterPacket);
    sweep(hex("F0 0F 18 0D 15 00 05 'SCRAM' 16 00 02 01 02"), opts(Version::V5, Role::Server),
          Prefixes::MayBeShorterPacket);
}
