// CONNACK (§3.2).
#include "mote/common/codec.hpp"
#include "wire.hpp"

namespace mote::mqtt {
namespace {

using wire::malformed;
using wire::protocol_error;

// Table 3-1 of MQTT 5.0: the reason codes a CONNACK may carry.
constexpr std::uint8_t kConnackCodes[] = {0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
                                          0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F};

}  // namespace

Error decode_connack(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, Connack& out) {
    out = Connack{};
    if (Error e = wire::check_start(first_byte, PacketType::Connack, opts, wire::Direction::ServerToClient)) return e;
    wire::Reader r(body);
    std::uint8_t flags = 0;
    if (!r.u8(flags) || !r.u8(out.code)) return malformed(MOTE_WHY("truncated CONNACK"));
    // Bits 7-1 of the acknowledge flags are reserved and 0 [MQTT-3.2.2-1].
    if ((flags & 0xFEu) != 0) return malformed(MOTE_WHY("reserved CONNACK flags set"));
    out.session_present = (flags & 1u) != 0;
    if (wire::v5(opts.version)) {
        if (!wire::code_in(out.code, kConnackCodes, sizeof kConnackCodes))
            return protocol_error(MOTE_WHY("reason code not allowed in CONNACK"));  // [MQTT-3.2.2-8]
        if (Error e = wire::read_properties(r, PropertyContext::Connack, opts, out.props)) return e;
    } else if (out.code > static_cast<std::uint8_t>(ConnackCode311::NotAuthorized)) {
        return protocol_error(MOTE_WHY("reserved CONNACK return code"));  // 3.1.1 §3.2.2.3
    }
    // A refusal has Session Present 0: 5.0 [MQTT-3.2.2-6], 3.1.1 [MQTT-3.2.2-4].
    if (out.session_present && out.code != 0) return protocol_error(MOTE_WHY("session present on a refused connection"));
    if (!r.done()) return malformed(MOTE_WHY("bytes after the CONNACK"));
    return kOk;
}

std::size_t encode_connack(const Connack& p, Version v, std::uint8_t* buf, std::size_t cap) {
    return wire::write_packet({wire::first_byte(PacketType::Connack), v}, buf, cap, [&](wire::Writer& w) {
        w.u8(p.session_present ? 1 : 0);
        w.u8(p.code);
        if (wire::v5(v)) wire::write_properties(w, p.props);
    });
}

}  // namespace mote::mqtt
