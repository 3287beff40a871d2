// Encoder contracts of codec.hpp: encoded_size() is exact, encode() never writes past
// `cap` and returns 0 when the packet does not fit, the VBI helpers (§1.5.5).
#include "common/codec/codec_support.hpp"

#include <CppUTest/TestHarness.h>

#include "mote/common/codec.hpp"

using namespace mote::mqtt;
using namespace mote::mqtt::test;

TEST_GROUP(CodecEncode) {};

TEST(CodecEncode, VarintSizesAndBytes) {
    // §1.5.5 Table 1-1: the boundaries of 1, 2, 3 and 4 bytes.
    const struct {
        std::uint32_t v;
        const char* hex;
    } cases[] = {{0, "00"},
                 {127, "7F"},
                 {128, "80 01"},
                 {16383, "FF 7F"},
                 {16384, "80 80 01"},
                 {2097151, "FF FF 7F"},
                 {2097152, "80 80 80 01"},
                 {268435455, "FF FF FF 7F"}};
    for (const auto& c : cases) {
        std::uint8_t out[4];
        const std::size_t n = encode_varint(c.v, out);
        CHECK_EQUAL(varint_size(c.v), n);
        STRCMP_EQUAL(c.hex, to_hex(out, n).c_str());
    }
    CHECK_EQUAL(0u, varint_size(268435456u));
}

TEST(CodecEncode, EncodeNeverWritesPastCap) {
    std::uint8_t pbuf[] = {0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v'};
    Publish p;
    p.qos = 1;
    p.topic = Bytes::of("t/1");
    p.packet_id = 1;
    p.props = Properties(Bytes(pbuf, sizeof pbuf));
    p.payload = Bytes::of("0123456789");
    const Packet pk = make_packet(p);
    const std::size_t n = encoded_size(pk, Version::V5);
    CHECK_EQUAL(2u + 5u + 2u + 8u + 10u, n);
    std::uint8_t buf[64];
    for (std::size_t cap = 0; cap < n; ++cap) {
        for (std::uint8_t& b : buf) b = 0xAA;
        CHECK_EQUAL(0u, encode(pk, Version::V5, buf, cap));
        for (std::size_t i = cap; i < sizeof buf; ++i) CHECK_EQUAL(0xAA, buf[i]);
    }
    CHECK_EQUAL(n, encode(pk, Version::V5, buf, n));
    CHECK_EQUAL(0u, encode(pk, Version::V5, nullptr, 0));
}

TEST(CodecEncode, RemainingLengthBoundariesGiveExactBytes) {
    // A body of 127 bytes has a one-byte Remaining Length, 128 and 16383 two, 16384
    // three (§1.5.5): the fixed header is followed by exactly the body, whatever its
    // length takes, and one byte less of room fails.
    const std::size_t bodies[] = {2, 126, 127, 128, 129, 16383, 16384, 16385};
    ByteVec payload(16384, 0);
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i * 7 + 1);
    for (const std::size_t body : bodies) {
        Publish p;
        p.topic = Bytes::of("");
        p.payload = Bytes(payload.data(), body - 2);  // the empty topic's length is 2 bytes
        ByteVec want{0x30};
        std::uint8_t rl[4];
        const std::size_t rl_bytes = encode_varint(static_cast<std::uint32_t>(body), rl);
        want.insert(want.end(), rl, rl + rl_bytes);
        want.push_back(0);
        want.push_back(0);
        want.insert(want.end(), payload.begin(), payload.begin() + static_cast<long>(body - 2));
        const Packet pk = make_packet(p);
        CHECK_EQUAL(want.size(), encoded_size(pk, Version::V3_1_1));
        ByteVec buf(want.size() + 8, 0xAA);
        CHECK_EQUAL(want.size(), encode(pk, Version::V3_1_1, buf.data(), want.size()));
        CHECK_TRUE(ByteVec(buf.begin(), buf.begin() + static_cast<long>(want.size())) == want);
        for (std::size_t i = want.size(); i < buf.size(); ++i) CHECK_EQUAL(0xAA, buf[i]);
        CHECK_EQUAL(0u, encode(pk, Version::V3_1_1, buf.data(), want.size() - 1));
    }
}

TEST(CodecEncode, TooLongStringsCannotBeEncoded) {
    // §1.5.4: a UTF-8 string has at most 65535 bytes.
    ByteVec topic(70000, 'a');
    Publish p;
    p.topic = Bytes(topic.data(), topic.size());
    CHECK_EQUAL(0u, encoded_size(make_packet(p), Version::V3_1_1));
    CHECK_EQUAL(0u, publish_header_size(p, Version::V3_1_1));
}

TEST(CodecEncode, RemainingLengthAboveTheMaximumCannotBeEncoded) {
    // §2.1.4: at most 268435455 bytes. The payload is never read by the size pass,
    // so a view with a huge size and a valid pointer is enough here.
    std::uint8_t one = 0;
    Publish p;
    p.topic = Bytes::of("t");
    p.payload = Bytes(&one, 268435455u);
    CHECK_EQUAL(0u, encoded_size(make_packet(p), Version::V3_1_1));
    CHECK_EQUAL(0u, publish_header_size(p, Version::V3_1_1));
    p.payload = Bytes(&one, 268435455u - 3u);
    CHECK_EQUAL(268435455u + 5u, encoded_size(make_packet(p), Version::V3_1_1));
    CHECK_EQUAL(5u + 3u, publish_header_size(p, Version::V3_1_1));
}

TEST(CodecEncode, ReservedTypeCannotBeEncoded) {
    Packet p;
    CHECK_EQUAL(0u, encoded_size(p, Version::V5));
}

TEST(CodecEncode, EveryTypeRoundTripsInBothVersions) {
    // decode(encode(p)) == p for the simplest packet of each type.
    for (Version v : {Version::V3_1_1, Version::V5}) {
        Connect c;
        c.version = v;
        c.client_id = Bytes::of("id");
        roundtrip(make_packet(c), v, Role::Client);
        roundtrip(make_packet(Connack{}), v, Role::Server);
        Publish pub;
        pub.topic = Bytes::of("t");
        roundtrip(make_packet(pub), v, Role::Client);
        Ack a;
        a.packet_id = 1;
        for (PacketType t : {PacketType::Puback, PacketType::Pubrec, PacketType::Pubrel, PacketType::Pubcomp}) {
            roundtrip(make_ack(t, a), v, Role::Client);
        }
        SubscribeEntry e;
        e.filter = Bytes::of("f");
        Subscribe s;
        s.packet_id = 1;
        s.entries = SubscribeList::from_array(&e, 1);
        roundtrip(make_packet(s), v, Role::Client);
        const std::uint8_t code = 0;
        SubackLike sa;
        sa.packet_id = 1;
        sa.codes = Bytes(&code, 1);
        roundtrip(make_suback(PacketType::Suback, sa), v, Role::Server);
        if (v == Version::V3_1_1) sa.codes = Bytes();
        roundtrip(make_suback(PacketType::Unsuback, sa), v, Role::Server);
        Bytes f = Bytes::of("f");
        Unsubscribe u;
        u.packet_id = 1;
        u.filters = UnsubscribeList::from_array(&f, 1);
        roundtrip(make_packet(u), v, Role::Client);
        roundtrip(make_ping(PacketType::Pingreq), v, Role::Client);
        roundtrip(make_ping(PacketType::Pingresp), v, Role::Server);
        roundtrip(make_packet(Disconnect{}), v, Role::Client);
    }
    roundtrip(make_packet(Auth{}), Version::V5, Role::Client);
}
