// Helpers shared by the codec tests: hex strings to bytes, decoding a whole packet
// (fixed header included), field-by-field packet comparison and round trips.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mote/common/codec.hpp"

namespace mote::mqtt::test {

using ByteVec = std::vector<std::uint8_t>;

// "10 0E 00 04 'MQTT'" -> bytes. Hex pairs separated by spaces; text between single
// quotes is taken literally.
ByteVec hex(const std::string& s);
std::string to_hex(const std::uint8_t* p, std::size_t n);
inline std::string to_hex(const ByteVec& v) { return to_hex(v.data(), v.size()); }

DecodeOptions opts(Version v, Role sender, bool strict = true);

// Splits `wire` (a whole packet) into first byte and body and decodes it. The fixed
// header must be well formed and the body complete; otherwise the test fails.
Error decode_wire(const ByteVec& wire, const DecodeOptions& o, Packet& out);

// Encodes into a vector sized by encoded_size(); fails the test if the two disagree.
ByteVec encode_vec(const Packet& p, Version v);

// Field-by-field equality of two packets of the same type; `why` names the first
// difference.
bool packets_equal(const Packet& a, const Packet& b, std::string& why);

// Decodes a whole packet written as hex (see hex()).
Error decode_hex(const std::string& h, Version v, Role sender = Role::Client);

// Decodes a body written as hex under the given first byte.
// The decoded packet keeps views into `body`, which lives as long as the struct.
struct Decoded {
    ByteVec body;
    Packet p;
    Error e;
};
Decoded decode_hex_full(const std::string& whole_hex, Version v, Role sender = Role::Client);
Decoded dec_full(std::uint8_t first, const std::string& body_hex, Version v, Role sender = Role::Client, bool strict = true);
Error dec(std::uint8_t first, const std::string& body_hex, Version v, Role sender = Role::Client, bool strict = true);
// A whole packet: first byte, Remaining Length, body.
ByteVec frame(std::uint8_t first, const std::string& body_hex);
// A property block as hex with its Variable Byte Integer length in front.
std::string plen(const std::string& props_hex);

// Reads every view of a decoded packet and re-encodes it (for the corruption sweep).
void touch(const Packet& p);

// encode -> decode -> compare -> encode again and compare bytes. Returns the bytes.
ByteVec roundtrip(const Packet& p, Version v, Role sender);

// What a strict prefix of a packet's body may decode to. MustFail: nothing (the last
// field is required). MayBeShorterPacket: a shorter valid packet is possible (a
// PUBLISH payload, a list of filters, the short 5.0 ack forms); then the decoded
// packet must re-encode to at most the prefix's size and round-trip unchanged.
enum class Prefixes { MustFail, MayBeShorterPacket };

// Decoding every strict prefix of the body fails, and every single-byte corruption
// of the body or first byte decodes or fails without touching memory outside the
// packet (ASan checks that in the sanitizer build). The body is copied into a
// buffer of exactly its size so that any overread is detected.
void sweep(const ByteVec& wire, const DecodeOptions& o, Prefixes prefixes = Prefixes::MustFail);

}  // namespace mote::mqtt::test

// Asserts the exact reason code of an Error, printing its cause on failure.
#define CHECK_REASON(expected, err)                                                   \
    CHECK_EQUAL_TEXT(static_cast<int>(expected), static_cast<int>((err).reason), (err).cause)
