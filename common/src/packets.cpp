// Packet helpers: the Subscription Options byte and the make_* constructors. (The
// filter lists are read in place by EntryList's inline iterator, packets.hpp.)
#include "mote/common/packets.hpp"

namespace mote::mqtt {

std::uint8_t SubscribeOptions::to_byte() const {
    // §3.8.3.1: bits 0-1 QoS, bit 2 No Local, bit 3 Retain As Published, bits 4-5
    // Retain Handling, bits 6-7 reserved (0).
    return static_cast<std::uint8_t>((qos & 3u) | (no_local ? 0x04u : 0u) | (retain_as_published ? 0x08u : 0u) |
                                     ((retain_handling & 3u) << 4));
}

SubscribeOptions SubscribeOptions::from_byte(std::uint8_t b) {
    SubscribeOptions o;
    o.qos = static_cast<std::uint8_t>(b & 3u);
    o.no_local = (b & 0x04u) != 0;
    o.retain_as_published = (b & 0x08u) != 0;
    o.retain_handling = static_cast<std::uint8_t>((b >> 4) & 3u);
    return o;
}

Packet make_packet(const Connect& p) {
    Packet k;
    k.type = PacketType::Connect;
    k.connect = p;
    return k;
}

Packet make_packet(const Connack& p) {
    Packet k;
    k.type = PacketType::Connack;
    k.connack = p;
    return k;
}

Packet make_packet(const Publish& p) {
    Packet k;
    k.type = PacketType::Publish;
    k.publish = p;
    return k;
}

Packet make_ack(PacketType type, const Ack& p) {
    Packet k;
    k.type = type;
    k.ack = p;
    return k;
}

Packet make_packet(const Subscribe& p) {
    Packet k;
    k.type = PacketType::Subscribe;
    k.subscribe = p;
    return k;
}

Packet make_suback(PacketType type, const SubackLike& p) {
    Packet k;
    k.type = type;
    k.suback = p;
    return k;
}

Packet make_packet(const Unsubscribe& p) {
    Packet k;
    k.type = PacketType::Unsubscribe;
    k.unsubscribe = p;
    return k;
}

Packet make_packet(const Disconnect& p) {
    Packet k;
    k.type = PacketType::Disconnect;
    k.disconnect = p;
    return k;
}

Packet make_packet(const Auth& p) {
    Packet k;
    k.type = PacketType::Auth;
    k.auth = p;
    return k;
}

Packet make_ping(PacketType type) {
    Packet k;
    k.type = type;
    return k;
}

}  // namespace mote::mqtt
