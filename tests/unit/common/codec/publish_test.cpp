// PUBLISH: round trips, hand-assembled bytes, the header-only encoder, and the form
// rules of §3.3 (HOSTILE_INPUTS.md rows 36-44, client rows C2 and C14).
#include "common/codec/codec_support.hpp"

#include <CppUTest/TestHarness.h>

#include "mote/common/codec.hpp"
#include "mote/common/properties.hpp"

using namespace mote::mqtt;
using namespace mote::mqtt::test;

namespace {
const char* const kV5Publish =
    "3D 1C 00 01 't' 12 34 15 01 01 02 00 00 00 3C 03 00 04 'text' 26 00 01 'k' 00 01 'v' 'x'";
}

TEST_GROUP(CodecPublish) {};

TEST(CodecPublish, V311Qos1MatchesHandAssembledBytes) {
    Publish p;
    p.qos = 1;
    p.topic = Bytes::of("a/b");
    p.packet_id = 10;
    p.payload = Bytes::of("hi");
    const ByteVec wire = roundtrip(make_packet(p), Version::V3_1_1, Role::Client);
    STRCMP_EQUAL("32 09 00 03 61 2F 62 00 0A 68 69", to_hex(wire).c_str());
}

TEST(CodecPublish, V5Qos2WithPropertiesMatchesHandAssembledBytes) {
    std::uint8_t pbuf[32];
    PropertyBuilder b(pbuf, sizeof pbuf);
    b.add_byte(PropertyId::PayloadFormatIndicator, 1)
        .add_u32(PropertyId::MessageExpiryInterval, 60)
        .add_string(PropertyId::ContentType, Bytes::of("text"))
        .add_pair(PropertyId::UserProperty, Bytes::of("k"), Bytes::of("v"));
    CHECK_TRUE(b.ok());
    Publish p;
    p.qos = 2;
    p.dup = true;
    p.retain = true;
    p.topic = Bytes::of("t");
    p.packet_id = 0x1234;
    p.props = b.view();
    p.payload = Bytes::of("x");
    const ByteVec wire = roundtrip(make_packet(p), Version::V5, Role::Client);
    STRCMP_EQUAL(to_hex(hex(kV5Publish)).c_str(), to_hex(wire).c_str());

    Decoded dd = decode_hex_full(kV5Publish, Version::V5);
    CHECK_TRUE(dd.e.ok());
    const Publish& d = dd.p.publish;
    CHECK_EQUAL(2, d.qos);
    CHECK_TRUE(d.dup && d.retain);
    CHECK_EQUAL(0x1234, d.packet_id);
    CHECK_EQUAL(1u, d.props.number(PropertyId::PayloadFormatIndicator, 0));
    CHECK_EQUAL(60u, d.props.number(PropertyId::MessageExpiryInterval, 0));
    CHECK_TRUE(d.props.bytes(PropertyId::ContentType) == Bytes::of("text"));
    CHECK_TRUE(d.payload == Bytes::of("x"));
}

TEST(CodecPublish, Qos0HasNoPacketIdAndMayHaveAnEmptyPayload) {
    // [MQTT-2.2.1-2]: no Packet Identifier at QoS 0; §3.3.3: a zero-length payload is valid.
    Publish p;
    p.topic = Bytes::of("a");
    p.packet_id = 77;  // ignored at QoS 0
    STRCMP_EQUAL("30 03 00 01 61", to_hex(encode_vec(make_packet(p), Version::V3_1_1)).c_str());
    STRCMP_EQUAL("30 04 00 01 61 00", to_hex(encode_vec(make_packet(p), Version::V5)).c_str());
    p.packet_id = 0;
    roundtrip(make_packet(p), Version::V5, Role::Server);
}

TEST(CodecPublish, V311EncodingOmitsProperties) {
    const std::uint8_t props[] = {0x23, 0x00, 0x05};
    Publish p;
    p.topic = Bytes::of("a");
    p.props = Properties(Bytes(props, sizeof props));
    p.payload = Bytes::of("z");
    STRCMP_EQUAL("30 04 00 01 61 7A", to_hex(encode_vec(make_packet(p), Version::V3_1_1)).c_str());
    STRCMP_EQUAL("30 08 00 01 61 03 23 00 05 7A", to_hex(encode_vec(make_packet(p), Version::V5)).c_str());
}

TEST(CodecPublish, HeaderEncoderCountsThePayloadButDoesNotWriteIt) {
    Publish p;
    p.qos = 1;
    p.topic = Bytes::of("sensors/1");
    p.packet_id = 5;
    ByteVec payload(300, 0x42);
    p.payload = Bytes(payload.data(), payload.size());
    for (Version v : {Version::V3_1_1, Version::V5}) {
        const ByteVec whole = encode_vec(make_packet(p), v);
        const std::size_t n = publish_header_size(p, v);
        ByteVec head(n);
        CHECK_EQUAL(n, encode_publish_header(p, v, head.data(), head.size()));
        CHECK_EQUAL(0u, encode_publish_header(p, v, head.data(), n - 1));
        CHECK_EQUAL(whole.size(), n + payload.size());
        STRCMP_EQUAL(to_hex(whole.data(), n).c_str(), to_hex(head).c_str());
    }
}

