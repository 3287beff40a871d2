// Packet helpers: the Subscription Options byte, topic filter lists read in place
// from a decoded payload, and the make_* constructors.
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

namespace {
// A wire entry is a two-byte length and the filter, plus the options byte in a
// SUBSCRIBE. The decoder validated the list, so these reads stay inside it.
std::size_t filter_len(Bytes raw, std::size_t off) {
    return static_cast<std::size_t>((raw[off] << 8) | raw[off + 1]);
}
void read_entry(Bytes raw, std::size_t off, Bytes& out) { out = raw.sub(off + 2, filter_len(raw, off)); }
void read_entry(Bytes raw, std::size_t off, SubscribeEntry& out) {
    const std::size_t n = filter_len(raw, off);
    out.filter = raw.sub(off + 2, n);
    out.options = SubscribeOptions::from_byte(raw[off + 2 + n]);
}
constexpr std::size_t tail_size(const Bytes*) { return 0; }
constexpr std::size_t tail_size(const SubscribeEntry*) { return 1; }
}  // namespace

template <typename Entry>
Entry EntryList<Entry>::Iterator::operator*() const {
    if (!list_->from_wire()) return list_->items_[index_];
    Entry e{};
    read_entry(list_->raw_, offset_, e);
    return e;
}

template <typename Entry>
typename EntryList<Entry>::Iterator& EntryList<Entry>::Iterator::operator++() {
    if (list_->from_wire()) {
        offset_ += 2 + filter_len(list_->raw_, offset_) + tail_size(static_cast<const Entry*>(nullptr));
    }
    ++index_;
    return *this;
}

template class EntryList<SubscribeEntry>;
template class EntryList<Bytes>;

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
