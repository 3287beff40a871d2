// decode() and encode(): dispatch on the packet type to the per-type entry points.
#include "mote/common/codec.hpp"

#include "wire.hpp"

namespace mote::mqtt {
namespace {

// PINGREQ goes from client to server, PINGRESP back; both have no body (§3.12, §3.13).
Error decode_ping(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, PacketType type) {
    const auto dir = type == PacketType::Pingreq ? wire::Direction::ClientToServer : wire::Direction::ServerToClient;
    if (Error e = wire::check_start(first_byte, type, opts, dir)) return e;
    return body.empty() ? kOk : wire::malformed(MOTE_WHY("PINGREQ/PINGRESP with a body"));
}

}  // namespace

Error decode(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, Packet& out) {
    out = Packet{};
    out.type = static_cast<PacketType>(first_byte >> 4);
    switch (out.type) {
        case PacketType::Connect: return decode_connect(first_byte, body, opts, out.connect);
        case PacketType::Connack: return decode_connack(first_byte, body, opts, out.connack);
        case PacketType::Publish: return decode_publish(first_byte, body, opts, out.publish);
        case PacketType::Puback:
        case PacketType::Pubrec:
        case PacketType::Pubrel:
        case PacketType::Pubcomp: return decode_ack(first_byte, body, opts, out.ack);
        case PacketType::Subscribe: return decode_subscribe(first_byte, body, opts, out.subscribe);
        case PacketType::Suback:
        case PacketType::Unsuback: return decode_suback(first_byte, body, opts, out.suback);
        case PacketType::Unsubscribe: return decode_unsubscribe(first_byte, body, opts, out.unsubscribe);
        case PacketType::Pingreq:
        case PacketType::Pingresp: return decode_ping(first_byte, body, opts, out.type);
        case PacketType::Disconnect: return decode_disconnect(first_byte, body, opts, out.disconnect);
        case PacketType::Auth: return decode_auth(first_byte, body, opts, out.auth);
        case PacketType::Reserved: break;
    }
    return wire::malformed(MOTE_WHY("reserved packet type 0"));  // §2.1.2
}

std::size_t encode(const Packet& p, Version v, std::uint8_t* buf, std::size_t cap) {
    switch (p.type) {
        case PacketType::Connect: return encode_connect(p.connect, buf, cap);
        case PacketType::Connack: return encode_connack(p.connack, v, buf, cap);
        case PacketType::Publish: return encode_publish(p.publish, v, buf, cap);
        case PacketType::Puback:
        case PacketType::Pubrec:
        case PacketType::Pubrel:
        case PacketType::Pubcomp: return encode_ack(p.type, p.ack, v, buf, cap);
        case PacketType::Subscribe: return encode_subscribe(p.subscribe, v, buf, cap);
        case PacketType::Suback:
        case PacketType::Unsuback: return encode_suback(p.type, p.suback, v, buf, cap);
        case PacketType::Unsubscribe: return encode_unsubscribe(p.unsubscribe, v, buf, cap);
        case PacketType::Pingreq:
        case PacketType::Pingresp: return encode_ping(p.type, buf, cap);
        case PacketType::Disconnect: return encode_disconnect(p.disconnect, v, buf, cap);
        case PacketType::Auth: return is_v5(v) ? encode_auth(p.auth, buf, cap) : 0;
        case PacketType::Reserved: break;
    }
    return 0;
}

std::size_t encoded_size(const Packet& p, Version v) { return encode(p, v, nullptr, static_cast<std::size_t>(-1)); }

}  // namespace mote::mqtt
