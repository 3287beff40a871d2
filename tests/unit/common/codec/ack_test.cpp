// PUBACK, PUBREC, PUBREL, PUBCOMP (§3.4-§3.7): both versions, the short 5.0 forms,
// reason codes per type, and HOSTILE_INPUTS.md rows 8, 10 and 51.
#include "common/codec/codec_support.hpp"

#include <CppUTest/TestHarness.h>

#include "mote/common/codec.hpp"

using namespace mote::mqtt;
using namespace mote::mqtt::test;

TEST_GROUP(CodecAck) {};

TEST(CodecAck, V311AcksAreTheirPacketIdentifier) {
    // 3.1.1 §3.4-§3.7: fixed header and Packet Identifier; PUBREL has flags 0010 [MQTT-3.6.1-1].
    const struct {
        PacketType type;
        const char* hex;
    } cases[] = {{PacketType::Puback, "40 02 12 34"},
                 {PacketType::Pubrec, "50 02 12 34"},
                 {PacketType::Pubrel, "62 02 12 34"},
                 {PacketType::Pubcomp, "70 02 12 34"}};
    for (const auto& c : cases) {
        Ack a;
        a.packet_id = 0x1234;
        STRCMP_EQUAL(c.hex, to_hex(roundtrip(make_ack(c.type, a), Version::V3_1_1, Role::Client)).c_str());
    }
}

TEST(CodecAck, V311EncodingDropsReasonAndProperties) {
    const std::uint8_t props[] = {0x1F, 0x00, 0x01, 'r'};
    Ack a;
    a.packet_id = 1;
    a.reason = Reason::NoMatchingSubscribers;
    a.props = Properties(Bytes(props, sizeof props));
    STRCMP_EQUAL("40 02 00 01", to_hex(encode_vec(make_ack(PacketType::Puback, a), Version::V3_1_1)).c_str());
    STRCMP_EQUAL("40 08 00 01 10 04 1F 00 01 72",
                 to_hex(encode_vec(make_ack(PacketType::Puback, a), Version::V5)).c_str());
}

