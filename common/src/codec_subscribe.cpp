// SUBSCRIBE, SUBACK, UNSUBSCRIBE and UNSUBACK (§3.8-§3.11).
#include "mote/common/codec.hpp"
#include "wire.hpp"

namespace mote::mqtt {
namespace {

using wire::malformed;
using wire::protocol_error;
using wire::Reader;
using wire::Writer;

// Table 3.8 (SUBACK) and §3.11.3 (UNSUBACK) of MQTT 5.0; 3.1.1 SUBACK §3.9.3.
constexpr std::uint8_t kSubackCodes[] = {0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2};
constexpr std::uint8_t kUnsubackCodes[] = {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91};
constexpr std::uint8_t kSuback311Codes[] = {0x00, 0x01, 0x02, 0x80};

constexpr std::uint8_t kShareName[] = {'$', 's', 'h', 'a', 'r', 'e', '/'};
constexpr Bytes kSharePrefix(kShareName, sizeof kShareName);

bool is_shared(Bytes filter) {
    return filter.size >= kSharePrefix.size && filter.sub(0, kSharePrefix.size) == kSharePrefix;
}

// A filter is a non-empty UTF-8 string [MQTT-4.7.3-1]; wildcard syntax is the
// broker's to judge per entry (SUBACK 0x8F / 0x80), not a form error.
Error read_filter(Reader& r, bool strict_utf8, Bytes& out) {
    if (Error e = wire::read_string(r, strict_utf8, out)) return e;
    return out.empty() ? malformed(MOTE_WHY("empty topic filter")) : kOk;
}

Error check_options(std::uint8_t o, Version v, Bytes filter) {
    const SubscribeOptions opt = SubscribeOptions::from_byte(o);
    // 5.0 §3.8.3.1 words QoS 3 and Retain Handling 3 as Protocol Errors; Mote answers
    // them as malformed options like the reserved bits, as mosquitto does and as
    // HOSTILE_INPUTS.md row 53 asks (3.1.1 [MQTT-3.8.3-4] says malformed).
    if (opt.qos == 3) return malformed(MOTE_WHY("subscription QoS 3"));
    if (!wire::v5(v)) {
        return (o & 0xFCu) != 0 ? malformed(MOTE_WHY("reserved subscription option bits")) : kOk;  // 3.1.1 [MQTT-3.8.3-4]
    }
    if ((o & 0xC0u) != 0) return malformed(MOTE_WHY("reserved subscription option bits"));  // [MQTT-3.8.3-5]
    if (opt.retain_handling == 3) return malformed(MOTE_WHY("retain handling 3"));           // §3.8.3.1
    if (opt.no_local && is_shared(filter)) return protocol_error(MOTE_WHY("no local on a shared subscription"));  // [MQTT-3.8.3-4]
    return kOk;
}

// The common start of SUBSCRIBE/UNSUBSCRIBE/SUBACK/UNSUBACK: Packet Identifier and,
// in 5.0, properties.
Error read_id_and_props(Reader& r, const DecodeOptions& opts, PropertyContext ctx, std::uint16_t& id, Properties& props) {
    if (Error e = wire::read_packet_id(r, id)) return e;
    if (wire::v5(opts.version)) return wire::read_properties(r, ctx, opts, props);
    return kOk;
}

void write_id_and_props(Writer& w, Version v, std::uint16_t id, Properties props) {
    w.u16(id);
    if (wire::v5(v)) wire::write_properties(w, props);
}

Error check_codes(PacketType type, Bytes codes, Version v) {
    const bool suback = type == PacketType::Suback;
    if (!wire::v5(v) && !suback) return codes.empty() ? kOk : malformed(MOTE_WHY("bytes after the UNSUBACK"));
    // One code per requested filter, so never none ([MQTT-3.8.4-6], §3.11.3).
    if (codes.empty()) return protocol_error(MOTE_WHY("acknowledgement without reason codes"));
    const std::uint8_t* list = !wire::v5(v) ? kSuback311Codes : suback ? kSubackCodes : kUnsubackCodes;
    const std::size_t n = !wire::v5(v) ? sizeof kSuback311Codes : suback ? sizeof kSubackCodes : sizeof kUnsubackCodes;
    for (std::size_t i = 0; i < codes.size; ++i) {
        // A 3.1.1-only build, where only the 3.1.1 list is possible, compares inline.
        const bool allowed = MOTE_MQTT_V5 != 0 ? wire::code_in(codes[i], list, n) : codes[i] <= 0x02 || codes[i] == 0x80;
        if (!allowed) return protocol_error(MOTE_WHY("reason code not allowed in this ack"));
    }
    return kOk;
}

}  // namespace

Error decode_subscribe(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, Subscribe& out) {
    out = Subscribe{};
    if (Error e = wire::check_start(first_byte, PacketType::Subscribe, opts, wire::Direction::ClientToServer)) return e;
    Reader r(body);
    if (Error e = read_id_and_props(r, opts, PropertyContext::Subscribe, out.packet_id, out.props)) return e;
    const Bytes raw = r.rest();
    std::size_t count = 0;
    while (!r.done()) {
        Bytes filter;
        std::uint8_t options = 0;
        if (Error e = read_filter(r, opts.strict_utf8, filter)) return e;
        if (!r.u8(options)) return malformed(MOTE_WHY("missing subscription options"));
        if (Error e = check_options(options, opts.version, filter)) return e;
        ++count;
    }
    // At least one filter: 5.0 [MQTT-3.8.3-2] (Protocol Error), 3.1.1 [MQTT-3.8.3-3].
    if (count == 0) return wire::v5(opts.version) ? protocol_error(MOTE_WHY("SUBSCRIBE without filters")) : malformed(MOTE_WHY("SUBSCRIBE without filters"));
    out.entries = SubscribeList::from_wire(raw, count);
    return kOk;
}

Error decode_unsubscribe(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, Unsubscribe& out) {
    out = Unsubscribe{};
    if (Error e = wire::check_start(first_byte, PacketType::Unsubscribe, opts, wire::Direction::ClientToServer)) return e;
    Reader r(body);
    if (Error e = read_id_and_props(r, opts, PropertyContext::Unsubscribe, out.packet_id, out.props)) return e;
    const Bytes raw = r.rest();
    std::size_t count = 0;
    while (!r.done()) {
        Bytes filter;
        if (Error e = read_filter(r, opts.strict_utf8, filter)) return e;
        ++count;
    }
    // At least one filter [MQTT-3.10.3-2] (both versions).
    if (count == 0) return wire::v5(opts.version) ? protocol_error(MOTE_WHY("UNSUBSCRIBE without filters")) : malformed(MOTE_WHY("UNSUBSCRIBE without filters"));
    out.filters = UnsubscribeList::from_wire(raw, count);
    return kOk;
}

Error decode_suback(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, SubackLike& out) {
    out = SubackLike{};
    const auto type = static_cast<PacketType>(first_byte >> 4);
    if (type != PacketType::Suback && type != PacketType::Unsuback) return malformed(MOTE_WHY("not a SUBACK or UNSUBACK"));
    if (Error e = wire::check_start(first_byte, type, opts, wire::Direction::ServerToClient)) return e;
    Reader r(body);
    const PropertyContext ctx = type == PacketType::Suback ? PropertyContext::Suback : PropertyContext::Unsuback;
    if (Error e = read_id_and_props(r, opts, ctx, out.packet_id, out.props)) return e;
    out.codes = r.rest();
    return check_codes(type, out.codes, opts.version);
}

std::size_t encode_subscribe(const Subscribe& p, Version v, std::uint8_t* buf, std::size_t cap) {
    return wire::write_packet({wire::first_byte(PacketType::Subscribe, 2), v}, buf, cap, [&](Writer& w) {
        write_id_and_props(w, v, p.packet_id, p.props);
        for (const SubscribeEntry e : p.entries) {
            w.prefixed(e.filter);
            // 3.1.1 has only the QoS in this byte; the other bits are reserved.
            w.u8(wire::v5(v) ? e.options.to_byte() : static_cast<std::uint8_t>(e.options.qos & 3u));
        }
    });
}

std::size_t encode_unsubscribe(const Unsubscribe& p, Version v, std::uint8_t* buf, std::size_t cap) {
    return wire::write_packet({wire::first_byte(PacketType::Unsubscribe, 2), v}, buf, cap, [&](Writer& w) {
        write_id_and_props(w, v, p.packet_id, p.props);
        for (const Bytes f : p.filters) w.prefixed(f);
    });
}

std::size_t encode_suback(PacketType type, const SubackLike& p, Version v, std::uint8_t* buf, std::size_t cap) {
    if (type != PacketType::Suback && type != PacketType::Unsuback) return 0;
    return wire::write_packet({wire::first_byte(type), v}, buf, cap, [&](Writer& w) {
        write_id_and_props(w, v, p.packet_id, p.props);
        // A 3.1.1 UNSUBACK is the Packet Identifier alone (§3.11 of 3.1.1).
        if (wire::v5(v) || type == PacketType::Suback) w.raw(p.codes);
    });
}

namespace {

struct OneFilter {
    std::uint16_t packet_id;
    std::uint8_t options;  // the byte on the wire (SUBSCRIBE only)
    Bytes filter;
};

void write_one_filter(Writer& w, const void* packet, wire::Head h) {
    const auto& p = *static_cast<const OneFilter*>(packet);
    write_id_and_props(w, h.v(), p.packet_id, Properties());
    w.prefixed(p.filter);
    if ((h.first_byte() >> 4) == static_cast<std::uint8_t>(PacketType::Subscribe)) w.u8(p.options);
}

}  // namespace

std::size_t encode_one_filter(PacketType type, std::uint16_t packet_id, Bytes filter, SubscribeOptions options,
                              Version v, std::uint8_t* buf, std::size_t cap) {
    if (type != PacketType::Subscribe && type != PacketType::Unsubscribe) return 0;
    // 3.1.1 has only the QoS in the options byte [MQTT-3.8.3-4].
    const OneFilter p{packet_id, wire::v5(v) ? options.to_byte() : static_cast<std::uint8_t>(options.qos & 3u), filter};
    return wire::write_packet({wire::first_byte(type, 2), v}, buf, cap, write_one_filter, &p);
}

}  // namespace mote::mqtt
