// Decoding and encoding of whole control packets. Sans-I/O: bytes in, result out.
//
// decode() takes one complete packet as framed by parse_fixed_header()/Framer:
// the first byte of the fixed header and the body (the Remaining Length bytes). It
// never allocates, never reads outside `body`, and checks every normative rule about
// the packet's form for the given protocol version. On success `out` holds views into
// `body`.
//
// encode() writes into a caller buffer. encoded_size() gives the exact number of
// bytes first; encode() returns 0 when `cap` is too small and writes nothing useful.
#pragma once

// MOTE_MQTT_V5: 1 (default) builds MQTT 5.0 support; 0 builds a 3.1/3.1.1-only
// codec for the smallest firmware images: properties are never parsed or written, and
// decoding with Version::V5 (or a level-5 CONNECT) returns UnsupportedProtocolVersion.
#ifndef MOTE_MQTT_V5
#define MOTE_MQTT_V5 1
#endif
// MOTE_ERROR_CAUSES (protocol.hpp): 1 (default) gives each codec Error a readable
// `cause`; 0 (for firmware images) makes it "" and Error a one-byte value, saving the
// strings and the cost of returning Error through memory. Reasons are the same.

#include <cstddef>
#include <cstdint>

#include "mote/common/bytes.hpp"
#include "mote/common/packets.hpp"
#include "mote/common/protocol.hpp"