TEST(CodecAck, V5ShortFormsRoundTrip) {
    // §3.4.2.1: Success without properties is 2 bytes; a reason code without
    // properties stops after the code (Remaining Length 3).
    Ack a;
    a.packet_id = 9;
    STRCMP_EQUAL("40 02 00 09", to_hex(roundtrip(make_ack(PacketType::Puback, a), Version::V5, Role::Server)).c_str());
    a.reason = Reason::PacketIdentifierNotFound;
    STRCMP_EQUAL("62 03 00 09 92", to_hex(roundtrip(make_ack(PacketType::Pubrel, a), Version::V5, Role::Client)).c_str());
    STRCMP_EQUAL("70 03 00 09 92", to_hex(roundtrip(make_ack(PacketType::Pubcomp, a), Version::V5, Role::Server)).c_str());
    // Success with a property keeps the explicit code 0.
    const std::uint8_t props[] = {0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v'};
    a.reason = Reason::Success;
    a.props = Properties(Bytes(props, sizeof props));
    STRCMP_EQUAL("50 0B 00 09 00 07 26 00 01 6B 00 01 76",
                 to_hex(roundtrip(make_ack(PacketType::Pubrec, a), Version::V5, Role::Client)).c_str());
    // Reason code followed by a Property Length of 0 decodes too.
    Decoded d = dec_full(0x40, "00 09 10 00", Version::V5);
    CHECK_TRUE(d.e.ok());
    CHECK_TRUE(d.p.ack.reason == Reason::NoMatchingSubscribers);
}

TEST(CodecAck, ReasonCodesMustBelongToTheType) {
    // §3.4.2.1 / §3.5.2.1 vs §3.6.2.1 / §3.7.2.1; HOSTILE row 51 (0xFF).
    CHECK_TRUE(dec(0x40, "00 01 99", Version::V5).ok());
    CHECK_TRUE(dec(0x50, "00 01 97", Version::V5).ok());
    CHECK_REASON(Reason::ProtocolError, dec(0x40, "00 01 92", Version::V5));
    CHECK_REASON(Reason::ProtocolError, dec(0x62, "00 01 10", Version::V5));
    CHECK_REASON(Reason::ProtocolError, dec(0x70, "00 01 80", Version::V5));
    for (std::uint8_t first : {std::uint8_t{0x40}, std::uint8_t{0x50}, std::uint8_t{0x62}, std::uint8_t{0x70}}) {
        CHECK_REASON(Reason::ProtocolError, dec(first, "00 01 FF", Version::V5));
    }
}

TEST(CodecAck, WrongFlagsAreMalformed) {
    // [MQTT-2.1.3-1] [MQTT-3.6.1-1], HOSTILE row 8 (`41`, `60`).
    CHECK_REASON(Reason::MalformedPacket, dec(0x41, "00 01", Version::V5));
    CHECK_REASON(Reason::MalformedPacket, dec(0x60, "00 01", Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0x63, "00 01", Version::V5));
    CHECK_REASON(Reason::MalformedPacket, dec(0x72, "00 01", Version::V3_1_1));
}

TEST(CodecAck, TrailingBytesAndShortBodiesAreMalformed) {
    // HOSTILE row 10: PUBACK `40 05 00 01 00 00 00` (5.0), and any extra byte in 3.1.1.
    CHECK_REASON(Reason::MalformedPacket, decode_hex("40 05 00 01 00 00 00", Version::V5));
    CHECK_REASON(Reason::MalformedPacket, dec(0x40, "00 01 00", Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0x40, "00", Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0x40, "", Version::V5));
    // Property Length past the end (§3.4.2.2).
    CHECK_REASON(Reason::MalformedPacket, dec(0x40, "00 01 00 05 1F", Version::V5));
}

TEST(CodecAck, PacketId0IsAProtocolError) {
    // [MQTT-2.2.1-3] (every ack repeats a non-zero identifier).
    CHECK_REASON(Reason::ProtocolError, dec(0x40, "00 00", Version::V3_1_1));
    CHECK_REASON(Reason::ProtocolError, dec(0x62, "00 00", Version::V5));
}

TEST(CodecAck, PropertiesAreCheckedInTheAckContext) {
    // Table 2-4: only Reason String and User Property; HOSTILE row C14.
    CHECK_REASON(Reason::ProtocolError, dec(0x40, "00 01 00 02 29 01", Version::V5, Role::Server));
    CHECK_REASON(Reason::ProtocolError, dec(0x40, "00 01 00 08 1F 00 01 'a' 1F 00 01 'b'", Version::V5));
    CHECK_REASON(Reason::MalformedPacket, dec(0x40, "00 01 00 02 7F 00", Version::V5));
}

TEST(CodecAck, EncodeRejectsNonAckTypes) {
    Ack a;
    a.packet_id = 1;
    std::uint8_t buf[16];
    CHECK_EQUAL(0u, encode_ack(PacketType::Publish, a, Version::V5, buf, sizeof buf));
    CHECK_EQUAL(4u, encode_ack(PacketType::Pubrel, a, Version::V5, buf, sizeof buf));
    CHECK_EQUAL(0x62, buf[0]);
    for (Version v : {Version::V3_1, Version::V3_1_1}) {
        CHECK_EQUAL(0u, encode_ack(PacketType::Publish, a, v, buf, sizeof buf));
        CHECK_EQUAL(0u, encode_ack(PacketType::Subscribe, a, v, buf, sizeof buf));
    }
}

TEST(CodecAck, EarlierVersionsAreFourBytesInline) {
    // Before 5.0 an ack is the Packet Identifier alone, whatever the reason and
    // properties say; too small a buffer gives 0 and writes nothing; a null buffer
    // only measures.
    Ack a;
    a.packet_id = 0xBEEF;
    a.reason = Reason::QuotaExceeded;
    const struct {
        PacketType type;
        const char* wire;
    } cases[] = {{PacketType::Puback, "40 02 BE EF"},
                 {PacketType::Pubrec, "50 02 BE EF"},
                 {PacketType::Pubrel, "62 02 BE EF"},
                 {PacketType::Pubcomp, "70 02 BE EF"}};
    for (Version v : {Version::V3_1, Version::V3_1_1}) {
        for (const auto& c : cases) {
            std::uint8_t buf[4] = {0xAA, 0xAA, 0xAA, 0xAA};
            CHECK_EQUAL(0u, encode_ack(c.type, a, v, buf, 3));
            CHECK_EQUAL(0xAA, buf[0]);
            CHECK_EQUAL(4u, encode_ack(c.type, a, v, nullptr, static_cast<std::size_t>(-1)));
            CHECK_EQUAL(4u, encode_ack(c.type, a, v, buf, sizeof buf));
            STRCMP_EQUAL(c.wire, to_hex(buf, 4).c_str());
        }
    }
}

TEST(CodecAck, TruncationAndCorruptionSweep) {
    // 5.0 acks may stop after the identifier or the reason code (§3.4.2.1).
    sweep(hex("50 0B 00 09 00 07 26 00 01 'k' 00 01 'v'"), opts(Version::V5, Role::Client), Prefixes::MayBeShorterPacket);
    sweep(hex("62 03 00 09 92"), opts(Version::V5, Role::Server), Prefixes::MayBeShorterPacket);
    sweep(hex("40 02 00 01"), opts(Version::V3_1_1, Role::Server));
}