TEST(CodecPublish, Qos3IsMalformed) {
    // [MQTT-3.3.1-4], HOSTILE row 36.
    CHECK_REASON(Reason::MalformedPacket, decode_hex("36 0F 00 05 'topic' 00 'payload'", Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0x36, "00 05 'topic' 00 01 00 'payload'", Version::V5));
}

TEST(CodecPublish, PacketId0IsAProtocolError) {
    // [MQTT-2.2.1-3] (3.1.1 [MQTT-2.3.1-1]), HOSTILE row 37.
    CHECK_REASON(Reason::ProtocolError, decode_hex("32 11 00 05 'topic' 00 00 00 'payload'", Version::V5));
    CHECK_REASON(Reason::ProtocolError, dec(0x34, "00 05 'topic' 00 00 'payload'", Version::V3_1_1));
}

TEST(CodecPublish, DupWithQos0IsMalformed) {
    // [MQTT-3.3.1-2], HOSTILE row 38.
    CHECK_REASON(Reason::MalformedPacket, dec(0x38, "00 01 't' 'x'", Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0x38, "00 01 't' 00 'x'", Version::V5));
}

TEST(CodecPublish, WildcardsInTheTopicNameAreMalformed) {
    // [MQTT-3.3.2-2] [MQTT-4.7.0-1], HOSTILE row 39.
    CHECK_REASON(Reason::MalformedPacket, decode_hex("30 0F 00 05 2B 6F 70 69 63 00 'payload'", Version::V5));
    CHECK_REASON(Reason::MalformedPacket, dec(0x30, "00 03 'a/#' 'x'", Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0x30, "00 03 'a/+' 00 'x'", Version::V5));
}

TEST(CodecPublish, EmptyTopicNeedsATopicAliasIn5) {
    // §3.3.2.1 / [MQTT-4.7.3-1], HOSTILE rows 40 and 43: without an alias it is a
    // Protocol Error in 5.0 and malformed in 3.1.1; with one the decoder accepts
    // (whether the alias is mapped is connection state).
    CHECK_REASON(Reason::ProtocolError, decode_hex("30 0A 00 00 00 'payload'", Version::V5));
    CHECK_REASON(Reason::MalformedPacket, dec(0x30, "00 00 'payload'", Version::V3_1_1));
    Decoded d = dec_full(0x30, "00 00 03 23 00 07 'payload'", Version::V5);
    CHECK_TRUE(d.e.ok());
    CHECK_TRUE(d.p.publish.topic.empty());
    CHECK_EQUAL(7u, d.p.publish.props.number(PropertyId::TopicAlias, 0));
}

TEST(CodecPublish, IllFormedUtf8TopicIsMalformed) {
    // [MQTT-1.5.4-1] [MQTT-1.5.4-2], HOSTILE row 41.
    for (const char* t : {"00 01 00", "00 03 ED A0 80", "00 02 C0 80", "00 01 C3"}) {
        CHECK_REASON(Reason::MalformedPacket, dec(0x30, std::string(t) + " 'x'", Version::V3_1_1));
        CHECK_REASON(Reason::MalformedPacket, dec(0x30, std::string(t) + " 00 'x'", Version::V5));
    }
}

TEST(CodecPublish, TopicAlias0IsTopicAliasInvalid) {
    // [MQTT-3.3.2-8], HOSTILE row 42 (the limit check is connection state).
    CHECK_REASON(Reason::TopicAliasInvalid, dec(0x30, "00 01 't' 03 23 00 00 'x'", Version::V5));
    CHECK_REASON(Reason::TopicAliasInvalid, dec(0x30, "00 01 't' 03 23 00 00 'x'", Version::V5, Role::Server));
}

TEST(CodecPublish, DuplicateOrInvalidPropertiesAreProtocolErrors) {
    // [MQTT-3.3.2-14] and §3.3.2.3, HOSTILE row 44.
    CHECK_REASON(Reason::ProtocolError, dec(0x30, "00 01 't' 06 23 00 01 23 00 02", Version::V5));
    CHECK_REASON(Reason::ProtocolError, dec(0x30, "00 01 't' 08 08 00 01 'a' 08 00 01 'b'", Version::V5));
    CHECK_REASON(Reason::ProtocolError, dec(0x30, "00 01 't' 04 08 00 01 23", Version::V5));
    CHECK_REASON(Reason::ProtocolError, dec(0x30, "00 01 't' 02 01 02", Version::V5));
}

