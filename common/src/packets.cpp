// Packet helpers: the make_* constructors. (The Subscription Options byte and the
// filter lists read in place are inline in packets.hpp.)
#include "mote/common/packets.hpp"

namespace mote::mqtt {

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
