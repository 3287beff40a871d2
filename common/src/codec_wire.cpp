// The shared primitives of the codec (wire.hpp) and the Variable Byte Integer
// helpers of codec.hpp.
#include "wire.hpp"

#include <cstring>

#include "mote/common/utf8.hpp"

namespace mote::mqtt {

std::size_t varint_size(std::uint32_t v) {
    if (v > kMaxVarInt) return 0;
    std::size_t n = 1;
    for (; v >= 128u; v >>= 7) ++n;
    return n;
}

std::size_t encode_varint(std::uint32_t v, std::uint8_t* out) {
    if (v > kMaxVarInt) return 0;
    std::size_t n = 0;
    do {
        auto b = static_cast<std::uint8_t>(v & 0x7Fu);
        v >>= 7;
        if (v != 0) b = static_cast<std::uint8_t>(b | 0x80u);
        out[n++] = b;
    } while (v != 0);
    return n;
}

namespace wire {

Error Reader::varint(std::uint32_t& v) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        if (i >= left_) return malformed(MOTE_WHY("truncated variable byte integer"));
        const std::uint8_t b = p_[i];
        value |= std::uint32_t{b & 0x7Fu} << (7 * i);
        if ((b & 0x80u) == 0) {
            // A multi-byte encoding ending in 0x00 has a shorter form; §1.5.5 says the
            // minimum number of bytes is used, and mosquitto rejects such a value too.
            if (i > 0 && b == 0) return malformed(MOTE_WHY("non-minimal variable byte integer"));
            v = value;
            skip(i + 1);
            return kOk;
        }
    }
    return malformed(MOTE_WHY("variable byte integer longer than 4 bytes"));  // [MQTT-1.5.5-1]
}

void Writer::bytes(const std::uint8_t* p, std::size_t n) {
    const std::size_t at = len_;
    if (n > cap_ - at) {
        ok_ = false;
        return;
    }
    len_ = at + n;
    // memcpy() is in every image already; p is null only when n is 0.
    if (buf_ != nullptr && n != 0) std::memcpy(buf_ + at, p, n);
}

void Writer::u8(std::uint8_t v) { bytes(&v, 1); }

void Writer::u16(std::uint16_t v) {
    const std::uint8_t be[2] = {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
    bytes(be, 2);
}

void Writer::varint(std::uint32_t v) {
    std::uint8_t tmp[4];
    const std::size_t n = encode_varint(v, tmp);
    if (n == 0) {
        ok_ = false;
        return;
    }
    raw(Bytes(tmp, n));
}

void Writer::prefixed(Bytes b) {
    if (b.size > 0xFFFFu) {
        ok_ = false;
        return;
    }
    u16(static_cast<std::uint16_t>(b.size));
    raw(b);
}

std::size_t write_packet(Head h, std::uint8_t* buf, std::size_t cap, BodyWriter write, const void* packet) {
    if (v5(h.v()) != is_v5(h.v())) return 0;  // 5.0 not built in
    // The body is written where it goes after a two-byte fixed header (Remaining
    // Length below 128, the common case) and moved up when its size says that the
    // length takes more bytes. A body that does not fit there makes a packet that
    // does not fit `cap` either, so the result is the one of measuring first. No
    // packet is shorter than two bytes.
    constexpr std::size_t kGuess = 2;
    if (cap < kGuess) return 0;
    Writer w(buf, cap, kGuess);
    write(w, packet, h);
    const std::size_t rl = w.size() - kGuess;
    // varint_size() is 0 above kMaxRemainingLength (== kMaxVarInt); only a size_t
    // wider than its argument needs its own test.
    static_assert(kMaxRemainingLength == kMaxVarInt, "one limit");
    if (!w.ok() || (sizeof rl > sizeof(std::uint32_t) && rl > kMaxRemainingLength)) return 0;
    const std::size_t len_bytes = varint_size(static_cast<std::uint32_t>(rl));
    const std::size_t total = 1 + len_bytes + rl;
    if (len_bytes == 0 || total > cap) return 0;
    if (buf != nullptr) {
        std::uint8_t* to = buf + 1 + len_bytes;
        if (to != buf + kGuess) {
            for (std::size_t i = rl; i-- > 0;) to[i] = buf[kGuess + i];
        }
        buf[0] = h.first_byte();
        (void)encode_varint(static_cast<std::uint32_t>(rl), buf + 1);
    }
    return total;
}

Error read_string(Reader& r, bool strict_utf8, Bytes& out) {
    if (!r.prefixed(out)) return malformed(MOTE_WHY("string length past the end of the packet"));
    return validate_utf8(out, strict_utf8);
}

Error read_packet_id(Reader& r, std::uint16_t& out) {
    if (!r.u16(out)) return malformed(MOTE_WHY("missing packet identifier"));
    if (out == 0) return protocol_error(MOTE_WHY("packet identifier 0"));  // [MQTT-2.2.1-3]
    return kOk;
}

bool code_in(std::uint8_t code, const std::uint8_t* list, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        if (list[i] == code) return true;
    }
    return false;
}

Error check_start(std::uint8_t fb, PacketType expected, const DecodeOptions& opts, Direction dir) {
    // Direction and Role share their order (client first): a one-way packet from
    // the other side is a Protocol Error.
    static_assert(static_cast<int>(Direction::ClientToServer) == static_cast<int>(Role::Client) &&
                      static_cast<int>(Direction::ServerToClient) == static_cast<int>(Role::Server),
                  "Direction and Role orders");
    if (dir != Direction::Both && static_cast<int>(dir) != static_cast<int>(opts.sender)) {
        return protocol_error(dir == Direction::ClientToServer ? MOTE_WHY("client-only packet sent by a server")
                                                               : MOTE_WHY("server-only packet sent by a client"));
    }
    if ((fb >> 4) != static_cast<std::uint8_t>(expected)) return malformed(MOTE_WHY("unexpected packet type"));
    if (expected != PacketType::Publish && (fb & 0x0Fu) != required_flags(expected))
        return malformed(MOTE_WHY("reserved fixed header flags"));  // [MQTT-2.1.3-1]
    if (opts.version == Version::V5 && MOTE_MQTT_V5 == 0)
        return Error{Reason::UnsupportedProtocolVersion, MOTE_WHY("MQTT 5.0 is not built in")};
    return kOk;
}

#if MOTE_MQTT_V5
Error read_properties(Reader& r, PropertyContext ctx, const DecodeOptions& opts, Properties& out) {
    std::uint32_t n = 0;
    if (Error e = r.varint(n)) return e;
    Bytes raw;
    if (!r.take(n, raw)) return malformed(MOTE_WHY("property length past the end of the packet"));  // §2.2.2.1
    const bool server_publish = ctx == PropertyContext::Publish && opts.sender == Role::Server;
    if (Error e = check_properties(raw, ctx, server_publish, opts.strict_utf8)) return e;
    out = Properties(raw);
    return kOk;
}

void write_properties(Writer& w, Properties props) {
    const Bytes raw = props.raw();
    if (raw.size > kMaxVarInt) {
        w.fail();
        return;
    }
    w.varint(static_cast<std::uint32_t>(raw.size));
    w.raw(raw);
}
#endif

}  // namespace wire
}  // namespace mote::mqtt