TEST(CodecPublish, SubscriptionIdentifierOnlyFromTheServer) {
    // [MQTT-3.3.4-6]: a client MUST NOT send one; a server may send several [MQTT-3.3.4-4].
    CHECK_REASON(Reason::ProtocolError, dec(0x30, "00 01 't' 02 0B 01", Version::V5, Role::Client));
    Decoded d = dec_full(0x30, "00 01 't' 04 0B 01 0B 7F 'x'", Version::V5, Role::Server);
    CHECK_TRUE(d.e.ok());
    int count = 0;
    for (const Property& p : d.p.publish.props) count += p.id == PropertyId::SubscriptionIdentifier;
    CHECK_EQUAL(2, count);
    // 0 is a Protocol Error (§3.3.2.3.8); a non-minimal VBI is malformed (HOSTILE row 2).
    CHECK_REASON(Reason::ProtocolError, dec(0x30, "00 01 't' 02 0B 00", Version::V5, Role::Server));
    CHECK_REASON(Reason::MalformedPacket, dec(0x30, "00 01 't' 03 0B 80 00", Version::V5, Role::Server));
    // A four-byte VBI is the largest: 268435455 decodes, five bytes do not.
    Decoded big = dec_full(0x30, "00 01 't' 05 0B FF FF FF 7F", Version::V5, Role::Server);
    CHECK_TRUE(big.e.ok());
    CHECK_EQUAL(268435455u, big.p.publish.props.number(PropertyId::SubscriptionIdentifier, 0));
    CHECK_REASON(Reason::MalformedPacket, dec(0x30, "00 01 't' 06 0B FF FF FF FF 01", Version::V5, Role::Server));
}

TEST(CodecPublish, LengthsPastTheEndAreMalformed) {
    // HOSTILE row C2: topic length and Property Length beyond the packet.
    CHECK_REASON(Reason::MalformedPacket, decode_hex("30 03 00 05 't'", Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0x30, "00 01 't' 09 01 01", Version::V5, Role::Server));
    CHECK_REASON(Reason::MalformedPacket, dec(0x32, "00 01 't' 00", Version::V3_1_1, Role::Server));
}

TEST(CodecPublish, UnknownOrMisplacedPropertiesFromTheServer) {
    // HOSTILE row C14: unknown id -> Malformed; not allowed in PUBLISH -> Protocol Error.
    CHECK_REASON(Reason::MalformedPacket, dec(0x30, "00 01 't' 02 7E 00", Version::V5, Role::Server));
    CHECK_REASON(Reason::ProtocolError, dec(0x30, "00 01 't' 02 29 01", Version::V5, Role::Server));
    CHECK_REASON(Reason::ProtocolError, dec(0x30, "00 01 't' 03 21 00 01", Version::V5, Role::Server));
}

TEST(CodecPublish, RoundTripsInEveryQosAndVersion) {
    for (Version v : {Version::V3_1_1, Version::V5}) {
        for (std::uint8_t qos = 0; qos < 3; ++qos) {
            Publish p;
            p.qos = qos;
            p.dup = qos > 0;
            p.retain = qos != 1;
            p.topic = Bytes::of("a/b/c");
            p.packet_id = qos ? static_cast<std::uint16_t>(0xFFFF - qos) : 0;
            p.payload = Bytes::of("payload");
            roundtrip(make_packet(p), v, Role::Server);
        }
    }
}

TEST(CodecPublish, TruncationAndCorruptionSweep) {
    // The payload runs to the end, so a prefix can be a PUBLISH with less payload.
    sweep(hex(kV5Publish), opts(Version::V5, Role::Client), Prefixes::MayBeShorterPacket);
    sweep(hex("32 09 00 03 'a/b' 00 0A 'hi'"), opts(Version::V3_1_1, Role::Client), Prefixes::MayBeShorterPacket);
    sweep(frame(0x30, "00 00 03 23 00 07 'p'"), opts(Version::V5, Role::Server), Prefixes::MayBeShorterPacket);
    // Without a payload every prefix cuts a required field.
    sweep(frame(0x32, "00 01 't' 00 05 " + plen("26 00 01 'k' 00 01 'v'")), opts(Version::V5, Role::Client));
    sweep(frame(0x34, "00 03 'a/b' 00 0A"), opts(Version::V3_1_1, Role::Server));
}

TEST(CodecPublish, LargePayloadUsesAMultiByteRemainingLength) {
    ByteVec payload(20000, 0x01);
    Publish p;
    p.topic = Bytes::of("big");
    p.payload = Bytes(payload.data(), payload.size());
    const ByteVec wire = roundtrip(make_packet(p), Version::V5, Role::Client);
    // 20000 + 2 + 3 + 1 = 20006 = 0x4E26 -> A6 9C 01 (§1.5.5).
    STRCMP_EQUAL("30 A6 9C 01", to_hex(wire.data(), 4).c_str());
}
