// Private helpers of the codec: a bounds-checked reader over a decoded body and a
// writer that either fills a caller buffer or only counts, so that every encoder
// computes its exact size with the same code that writes the bytes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mote/common/bytes.hpp"
#include "mote/common/codec.hpp"
#include "mote/common/packets.hpp"
#include "mote/common/properties.hpp"
#include "mote/common/protocol.hpp"
#include "why.hpp"


namespace mote::mqtt::wire {

// True when this build has MQTT 5.0 and the packet is 5.0. With MOTE_MQTT_V5=0 it
// folds to false at compile time, so no property code is referenced.
constexpr bool v5(Version v) { return MOTE_MQTT_V5 != 0 && v == Version::V5; }

constexpr Error malformed(const char* cause) { return Error{Reason::MalformedPacket, cause}; }
constexpr Error protocol_error(const char* cause) { return Error{Reason::ProtocolError, cause}; }

// A cursor over untrusted bytes. Every read checks the bytes left first; a failed
// read leaves the cursor unchanged and reports false.
class Reader {
public:
    explicit Reader(Bytes b) : p_(b.data), left_(b.size) {}

    std::size_t left() const { return left_; }
    bool done() const { return left_ == 0; }
    Bytes rest() const { return Bytes(p_, left_); }

    bool u8(std::uint8_t& v) {
        if (left_ < 1) return false;
        v = *p_;
        skip(1);
        return true;
    }
    bool u16(std::uint16_t& v) {
        if (left_ < 2) return false;
        v = static_cast<std::uint16_t>((p_[0] << 8) | p_[1]);
        skip(2);
        return true;
    }
    bool u32(std::uint32_t& v) {
        if (left_ < 4) return false;
        v = (std::uint32_t{p_[0]} << 24) | (std::uint32_t{p_[1]} << 16) | (std::uint32_t{p_[2]} << 8) | p_[3];
        skip(4);
        return true;
    }
    bool take(std::size_t n, Bytes& out) {
        if (left_ < n) return false;
        out = Bytes(p_, n);
        skip(n);
        return true;
    }
    // A two-byte length followed by that many bytes (§1.5.4, §1.5.6).
    bool prefixed(Bytes& out) {
        if (left_ < 2) return false;
        const std::size_t n = static_cast<std::size_t>((p_[0] << 8) | p_[1]);
        if (left_ - 2 < n) return false;
        out = Bytes(p_ + 2, n);
        skip(2 + n);
        return true;
    }
    // A Variable Byte Integer (§1.5.5). Returns MalformedPacket for a truncated value,
    // more than four bytes [MQTT-1.5.5-1], or a non-minimal encoding.
    Error varint(std::uint32_t& v);

private:
    void skip(std::size_t n) {
        p_ += n;
        left_ -= n;
    }
    const std::uint8_t* p_;
    std::size_t left_;
};

// Writes into buf[0..cap) and remembers whether everything fit. A Writer without a
// buffer writes nothing and only measures; counting() makes one without a limit too.
// After a failure the bytes written are of no use (the encoders return 0), so the
// writes are not stopped, only the limit is kept.
class Writer {
public:
    // Writing starts at buf + start; start <= cap.
    Writer(std::uint8_t* buf, std::size_t cap, std::size_t start = 0) : buf_(buf), cap_(cap), len_(start) {}
    static Writer counting() { return Writer(nullptr, static_cast<std::size_t>(-1)); }

    bool ok() const { return ok_; }
    std::size_t size() const { return len_; }

