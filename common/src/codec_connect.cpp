// CONNECT (§3.1 of MQTT 5.0 and 3.1.1; MQTT 3.1's "MQIsdp" level 3).
#include "mote/common/codec.hpp"
#include "mote/common/topic.hpp"
#include "wire.hpp"

namespace mote::mqtt {
namespace {

using wire::malformed;
using wire::protocol_error;
using wire::Reader;
using wire::Writer;

// Byte arrays rather than Bytes::of(), which is not constexpr: no static initializer.
constexpr std::uint8_t kMqttName[] = {'M', 'Q', 'T', 'T'};
constexpr std::uint8_t kMqisdpName[] = {'M', 'Q', 'I', 's', 'd', 'p'};
constexpr Bytes kMqtt(kMqttName, sizeof kMqttName);
constexpr Bytes kMqisdp(kMqisdpName, sizeof kMqisdpName);

constexpr std::uint8_t kFlagReserved = 0x01;
constexpr std::uint8_t kFlagClean = 0x02;
constexpr std::uint8_t kFlagWill = 0x04;
constexpr std::uint8_t kFlagWillRetain = 0x20;
constexpr std::uint8_t kFlagPassword = 0x40;
constexpr std::uint8_t kFlagUsername = 0x80;
// try_private (see Connect::bridge): bit 7 of a 3.1/3.1.1 Protocol Level.
constexpr std::uint8_t kLevelBridge = 0x80;

// Protocol Name and Level. An unknown level is refused with 0x84 [MQTT-3.1.2-2]; so
// is an unknown name, which 5.0 [MQTT-3.1.2-1] allows and 3.1.1 leaves to the
// server. `out.protocol_name` is set even then, so the caller can choose the CONNACK
// format of its refusal. A bridge's 0x83/0x84 is level 3/4 with `bridge` set;
// 0x85 is refused, as mosquitto 2.0 does.
Error read_protocol(Reader& r, Connect& out) {
    std::uint8_t level = 0;
    if (!r.prefixed(out.protocol_name) || !r.u8(level)) return malformed(MOTE_WHY("truncated protocol name or level"));
    const bool bridge = (level & kLevelBridge) != 0 && level != (kLevelBridge | 5u);
    if (bridge) level = static_cast<std::uint8_t>(level & ~kLevelBridge);
    const Error unsupported{Reason::UnsupportedProtocolVersion, MOTE_WHY("unsupported protocol name or level")};
    if (out.protocol_name == kMqisdp) {
        if (level != 3) return unsupported;
    } else if (out.protocol_name == kMqtt) {
        if (level != 4 && !(level == 5 && MOTE_MQTT_V5 != 0)) return unsupported;
    } else {
        return unsupported;
    }
    out.version = static_cast<Version>(level);
    out.bridge = bridge;
    return kOk;
}

Error apply_flags(std::uint8_t flags, Connect& out) {
    if ((flags & kFlagReserved) != 0) return malformed(MOTE_WHY("reserved connect flag set"));  // [MQTT-3.1.2-3]
    out.clean_start = (flags & kFlagClean) != 0;
    out.has_will = (flags & kFlagWill) != 0;
    out.will.qos = static_cast<std::uint8_t>((flags >> 3) & 3u);
    out.will.retain = (flags & kFlagWillRetain) != 0;
    out.has_username = (flags & kFlagUsername) != 0;
    out.has_password = (flags & kFlagPassword) != 0;
    // 5.0 [MQTT-3.1.2-11] [MQTT-3.1.2-13] (3.1.1 [MQTT-3.1.2-13] [MQTT-3.1.2-15]):
    // without a Will, Will QoS and Will Retain are 0.
    if (!out.has_will && (out.will.qos != 0 || out.will.retain)) return malformed(MOTE_WHY("will QoS or retain without will"));
    // 5.0 [MQTT-3.1.2-12] (3.1.1 [MQTT-3.1.2-14]): Will QoS 3 is malformed.
    if (out.will.qos == 3) return malformed(MOTE_WHY("will QoS 3"));
    // 3.1.1 [MQTT-3.1.2-22]: no password without a user name (5.0 allows it).
    if (!is_v5(out.version) && out.has_password && !out.has_username)
        return malformed(MOTE_WHY("password without user name"));
    return kOk;
}

Error read_will(Reader& r, const DecodeOptions& opts, Connect& out) {
    if (wire::v5(out.version)) {
        // Will Properties are checked against their own set (§3.1.3.2).
        if (Error e = wire::read_properties(r, PropertyContext::Will, opts, out.will.props)) return e;
    }
    // [MQTT-3.1.2-9]: with the Will Flag set, Will Topic and Will Payload follow.
    if (Error e = wire::read_string(r, opts.strict_utf8, out.will.topic)) return e;
    // The Will Topic becomes the Topic Name of the Will Message; an empty one is a
    // Protocol Error (as mosquitto answers), wildcards make it malformed like a
    // PUBLISH topic [MQTT-3.3.2-2].
    if (out.will.topic.empty()) return protocol_error(MOTE_WHY("empty will topic"));
    if (Error e = validate_topic_name(out.will.topic, opts.strict_utf8)) return malformed(e.cause);
    if (!r.prefixed(out.will.payload)) return malformed(MOTE_WHY("will payload length past the end"));
    return kOk;
}

Error read_payload(Reader& r, const DecodeOptions& opts, Connect& out) {
    // The Client Identifier is always present, and must be valid UTF-8
    // [MQTT-3.1.3-3] [MQTT-3.1.3-4]; whether an empty one is acceptable is the
    // server's decision [MQTT-3.1.3-6], not the decoder's.
    if (Error e = wire::read_string(r, opts.strict_utf8, out.client_id)) return e;
    if (out.has_will) {
        if (Error e = read_will(r, opts, out)) return e;
    }
    // [MQTT-3.1.2-17] [MQTT-3.1.2-19]: a flag set means the field is present; a flag
    // clear with the field present shows up as trailing bytes [MQTT-3.1.2-16] [MQTT-3.1.2-18].
    if (out.has_username) {
        if (Error e = wire::read_string(r, opts.strict_utf8, out.username)) return e;
    }
    if (out.has_password && !r.prefixed(out.password)) return malformed(MOTE_WHY("password length past the end"));
    if (!r.done()) return malformed(MOTE_WHY("bytes after the CONNECT payload"));
    return kOk;
}

std::uint8_t connect_flags(const Connect& p) {
    // A bool is 0 or 1: times its flag, it sets the bit without a branch.
    unsigned f = unsigned{p.clean_start} * kFlagClean | unsigned{p.has_username} * kFlagUsername |
                 unsigned{p.has_password} * kFlagPassword;
    if (p.has_will) f |= kFlagWill | ((p.will.qos & 3u) << 3) | unsigned{p.will.retain} * kFlagWillRetain;
    return static_cast<std::uint8_t>(f);
}

void write_connect(Writer& w, const void* packet, wire::Head) {
    const Connect& p = *static_cast<const Connect*>(packet);
    const bool v5 = wire::v5(p.version);
    // The flags say which payload fields follow [MQTT-3.1.2-9] [MQTT-3.1.2-17]
    // [MQTT-3.1.2-19]; testing them saves reloading the three bools.
    const std::uint8_t flags = connect_flags(p);
    w.prefixed(p.version == Version::V3_1 ? kMqisdp : kMqtt);
    // try_private: the bridge bit on 3.1/3.1.1 only (see Connect::bridge).
    w.u8(static_cast<std::uint8_t>(static_cast<unsigned>(p.version) | unsigned{p.bridge && !v5} * kLevelBridge));
    w.u8(flags);
    w.u16(p.keep_alive);
    if (v5) wire::write_properties(w, p.props);
    w.prefixed(p.client_id);
    if ((flags & kFlagWill) != 0) {
        if (v5) wire::write_properties(w, p.will.props);
        w.prefixed(p.will.topic);
        w.prefixed(p.will.payload);
    }
    if ((flags & kFlagUsername) != 0) w.prefixed(p.username);
    if ((flags & kFlagPassword) != 0) w.prefixed(p.password);
}

}  // namespace

Error decode_connect(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, Connect& out) {
    out = Connect{};
    DecodeOptions o = opts;
    o.version = Version::V3_1_1;  // CONNECT says its own version; only role and flags matter here
    if (Error e = wire::check_start(first_byte, PacketType::Connect, o, wire::Direction::ClientToServer)) return e;
    Reader r(body);
    if (Error e = read_protocol(r, out)) return e;
    std::uint8_t flags = 0;
    if (!r.u8(flags) || !r.u16(out.keep_alive)) return malformed(MOTE_WHY("truncated CONNECT variable header"));
    if (Error e = apply_flags(flags, out)) return e;
    if (wire::v5(out.version)) {
        if (Error e = wire::read_properties(r, PropertyContext::Connect, opts, out.props)) return e;
    }
    return read_payload(r, opts, out);
}

std::size_t encode_connect(const Connect& p, std::uint8_t* buf, std::size_t cap) {
    return wire::write_packet({wire::first_byte(PacketType::Connect), p.version}, buf, cap, write_connect, &p);
}

}  // namespace mote::mqtt
