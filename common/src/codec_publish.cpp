// PUBLISH (§3.3), including the header-only encoder used for zero-copy fan-out.
#include "mote/common/codec.hpp"
#include "mote/common/topic.hpp"
#include "wire.hpp"

namespace mote::mqtt {
namespace {

using wire::malformed;
using wire::protocol_error;
using wire::Writer;

// The Topic Name is a non-empty UTF-8 string without wildcards [MQTT-3.3.2-1]
// [MQTT-3.3.2-2] [MQTT-4.7.3-1]. 5.0 lets it be empty when a Topic Alias property
// names it (§3.3.2.3.4); the decoder checks only that the alias is present, since
// whether it is mapped is connection state.
Error check_topic(const Publish& out, Version v, bool strict_utf8) {
    if (!out.topic.empty()) {
        if (Error e = validate_topic_name(out.topic, strict_utf8)) return malformed(e.cause);
        return kOk;
    }
    if (!wire::v5(v)) return malformed(MOTE_WHY("empty topic name"));
    if (!wire::has_property(out.props, PropertyId::TopicAlias)) return protocol_error(MOTE_WHY("empty topic name without topic alias"));
    return kOk;
}

void write_variable_header(Writer& w, const Publish& p, Version v) {
    w.prefixed(p.topic);
    if (p.qos > 0) w.u16(p.packet_id);
    if (wire::v5(v)) wire::write_properties(w, p.props);
}

std::uint8_t publish_first_byte(const Publish& p) {
    return static_cast<std::uint8_t>(wire::first_byte(PacketType::Publish) | (p.dup ? 0x08u : 0u) |
                                     ((p.qos & 3u) << 1) | (p.retain ? 0x01u : 0u));
}

void write_publish(Writer& w, const void* packet, wire::Head h) {
    const Publish& p = *static_cast<const Publish*>(packet);
    write_variable_header(w, p, h.v());
    w.raw(p.payload);
}

}  // namespace

Error decode_publish(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, Publish& out) {
    out = Publish{};
    if (Error e = wire::check_start(first_byte, PacketType::Publish, opts, wire::Direction::Both)) return e;
    out.qos = static_cast<std::uint8_t>((first_byte >> 1) & 3u);
    out.dup = (first_byte & 0x08u) != 0;
    out.retain = (first_byte & 0x01u) != 0;
    if (out.qos == 3) return malformed(MOTE_WHY("PUBLISH QoS 3"));  // [MQTT-3.3.1-4]
    if (out.dup && out.qos == 0) return malformed(MOTE_WHY("DUP set on a QoS 0 PUBLISH"));  // [MQTT-3.3.1-2]
    wire::Reader r(body);
    if (!r.prefixed(out.topic)) return malformed(MOTE_WHY("topic length past the end"));
    if (out.qos > 0) {
        if (Error e = wire::read_packet_id(r, out.packet_id)) return e;
    }
    if (wire::v5(opts.version)) {
        if (Error e = wire::read_properties(r, PropertyContext::Publish, opts, out.props)) return e;
    }
    if (Error e = check_topic(out, opts.version, opts.strict_utf8)) return e;
    // The payload is the rest of the packet and may be empty (§3.3.3); whether it
    // matches a Payload Format Indicator of 1 is left to the receiver (§3.3.2.3.2
    // makes that check optional).
    out.payload = r.rest();
    return kOk;
}

std::size_t encode_publish(const Publish& p, Version v, std::uint8_t* buf, std::size_t cap) {
    return wire::write_packet({publish_first_byte(p), v}, buf, cap, write_publish, &p);
}

std::size_t encode_publish_header(const Publish& p, Version v, std::uint8_t* buf, std::size_t cap) {
    if (wire::v5(v) != is_v5(v)) return 0;
    // The payload counts in the Remaining Length but is not written, so the header is
    // measured first (write_packet's single pass needs the whole body).
    Writer count = Writer::counting();
    write_variable_header(count, p, v);
    const std::size_t rl = count.size() + p.payload.size;
    if (!count.ok() || rl > kMaxRemainingLength) return 0;
    Writer w(buf, cap);  // with buf == nullptr and cap == SIZE_MAX: only counts
    w.u8(publish_first_byte(p));
    w.varint(static_cast<std::uint32_t>(rl));
    write_variable_header(w, p, v);
    return w.ok() ? w.size() : 0;
}

std::size_t publish_header_size(const Publish& p, Version v) {
    return encode_publish_header(p, v, nullptr, static_cast<std::size_t>(-1));
}

}  // namespace mote::mqtt