namespace mote::mqtt {

// Who sent the packet. A server must reject client-only packets and vice versa, and
// a few rules differ (several Subscription Identifiers only from a server).
enum class Role : std::uint8_t { Client, Server };

struct DecodeOptions {
    Version version = Version::V5;  // ignored for CONNECT, which says its own version
    Role sender = Role::Client;
    // Reject UTF-8 control characters U+0001..U+001F, U+007F..U+009F and
    // non-characters in strings (§1.5.4 allows it; Mote does it by default, as
    // mosquitto and HiveMQ do).
    bool strict_utf8 = true;
};

// Decoder decisions where the specs leave a choice (all versions unless noted):
// - Form errors are MalformedPacket, rule violations after parsing ProtocolError, as
//   5.0 §4.13 splits them. Packet Identifier 0 is a ProtocolError [MQTT-2.2.1-3].
// - CONNECT: an unknown protocol name or a name/level mismatch is
//   UnsupportedProtocolVersion like an unknown level [MQTT-3.1.2-1] [MQTT-3.1.2-2];
//   then out.protocol_name is set so the caller can pick the CONNACK format. An empty
//   Client Identifier is accepted (the broker decides); an empty Will Topic is a
//   ProtocolError, a Will Topic with wildcards MalformedPacket.
// - PUBLISH: wildcards in the Topic Name are MalformedPacket [MQTT-3.3.2-2]; an empty
//   Topic Name needs a Topic Alias property in 5.0 (else ProtocolError) and is
//   MalformedPacket in 3.1.1. Topic Alias 0 is TopicAliasInvalid; whether an alias is
//   mapped or above the maximum is connection state, not checked here. A Payload
//   Format Indicator of 1 does not make the decoder validate the payload.
// - SUBSCRIBE/UNSUBSCRIBE: each filter must be a non-empty valid UTF-8 string, but the
//   decoder does NOT check wildcard or $share syntax: the broker answers a badly formed
//   filter with SUBACK 0x8F (3.1.1: 0x80) for that entry. No Local on a "$share/"
//   filter is rejected here as a ProtocolError [MQTT-3.8.3-4].
// - Reserved packet type 0, and AUTH before 5.0, are MalformedPacket. An AUTH whose
//   Remaining Length is 1 (a code without Property Length) is MalformedPacket, since
//   §3.15.2.1 only lets both fields be omitted together.
// - On error, the fields of `out` are unspecified except as stated above.
//
// `first_byte` is the fixed header's first byte (type and flags).
Error decode(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, Packet& out);

// Exact size of the whole packet (fixed header included) for `version`, or 0 when the
// packet cannot be encoded (for example Remaining Length above the maximum).
std::size_t encoded_size(const Packet& p, Version version);
// Writes the whole packet and returns its size, or 0 when it does not fit in `cap`.
std::size_t encode(const Packet& p, Version version, std::uint8_t* buf, std::size_t cap);

// For zero-copy fan-out: the fixed header and variable header of a PUBLISH (topic,
// packet id, properties), everything but the payload. The payload's size counts in
// the Remaining Length. Returns bytes written, or 0 when it does not fit.
std::size_t publish_header_size(const Publish& p, Version version);
std::size_t encode_publish_header(const Publish& p, Version version, std::uint8_t* buf, std::size_t cap);

// Per-type entry points, so that a firmware image links only the packets it uses
// (--gc-sections drops the rest). decode() and encode() dispatch to these.
// decode_* expect the packet type in `first_byte` to match and check its flags.
Error decode_connect(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, Connect& out);
Error decode_connack(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, Connack& out);
Error decode_publish(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, Publish& out);
// PUBACK, PUBREC, PUBREL, PUBCOMP.
Error decode_ack(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, Ack& out);
Error decode_subscribe(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, Subscribe& out);
// SUBACK, UNSUBACK.
Error decode_suback(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, SubackLike& out);
Error decode_unsubscribe(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, Unsubscribe& out);
Error decode_disconnect(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, Disconnect& out);
Error decode_auth(std::uint8_t first_byte, Bytes body, const DecodeOptions& opts, Auth& out);

// encode_* return the bytes written, or 0 when the packet does not fit in `cap`.
// Fields that the target version lacks (properties, ack reason codes, DISCONNECT
// reason, 5.0 subscription options) are left out for 3.1/3.1.1; encode_connect writes
// the protocol name of p.version ("MQIsdp" or "MQTT") whatever p.protocol_name says.
std::size_t encode_connect(const Connect& p, std::uint8_t* buf, std::size_t cap);  // p.version decides
std::size_t encode_connack(const Connack& p, Version v, std::uint8_t* buf, std::size_t cap);
std::size_t encode_publish(const Publish& p, Version v, std::uint8_t* buf, std::size_t cap);
std::size_t encode_subscribe(const Subscribe& p, Version v, std::uint8_t* buf, std::size_t cap);
std::size_t encode_suback(PacketType type, const SubackLike& p, Version v, std::uint8_t* buf, std::size_t cap);
std::size_t encode_unsubscribe(const Unsubscribe& p, Version v, std::uint8_t* buf, std::size_t cap);
std::size_t encode_auth(const Auth& p, std::uint8_t* buf, std::size_t cap);
// PUBACK, PUBREC, PUBREL or PUBCOMP. Before 5.0 it is the Packet Identifier alone:
// four bytes, written inline (a firmware image sends them often and needs nothing
// else of the ack encoder); a 5.0 one, which may add a reason code and properties,
// is written by encode_ack_v5() (0 bytes in a build without 5.0).
std::size_t encode_ack_v5(PacketType type, const Ack& p, std::uint8_t* buf, std::size_t cap);
inline std::size_t encode_ack(PacketType type, const Ack& p, Version v, std::uint8_t* buf, std::size_t cap) {
    if (v == Version::V5) return MOTE_MQTT_V5 != 0 ? encode_ack_v5(type, p, buf, cap) : 0;
    if (type < PacketType::Puback || type > PacketType::Pubcomp || cap < 4) return 0;
    if (buf != nullptr) {
        // PUBREL's fixed header flags are 0010 [MQTT-3.6.1-1], the others' 0000.
        buf[0] = static_cast<std::uint8_t>((static_cast<unsigned>(type) << 4) | (type == PacketType::Pubrel ? 2u : 0u));
        buf[1] = 2;  // Remaining Length
        buf[2] = static_cast<std::uint8_t>(p.packet_id >> 8);
        buf[3] = static_cast<std::uint8_t>(p.packet_id);
    }
    return 4;
}

// DISCONNECT. Before 5.0 it is the fixed header alone (§3.14 of 3.1.1): two constant
// bytes, written inline like PINGREQ below; a 5.0 one (reason code, properties) is
// written by encode_disconnect_v5(), and is 0 bytes (does not fit) in a build
// without 5.0.
std::size_t encode_disconnect_v5(const Disconnect& p, std::uint8_t* buf, std::size_t cap);
inline std::size_t encode_disconnect(const Disconnect& p, Version v, std::uint8_t* buf, std::size_t cap) {
    if (v == Version::V5) return MOTE_MQTT_V5 != 0 ? encode_disconnect_v5(p, buf, cap) : 0;
    if (cap < 2) return 0;
    if (buf != nullptr) {
        buf[0] = static_cast<std::uint8_t>(static_cast<unsigned>(PacketType::Disconnect) << 4);
        buf[1] = 0;  // Remaining Length 0
    }
    return 2;
}

// PINGREQ or PINGRESP: two constant bytes, so inline (a call costs more than they
// do on a microcontroller). buf == nullptr only measures, like the others.
inline std::size_t encode_ping(PacketType type, std::uint8_t* buf, std::size_t cap) {
    if ((type != PacketType::Pingreq && type != PacketType::Pingresp) || cap < 2) return 0;
    if (buf != nullptr) {
        buf[0] = static_cast<std::uint8_t>(static_cast<unsigned>(type) << 4);
        buf[1] = 0;  // Remaining Length 0
    }
    return 2;
}
// A SUBSCRIBE (type Subscribe) or UNSUBSCRIBE (type Unsubscribe) for one filter and
// no properties: the same bytes as encode_subscribe()/encode_unsubscribe() with a
// one-entry list (`options` goes into a SUBSCRIBE only), without building the packet
// and list first. A client that sends one filter per packet links only this.
std::size_t encode_one_filter(PacketType type, std::uint16_t packet_id, Bytes filter, SubscribeOptions options,
                              Version v, std::uint8_t* buf, std::size_t cap);

// Variable Byte Integer helpers (§1.5.5).
std::size_t varint_size(std::uint32_t v);  // 1..4, or 0 when v > kMaxVarInt
std::size_t encode_varint(std::uint32_t v, std::uint8_t* out);  // out needs 4 bytes

}  // namespace mote::mqtt
