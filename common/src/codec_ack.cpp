// PUBACK, PUBREC, PUBREL and PUBCOMP (§3.4-§3.7): one shape, four types.
#include "mote/common/codec.hpp"
#include "wire.hpp"

namespace mote::mqtt {
namespace {

using wire::malformed;

// Reason codes allowed in PUBACK/PUBREC (§3.4.2.1, §3.5.2.1) and PUBREL/PUBCOMP
// (§3.6.2.1, §3.7.2.1).
constexpr std::uint8_t kPubackCodes[] = {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99};
constexpr std::uint8_t kPubrelCodes[] = {0x00, 0x92};

bool is_ack_type(PacketType t) { return t >= PacketType::Puback && t <= PacketType::Pubcomp; }

bool ack_code_allowed(PacketType t, std::uint8_t code) {
    if (t == PacketType::Puback || t == PacketType::Pubrec) return wire::code_in(code, kPubackCodes, sizeof kPubackCodes);
    return wire::code_in(code, kPubrelCodes, sizeof kPubrelCodes);
}

void write_ack(wire::Writer& w, const void* packet, wire::Head h) {
    const Ack& p = *static_cast<const Ack*>(packet);
    w.u16(p.packet_id);
    // 5.0 only (encode_ack() writes the earlier versions): Success without properties
    // may stop after the Packet Identifier (§3.4.2.1).
    if (!wire::v5(h.v()) || (p.reason == Reason::Success && p.props.empty())) return;
    w.u8(static_cast<std::uint8_t>(p.reason));
    if (!p.props.empty()) wire::write_properties(w, p.props);
}

}  // namespace

Error decode_ack(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, Ack& out) {
    out = Ack{};
    const auto type = static_cast<PacketType>(first_byte >> 4);
    if (!is_ack_type(type)) return malformed(MOTE_WHY("not a PUBACK, PUBREC, PUBREL or PUBCOMP"));
    if (Error e = wire::check_start(first_byte, type, opts, wire::Direction::Both)) return e;
    wire::Reader r(body);
    if (Error e = wire::read_packet_id(r, out.packet_id)) return e;
    // 3.1.1 acks are exactly the Packet Identifier; a 5.0 ack may stop after it
    // (Success, no properties) or after the Reason Code (no properties) (§3.4.2.1).
    if (wire::v5(opts.version) && !r.done()) {
        std::uint8_t code = 0;
        (void)r.u8(code);
        if (!ack_code_allowed(type, code)) return wire::protocol_error(MOTE_WHY("reason code not allowed in this ack"));
        out.reason = static_cast<Reason>(code);
        if (!r.done()) {
            if (Error e = wire::read_properties(r, PropertyContext::Puback, opts, out.props)) return e;
        }
    }
    if (!r.done()) return malformed(MOTE_WHY("bytes after the ack"));
    return kOk;
}

std::size_t encode_ack_v5(PacketType type, const Ack& p, std::uint8_t* buf, std::size_t cap) {
    if (!is_ack_type(type)) return 0;
    // In a build without 5.0, write_packet refuses Version::V5.
    return wire::write_packet({wire::first_byte(type, wire::required_flags(type)), Version::V5}, buf, cap, write_ack,
                              &p);
}

}  // namespace mote::mqtt
