// DISCONNECT (§3.14) and AUTH (§3.15): in 5.0 both may stop after any of their
// fields; in 3.1.1 DISCONNECT is empty and AUTH does not exist.
#include "mote/common/codec.hpp"
#include "wire.hpp"

namespace mote::mqtt {
namespace {

using wire::malformed;
using wire::protocol_error;

// Table 3-10 of MQTT 5.0 marks who may send each DISCONNECT reason code.
constexpr std::uint8_t kDisconnectByClient[] = {0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x90,
                                                0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99};
constexpr std::uint8_t kDisconnectByServer[] = {0x00, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E,
                                                0x8F, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A,
                                                0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2};
constexpr std::uint8_t kAuthCodes[] = {0x00, 0x18, 0x19};

bool disconnect_code_allowed(std::uint8_t code, Role sender) {
    if (sender == Role::Client) return wire::code_in(code, kDisconnectByClient, sizeof kDisconnectByClient);
    return wire::code_in(code, kDisconnectByServer, sizeof kDisconnectByServer);
}

// Reason code 0 with no properties is written as an empty body; a code without
// properties stops after the code (§3.14.2.1).
void write_reason_and_props(wire::Writer& w, Reason reason, Properties props, bool code_alone_ok) {
    if (reason == Reason::Success && props.empty()) return;
    w.u8(static_cast<std::uint8_t>(reason));
    if (!props.empty() || !code_alone_ok) wire::write_properties(w, props);
}

void write_disconnect(wire::Writer& w, const void* packet, wire::Head) {
    const Disconnect& p = *static_cast<const Disconnect*>(packet);
    write_reason_and_props(w, p.reason, p.props, true);
}

}  // namespace

Error decode_disconnect(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, Disconnect& out) {
    out = Disconnect{};
    if (Error e = wire::check_start(first_byte, PacketType::Disconnect, opts, wire::Direction::Both)) return e;
    if (!wire::v5(opts.version)) return body.empty() ? kOk : malformed(MOTE_WHY("3.1.1 DISCONNECT with a body"));  // §3.14
    wire::Reader r(body);
    std::uint8_t code = 0;
    if (!r.u8(code)) return kOk;  // Remaining Length 0: Normal disconnection
    if (!disconnect_code_allowed(code, opts.sender)) return protocol_error(MOTE_WHY("reason code not allowed in DISCONNECT"));
    out.reason = static_cast<Reason>(code);
    if (r.done()) return kOk;
    if (Error e = wire::read_properties(r, PropertyContext::Disconnect, opts, out.props)) return e;
    // The server MUST NOT send a Session Expiry Interval in DISCONNECT [MQTT-3.14.2-2].
    if (opts.sender == Role::Server && wire::has_property(out.props, PropertyId::SessionExpiryInterval))
        return protocol_error(MOTE_WHY("session expiry interval in a server DISCONNECT"));
    return r.done() ? kOk : malformed(MOTE_WHY("bytes after the DISCONNECT properties"));
}

Error decode_auth(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, Auth& out) {
    out = Auth{};
    // AUTH is a reserved packet type before 5.0 (3.1.1 §2.2.1).
    if (opts.version != Version::V5) return malformed(MOTE_WHY("AUTH before MQTT 5.0"));
    if (Error e = wire::check_start(first_byte, PacketType::Auth, opts, wire::Direction::Both)) return e;
    wire::Reader r(body);
    std::uint8_t code = 0;
    if (!r.u8(code)) return kOk;  // Remaining Length 0: Success (§3.15.2.1)
    if (!wire::code_in(code, kAuthCodes, sizeof kAuthCodes)) return protocol_error(MOTE_WHY("reason code not allowed in AUTH"));
    out.reason = static_cast<Reason>(code);
    // §3.15.2.1 lets only both fields be omitted, so a code needs a Property Length.
    if (Error e = wire::read_properties(r, PropertyContext::Auth, opts, out.props)) return e;
    return r.done() ? kOk : malformed(MOTE_WHY("bytes after the AUTH properties"));
}

std::size_t encode_disconnect_v5(const Disconnect& p, std::uint8_t* buf, std::size_t cap) {
    // In a build without 5.0, write_packet refuses Version::V5.
    return wire::write_packet({wire::first_byte(PacketType::Disconnect), Version::V5}, buf, cap, write_disconnect, &p);
}

std::size_t encode_auth(const Auth& p, std::uint8_t* buf, std::size_t cap) {
    // In a build without 5.0, write_packet refuses Version::V5.
    return wire::write_packet({wire::first_byte(PacketType::Auth), Version::V5}, buf, cap,
                              [&](wire::Writer& w) { write_reason_and_props(w, p.reason, p.props, false); });
}

}  // namespace mote::mqtt
