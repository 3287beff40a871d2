// The broker's direct encoders for acknowledgements and 3.1.1 PUBLISH headers
// must produce exactly the bytes of the generic encoder in common/.
#include "../../../../broker/src/engine/fast_wire.hpp"

#include <CppUTest/TestHarness.h>

#include <string>
#include <vector>

#include "mote/common/codec.hpp"

using mote::mqtt::Ack;
using mote::mqtt::Bytes;
using mote::mqtt::PacketType;
using mote::mqtt::Publish;
using mote::mqtt::Version;

TEST_GROUP(FastWire){};

TEST(FastWire, ShortAckMatchesCommonEncoder) {
    for (PacketType t : {PacketType::Puback, PacketType::Pubrec, PacketType::Pubrel, PacketType::Pubcomp}) {
        for (const unsigned id : {1u, 2u, 255u, 256u, 0x1234u, 0xFFFFu}) {
            for (Version v : {Version::V3_1_1, Version::V5}) {
                Ack a;
                a.packet_id = static_cast<std::uint16_t>(id);
                std::uint8_t want[16];
                const std::size_t n = mote::mqtt::encode_ack(t, a, v, want, sizeof want);
                LONGS_EQUAL(4, n);
                std::uint8_t got[4];
                mote::broker::detail::encode_short_ack(t, static_cast<std::uint16_t>(id), got);
                MEMCMP_EQUAL(want, got, 4);
            }
        }
    }
}

TEST(FastWire, Publish311HeaderMatchesCommonEncoder) {
    const std::vector<std::string> topics = {"a", "mote-bench/1234/in", std::string(300, 't'), std::string(0xFFFF, 'x')};
    const std::vector<std::size_t> payloads = {0, 1, 64, 127 - 20, 128, 16383, 16384, 2097151, 2097152};
    for (const std::string& topic : topics) {
        for (std::size_t payload : payloads) {
            for (std::uint8_t qos = 0; qos <= 2; ++qos) {
                for (int flags = 0; flags < 4; ++flags) {
                    Publish p;
                    p.qos = qos;
                    p.dup = (flags & 1) != 0 && qos > 0;
                    p.retain = (flags & 2) != 0;
                    p.topic = Bytes::of(topic.data(), topic.size());
                    p.packet_id = qos > 0 ? 0xBEEF : 0;
                    // The header encoder only needs the payload size.
                    static const std::uint8_t dummy = 0;
                    p.payload = Bytes(&dummy, payload);
                    const std::size_t n = mote::mqtt::publish_header_size(p, Version::V3_1_1);
                    std::vector<std::uint8_t> want(n);
                    LONGS_EQUAL(n, mote::mqtt::encode_publish_header(p, Version::V3_1_1, want.data(), n));
                    std::vector<std::uint8_t> got(mote::broker::detail::publish_header_311_size(topic.size()));
                    const std::size_t m = mote::broker::detail::encode_publish_header_311(
                        p.qos, p.dup, p.retain, topic, p.packet_id, payload, got.data());
                    LONGS_EQUAL(n, m);
                    MEMCMP_EQUAL(want.data(), got.data(), n);
                }
            }
        }
    }
}

TEST(FastWire, Publish311HeaderRefusesOversizedPacket) {
    std::uint8_t out[32];
    LONGS_EQUAL(0, mote::broker::detail::encode_publish_header_311(1, false, false, "t", 1,
                                                                   mote::mqtt::kMaxRemainingLength, out));
}
