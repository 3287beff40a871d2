// Control-packet replies: encoded into the engine's scratch buffer and handed to Io
// (which copies them before returning).
#include <cstring>

#include "engine/engine_impl.hpp"
#include "engine/fast_wire.hpp"

namespace mote::broker {

using detail::Connection;
using mqtt::PacketType;

SendResult Engine::Impl::send_packet(Connection& c, const mqtt::Packet& p) {
    const std::size_t n = mqtt::encoded_size(p, c.version);
    if (n == 0) return SendResult::Dropped;  // cannot happen for the packets we build
    enc.resize(n);
    const std::size_t w = mqtt::encode(p, c.version, enc.data(), enc.size());
    if (w == 0) return SendResult::Dropped;
    stats.bytes_sent += w;
    const SendResult r = io.send(c.id, mqtt::Bytes(enc.data(), w));
    if (r == SendResult::Backpressure) c.backpressured = true;
    return r;
}

void Engine::Impl::send_ack(Connection& c, PacketType type, std::uint16_t id, mqtt::Reason reason) {
    if (store != nullptr && type != PacketType::Pubrel && store->hold_acks()) {
        // Strict durability: the acknowledgement waits for the loop turn's commit
        // (on_commit), in order with the others.
        held_acks.push_back({c.id, type, id, reason});
        return;
    }
    if (!mqtt::is_v5(c.version) || reason == mqtt::Reason::Success) {
        // The common case, one per QoS 1/2 message: the fixed 4-byte form.
        std::uint8_t buf[4];
        detail::encode_short_ack(type, id, buf);
        stats.bytes_sent += sizeof buf;
        if (io.send(c.id, mqtt::Bytes(buf, sizeof buf)) == SendResult::Backpressure) c.backpressured = true;
        return;
    }
    mqtt::Ack a;
    a.packet_id = id;
    a.reason = reason;  // only 5.0 with a non-zero code gets here
    send_packet(c, mqtt::make_ack(type, a));
}

mqtt::Properties Engine::Impl::reason_string(const Connection& c, const char* why, std::size_t packet_without) {
    // Off unless `reason_strings true`: mosquitto sends none, and the cause tells a
    // peer how the parser works. fail() logs it either way.
    if (!cfg.reason_strings) return {};
    const std::size_t len = why == nullptr ? 0 : std::strlen(why);
    if (len == 0 || !mqtt::is_v5(c.version)) return {};
    // The property (1 + 2 + len bytes) and the Property Length growing from one byte
    // (0) to at most two, plus one more byte of Remaining Length at most.
    const std::size_t with = packet_without + 3 + len + 2;
    if (c.client_max_packet != 0 && with > c.client_max_packet) return {};
    reason_buf.resize(3 + len);
    mqtt::PropertyBuilder b(reason_buf.data(), reason_buf.size());
    b.add_string(mqtt::PropertyId::ReasonString, mqtt::Bytes::of(why, len));
    return b.view();
}

void Engine::Impl::send_disconnect(Connection& c, mqtt::Reason reason, const char* why) {
    mqtt::Disconnect d;
    d.reason = reason;
    d.props = reason_string(c, why, 4);  // E0 RL reason property-length
    send_packet(c, mqtt::make_packet(d));
}

void Engine::Impl::send_connack_code(Connection& c, std::uint8_t code, const char* why) {
    mqtt::Connack a;
    a.session_present = false;  // [MQTT-3.2.2-6]: 0 with a non-zero return code
    a.code = code;
    a.props = reason_string(c, why, 5);  // 20 RL flags code property-length
    send_packet(c, mqtt::make_packet(a));
}

}  // namespace mote::broker
