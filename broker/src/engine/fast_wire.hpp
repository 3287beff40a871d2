// Encoders for the two packets the broker sends per message, PUBLISH headers for
// 3.1/3.1.1 subscribers and acknowledgements without a reason code or properties.
// Their layouts are fixed, so they are written directly instead of through the
// generic mqtt::encode (which sizes the packet and then writes it byte by byte
// through a bounds-checked Writer): on the fan-in path that was about 650
// instructions per acknowledgement. Anything else (MQTT 5 PUBLISH, acks with a
// reason code) still goes through common/. The unit tests check that both produce
// the same bytes as mqtt::encode.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "mote/common/protocol.hpp"

namespace mote::broker::detail {

// An acknowledgement (PUBACK, PUBREC, PUBREL, PUBCOMP) with Remaining Length 2:
// the 3.1.1 form, and the 5.0 form for Reason Code 0x00 without properties
// (5.0 §3.4.2.1, §3.5.2.1, §3.6.2.1, §3.7.2.1). PUBREL has the fixed flags 0010
// [MQTT-3.6.1-1]. Writes 4 bytes.
inline void encode_short_ack(mqtt::PacketType type, std::uint16_t packet_id, std::uint8_t* out) {
    const auto t = static_cast<unsigned>(type);
    out[0] = static_cast<std::uint8_t>((t << 4u) | (type == mqtt::PacketType::Pubrel ? 0x02u : 0u));
    out[1] = 2;
    out[2] = static_cast<std::uint8_t>(packet_id >> 8);
    out[3] = static_cast<std::uint8_t>(packet_id & 0xFF);
}

// The largest header encode_publish_header_311 writes: fixed header (1 + 4),
// topic length and topic, packet identifier.
constexpr std::size_t publish_header_311_size(std::size_t topic_size) { return 5 + 2 + topic_size + 2; }

// A 3.1/3.1.1 PUBLISH up to the payload (3.1.1 §3.3.1, §3.3.2): first byte with
// DUP, QoS and RETAIN, Remaining Length, the topic as a length-prefixed string,
// the packet identifier when QoS > 0. `out` holds publish_header_311_size(topic)
// bytes. Returns the header size, or 0 when the packet would exceed the largest
// Remaining Length (268 435 455, §2.2.3).
inline std::size_t encode_publish_header_311(std::uint8_t qos, bool dup, bool retain, std::string_view topic,
                                             std::uint16_t packet_id, std::size_t payload_size,
                                             std::uint8_t* out) {
    const std::size_t remaining = 2 + topic.size() + (qos > 0 ? 2 : 0) + payload_size;
    if (remaining > mqtt::kMaxRemainingLength || topic.size() > 0xFFFFu) return 0;
    std::size_t n = 0;
    out[n++] = static_cast<std::uint8_t>(0x30u | (dup ? 0x08u : 0u) | ((qos & 3u) << 1) | (retain ? 0x01u : 0u));
    std::size_t rl = remaining;
    do {
        auto b = static_cast<std::uint8_t>(rl & 0x7F);
        rl >>= 7;
        if (rl != 0) b = static_cast<std::uint8_t>(b | 0x80);
        out[n++] = b;
    } while (rl != 0);
    out[n++] = static_cast<std::uint8_t>(topic.size() >> 8);
    out[n++] = static_cast<std::uint8_t>(topic.size() & 0xFF);
    if (!topic.empty()) std::memcpy(out + n, topic.data(), topic.size());
    n += topic.size();
    if (qos > 0) {
        out[n++] = static_cast<std::uint8_t>(packet_id >> 8);
        out[n++] = static_cast<std::uint8_t>(packet_id & 0xFF);
    }
    return n;
}

}  // namespace mote::broker::detail
