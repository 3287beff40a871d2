// encode_one_filter(): the one-filter SUBSCRIBE/UNSUBSCRIBE that the firmware client
// sends. Its bytes must be exactly those of encode_subscribe()/encode_unsubscribe()
// with a one-entry list, for both versions, every QoS and filter lengths that change
// the size of the Remaining Length.
#include "common/codec/codec_support.hpp"

#include <CppUTest/TestHarness.h>

#include <string>

#include "mote/common/codec.hpp"

using namespace mote::mqtt;
using namespace mote::mqtt::test;

namespace {

const Version kVersions[] = {Version::V3_1_1, Version::V5};

ByteVec one(PacketType type, std::uint16_t id, Bytes filter, SubscribeOptions o, Version v, std::size_t cap = 512) {
    ByteVec out(cap);
    out.resize(encode_one_filter(type, id, filter, o, v, out.data(), out.size()));
    return out;
}

ByteVec listed_subscribe(std::uint16_t id, Bytes filter, SubscribeOptions o, Version v) {
    SubscribeEntry e;
    e.filter = filter;
    e.options = o;
    Subscribe s;
    s.packet_id = id;
    s.entries = SubscribeList::from_array(&e, 1);
    ByteVec out(2048);
    out.resize(encode_subscribe(s, v, out.data(), out.size()));
    return out;
}

ByteVec listed_unsubscribe(std::uint16_t id, Bytes filter, Version v) {
    Unsubscribe u;
    u.packet_id = id;
    u.filters = UnsubscribeList::from_array(&filter, 1);
    ByteVec out(2048);
    out.resize(encode_unsubscribe(u, v, out.data(), out.size()));
    return out;
}

}  // namespace

TEST_GROUP(CodecOneFilter) {};

TEST(CodecOneFilter, V311BytesByHand) {
    SubscribeOptions o;
    o.qos = 1;
    o.no_local = true;  // not in 3.1.1: only the QoS is written [MQTT-3.8.3-4]
    // Fixed header flags 0010 [MQTT-3.8.1-1] [MQTT-3.10.1-1].
    STRCMP_EQUAL("82 08 00 07 00 03 61 2F 62 01",
                 to_hex(one(PacketType::Subscribe, 7, Bytes::of("a/b"), o, Version::V3_1_1)).c_str());
    STRCMP_EQUAL("A2 07 00 07 00 03 61 2F 62",
                 to_hex(one(PacketType::Unsubscribe, 7, Bytes::of("a/b"), o, Version::V3_1_1)).c_str());
}

TEST(CodecOneFilter, V5BytesByHand) {
    SubscribeOptions o;
    o.qos = 2;
    o.no_local = true;
    o.retain_handling = 1;
    // Packet Identifier, Property Length 0, filter, options 0x16.
    STRCMP_EQUAL("82 09 01 02 00 00 03 61 2F 62 16",
                 to_hex(one(PacketType::Subscribe, 0x0102, Bytes::of("a/b"), o, Version::V5)).c_str());
    STRCMP_EQUAL("A2 08 01 02 00 00 03 61 2F 62",
                 to_hex(one(PacketType::Unsubscribe, 0x0102, Bytes::of("a/b"), o, Version::V5)).c_str());
}

TEST(CodecOneFilter, SameBytesAsTheListEncoders) {
    for (Version v : kVersions) {
        for (std::size_t len : {1u, 100u, 121u, 122u, 123u, 200u, 1000u}) {
            const std::string f(len, 'x');
            for (std::uint8_t qos = 0; qos <= 2; ++qos) {
                SubscribeOptions o;
                o.qos = qos;
                o.retain_as_published = qos == 1;
                const ByteVec a = one(PacketType::Subscribe, 65535, Bytes::of(f.data(), f.size()), o, v, 2048);
                CHECK_FALSE(a.empty());
                CHECK_TRUE(a == listed_subscribe(65535, Bytes::of(f.data(), f.size()), o, v));
            }
            const ByteVec u = one(PacketType::Unsubscribe, 1, Bytes::of(f.data(), f.size()), SubscribeOptions{}, v, 2048);
            CHECK_FALSE(u.empty());
            CHECK_TRUE(u == listed_unsubscribe(1, Bytes::of(f.data(), f.size()), v));
        }
    }
}

TEST(CodecOneFilter, TooSmallABufferOrAnotherTypeGivesZero) {
    const ByteVec whole = one(PacketType::Subscribe, 7, Bytes::of("a/b"), SubscribeOptions{}, Version::V3_1_1);
    for (std::size_t cap = 0; cap < whole.size(); ++cap) {
        ByteVec out(cap + 1);
        LONGS_EQUAL(0, encode_one_filter(PacketType::Subscribe, 7, Bytes::of("a/b"), SubscribeOptions{},
                                         Version::V3_1_1, out.data(), cap));
    }
    std::uint8_t buf[64];
    LONGS_EQUAL(0, encode_one_filter(PacketType::Publish, 7, Bytes::of("a"), SubscribeOptions{}, Version::V5, buf,
                                     sizeof buf));
    LONGS_EQUAL(0, encode_one_filter(PacketType::Suback, 7, Bytes::of("a"), SubscribeOptions{}, Version::V5, buf,
                                     sizeof buf));
    // A filter longer than a UTF-8 string can be (65535 bytes) cannot be written.
    const std::string huge(65536, 'a');
    ByteVec big(70000);
    LONGS_EQUAL(0, encode_one_filter(PacketType::Unsubscribe, 7, Bytes::of(huge.data(), huge.size()), SubscribeOptions{},
                                     Version::V3_1_1, big.data(), big.size()));
}