    // Every write ends in bytes(): `n` bytes from `p` (which may be null when n is 0).
    // The others are out of line too, so that an encoder's call stays a call.
    void bytes(const std::uint8_t* p, std::size_t n);
    void raw(Bytes b) { bytes(b.data, b.size); }
    void u8(std::uint8_t v);
    void u16(std::uint16_t v);
    void varint(std::uint32_t v);
    // A two-byte length prefix and the bytes; fails when longer than 65535.
    void prefixed(Bytes b);
    void fail() { ok_ = false; }

private:
    std::uint8_t* buf_;
    std::size_t cap_;
    std::size_t len_;  // never above cap_
    bool ok_ = true;
};

// What write_packet() and a body writer know of the packet besides its fields: the
// first byte of the fixed header and the protocol version. One integer rather than
// two byte members, so that GCC builds and passes it in a register, not in memory.
class Head {
public:
    constexpr Head(std::uint8_t first_byte, Version v)
        : bits_(first_byte | static_cast<std::uint32_t>(static_cast<std::uint8_t>(v)) << 8) {}
    constexpr std::uint8_t first_byte() const { return static_cast<std::uint8_t>(bits_); }
    constexpr Version v() const { return static_cast<Version>(static_cast<std::uint8_t>(bits_ >> 8)); }

private:
    std::uint32_t bits_;
};
using BodyWriter = void (*)(Writer& w, const void* packet, Head h);

// Writes the fixed header (first byte and Remaining Length) and the body that
// `write(w, packet, h)` writes, in one pass over the body. Returns the packet size, or
// 0 when it does not fit in `cap`, the body exceeds the largest Remaining Length or
// h.v is 5.0 in a build without it. With buf == nullptr and cap == SIZE_MAX it only
// measures (encoded_size uses this).
std::size_t write_packet(Head h, std::uint8_t* buf, std::size_t cap, BodyWriter write, const void* packet);

// The same for a lambda `body(Writer&)`, for encoders whose size matters less than
// the lambda's convenience: the framing still lives in the function above.
template <typename Body>
std::size_t write_packet(Head h, std::uint8_t* buf, std::size_t cap, const Body& body) {
    return write_packet(
        h, buf, cap, [](Writer& w, const void* b, Head) { (*static_cast<const Body*>(b))(w); }, &body);
}

#if MOTE_MQTT_V5
// Reads a Property Length and block and validates it for `ctx`.
Error read_properties(Reader& r, PropertyContext ctx, const DecodeOptions& opts, Properties& out);
// Writes a Property Length and the block.
void write_properties(Writer& w, Properties props);
inline bool has_property(Properties props, PropertyId id) { return props.has(id); }
#else
// A 3.1.1-only build never reaches these (every call is behind v5(), which is
// constant false); they exist so that the callers need no #if.
inline Error read_properties(Reader&, PropertyContext, const DecodeOptions&, Properties&) {
    return malformed(MOTE_WHY("MQTT 5.0 is not built in"));
}
inline void write_properties(Writer& w, Properties) { w.fail(); }
inline bool has_property(Properties, PropertyId) { return false; }
#endif
// validate_properties() with the strictness of UTF-8 checks as a parameter.
Error check_properties(Bytes raw, PropertyContext ctx, bool is_server_publish, bool strict_utf8);

// Reads a UTF-8 Encoded String and validates it [MQTT-1.5.4-1] [MQTT-1.5.4-2].
Error read_string(Reader& r, bool strict_utf8, Bytes& out);
// Reads a Packet Identifier, which must not be 0 [MQTT-2.2.1-3].
Error read_packet_id(Reader& r, std::uint16_t& out);
// Whether `code` is one of the `n` codes in `list`.
bool code_in(std::uint8_t code, const std::uint8_t* list, std::size_t n);

// The flags nibble a packet type requires (all but PUBLISH, whose flags carry data)
// [MQTT-2.1.3-1].
constexpr std::uint8_t required_flags(PacketType t) {
    return (t == PacketType::Pubrel || t == PacketType::Subscribe || t == PacketType::Unsubscribe) ? 2 : 0;
}
// Who may send a packet type: a server rejects server-only packets from a client
// and vice versa (§2.1.2 gives each type's direction).
enum class Direction : std::uint8_t { ClientToServer, ServerToClient, Both };

// The checks every decode_* starts with: the sender may send this type (else
// ProtocolError), the first byte has this type and, but for PUBLISH, the required
// flags [MQTT-2.1.3-1] (else MalformedPacket), and `opts.version` is built in (else
// UnsupportedProtocolVersion).
Error check_start(std::uint8_t first_byte, PacketType expected, const DecodeOptions& opts, Direction dir);

constexpr std::uint8_t first_byte(PacketType t, std::uint8_t flags = 0) {
    return static_cast<std::uint8_t>((static_cast<std::uint8_t>(t) << 4) | flags);
}

}  // namespace mote::mqtt::wire
