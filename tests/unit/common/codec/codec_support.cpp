#include "common/codec/codec_support.hpp"

#include <cstdio>
#include <memory>

#include <CppUTest/TestHarness.h>

namespace mote::mqtt::test {

ByteVec hex(const std::string& s) {
    ByteVec out;
    std::size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        if (c == ' ') {
            ++i;
        } else if (c == '\'') {
            const std::size_t end = s.find('\'', i + 1);
            for (std::size_t k = i + 1; k < end; ++k) out.push_back(static_cast<std::uint8_t>(s[k]));
            i = end + 1;
        } else {
            out.push_back(static_cast<std::uint8_t>(std::stoul(s.substr(i, 2), nullptr, 16)));
            i += 2;
        }
    }
    return out;
}

std::string to_hex(const std::uint8_t* p, std::size_t n) {
    std::string s;
    char tmp[4];
    for (std::size_t i = 0; i < n; ++i) {
        std::snprintf(tmp, sizeof tmp, i ? " %02X" : "%02X", p[i]);
        s += tmp;
    }
    return s;
}

DecodeOptions opts(Version v, Role sender, bool strict) {
    DecodeOptions o;
    o.version = v;
    o.sender = sender;
    o.strict_utf8 = strict;
    return o;
}

namespace {
// Body offset after the Remaining Length of a test packet.
std::size_t body_offset(const ByteVec& wire, std::uint32_t& rl) {
    rl = 0;
    std::size_t i = 1;
    for (unsigned shift = 0; i < wire.size() && shift <= 21; shift += 7) {
        const std::uint8_t b = wire[i++];
        rl |= std::uint32_t{b & 0x7Fu} << shift;
        if ((b & 0x80u) == 0) return i;
    }
    FAIL("test packet has a bad fixed header");
    return 0;
}
}  // namespace

Error decode_wire(const ByteVec& wire, const DecodeOptions& o, Packet& out) {
    CHECK_TRUE(wire.size() >= 2);
    std::uint32_t rl = 0;
    const std::size_t off = body_offset(wire, rl);
    CHECK_EQUAL(wire.size() - off, static_cast<std::size_t>(rl));
    return decode(wire[0], Bytes(wire.data() + off, rl), o, out);
}

Error decode_hex(const std::string& h, Version v, Role sender) {
    Packet out;
    return decode_wire(hex(h), opts(v, sender), out);
}

Decoded decode_hex_full(const std::string& whole_hex, Version v, Role sender) {
    Decoded d;
    d.body = hex(whole_hex);
    d.e = decode_wire(d.body, opts(v, sender), d.p);
    return d;
}

Decoded dec_full(std::uint8_t first, const std::string& body_hex, Version v, Role sender, bool strict) {
    Decoded d;
    d.body = hex(body_hex);
    d.body.shrink_to_fit();
    d.e = decode(first, Bytes(d.body.data(), d.body.size()), opts(v, sender, strict), d.p);
    return d;
}

Error dec(std::uint8_t first, const std::string& body_hex, Version v, Role sender, bool strict) {
    const ByteVec body = hex(body_hex);
    // An exact-size heap copy, so that ASan sees any read past the body.
    std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[body.size()]);
    for (std::size_t i = 0; i < body.size(); ++i) copy[i] = body[i];
    Packet out;
    return decode(first, Bytes(body.empty() ? nullptr : copy.get(), body.size()), opts(v, sender, strict), out);
}

ByteVec frame(std::uint8_t first, const std::string& body_hex) {
    const ByteVec body = hex(body_hex);
    ByteVec out{first};
    std::uint8_t rl[4];
    const std::size_t n = encode_varint(static_cast<std::uint32_t>(body.size()), rl);
    out.insert(out.end(), rl, rl + n);
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

std::string plen(const std::string& props_hex) {
    std::uint8_t rl[4];
    const std::size_t n = encode_varint(static_cast<std::uint32_t>(hex(props_hex).size()), rl);
    return to_hex(rl, n) + " " + props_hex;
}

ByteVec encode_vec(const Packet& p, Version v) {
    const std::size_t n = encoded_size(p, v);
    CHECK_TRUE(n >= 2);
    ByteVec out(n);
    CHECK_EQUAL(n, encode(p, v, out.data(), out.size()));
    // One byte less never fits, and encode() then reports 0.
    ByteVec small(n - 1);
    CHECK_EQUAL(0u, encode(p, v, small.data(), small.size()));
    return out;
}

namespace {
bool fail(std::string& why, const char* what) {
    why = what;
    return false;
}

bool props_equal(Properties a, Properties b) { return a.raw() == b.raw(); }

bool connect_equal(const Connect& a, const Connect& b, std::string& why) {
    if (a.version != b.version) return fail(why, "version");
    if (a.bridge != b.bridge) return fail(why, "bridge");
    if (a.clean_start != b.clean_start || a.keep_alive != b.keep_alive) return fail(why, "clean/keepalive");
    if (!props_equal(a.props, b.props)) return fail(why, "props");
    if (a.client_id != b.client_id) return fail(why, "client id");
    if (a.has_will != b.has_will) return fail(why, "has_will");
    if (a.has_will && (a.will.qos != b.will.qos || a.will.retain != b.will.retain || a.will.topic != b.will.topic ||
                       a.will.payload != b.will.payload || !props_equal(a.will.props, b.will.props)))
        return fail(why, "will");
    if (a.has_username != b.has_username || a.username != b.username) return fail(why, "username");
    if (a.has_password != b.has_password || a.password != b.password) return fail(why, "password");
    return true;
}

bool publish_equal(const Publish& a, const Publish& b, std::string& why) {
    if (a.qos != b.qos || a.dup != b.dup || a.retain != b.retain) return fail(why, "flags");
    if (a.topic != b.topic) return fail(why, "topic");
    if (a.qos > 0 && a.packet_id != b.packet_id) return fail(why, "packet id");
    if (!props_equal(a.props, b.props)) return fail(why, "props");
    if (a.payload != b.payload) return fail(why, "payload");
    return true;
}

template <typename List, typename Eq>
bool lists_equal(const List& a, const List& b, Eq eq) {
    if (a.size() != b.size()) return false;
    auto ib = b.begin();
    for (auto ia = a.begin(); ia != a.end(); ++ia, ++ib) {
        if (!eq(*ia, *ib)) return false;
    }
    return true;
}

bool subscribe_equal(const Subscribe& a, const Subscribe& b, std::string& why) {
    if (a.packet_id != b.packet_id || !props_equal(a.props, b.props)) return fail(why, "id/props");
    const bool same = lists_equal(a.entries, b.entries, [](SubscribeEntry x, SubscribeEntry y) {
        return x.filter == y.filter && x.options.to_byte() == y.options.to_byte();
    });
    return same ? true : fail(why, "entries");
}

bool unsubscribe_equal(const Unsubscribe& a, const Unsubscribe& b, std::string& why) {
    if (a.packet_id != b.packet_id || !props_equal(a.props, b.props)) return fail(why, "id/props");
    return lists_equal(a.filters, b.filters, [](Bytes x, Bytes y) { return x == y; }) ? true : fail(why, "filters");
}
}  // namespace

bool packets_equal(const Packet& a, const Packet& b, std::string& why) {
    if (a.type != b.type) return fail(why, "type");
    switch (a.type) {
        case PacketType::Connect: return connect_equal(a.connect, b.connect, why);
        case PacketType::Connack:
            if (a.connack.session_present != b.connack.session_present || a.connack.code != b.connack.code)
                return fail(why, "connack fields");
            return props_equal(a.connack.props, b.connack.props) ? true : fail(why, "props");
        case PacketType::Publish: return publish_equal(a.publish, b.publish, why);
        case PacketType::Puback:
        case PacketType::Pubrec:
        case PacketType::Pubrel:
        case PacketType::Pubcomp:
            if (a.ack.packet_id != b.ack.packet_id || a.ack.reason != b.ack.reason) return fail(why, "ack fields");
            return props_equal(a.ack.props, b.ack.props) ? true : fail(why, "props");
        case PacketType::Subscribe: return subscribe_equal(a.subscribe, b.subscribe, why);
        case PacketType::Suback:
        case PacketType::Unsuback:
            if (a.suback.packet_id != b.suback.packet_id || a.suback.codes != b.suback.codes) return fail(why, "codes");
            return props_equal(a.suback.props, b.suback.props) ? true : fail(why, "props");
        case PacketType::Unsubscribe: return unsubscribe_equal(a.unsubscribe, b.unsubscribe, why);
        case PacketType::Disconnect:
            if (a.disconnect.reason != b.disconnect.reason) return fail(why, "reason");
            return props_equal(a.disconnect.props, b.disconnect.props) ? true : fail(why, "props");
        case PacketType::Auth:
            if (a.auth.reason != b.auth.reason) return fail(why, "reason");
            return props_equal(a.auth.props, b.auth.props) ? true : fail(why, "props");
        default: return true;
    }
}

ByteVec roundtrip(const Packet& p, Version v, Role sender) {
    const ByteVec wire = encode_vec(p, v);
    Packet q;
    const Error e = decode_wire(wire, opts(v, sender), q);
    STRCMP_EQUAL("", e.cause);
    CHECK_EQUAL(static_cast<int>(Reason::Success), static_cast<int>(e.reason));
    std::string why;
    if (!packets_equal(p, q, why)) FAIL(("decoded packet differs in " + why + ": " + to_hex(wire)).c_str());
    const ByteVec again = encode_vec(q, v);
    STRCMP_EQUAL(to_hex(wire).c_str(), to_hex(again).c_str());
    return wire;
}

void touch(const Packet& p) {
    // Reads every view a decoded packet hands out, and re-encodes it.
    std::size_t sum = 0;
    auto props = [&](Properties ps) {
        for (const Property& x : ps) sum += x.number + x.key.size + x.value.size;
    };
    switch (p.type) {
        case PacketType::Connect: props(p.connect.props); props(p.connect.will.props); break;
        case PacketType::Connack: props(p.connack.props); break;
        case PacketType::Publish: props(p.publish.props); break;
        case PacketType::Subscribe:
            props(p.subscribe.props);
            for (const SubscribeEntry e : p.subscribe.entries) sum += e.filter.size + e.options.qos;
            break;
        case PacketType::Unsubscribe:
            props(p.unsubscribe.props);
            for (const Bytes f : p.unsubscribe.filters) sum += f.size;
            break;
        default: break;
    }
    const Version v = p.type == PacketType::Connect ? p.connect.version : Version::V5;
    ByteVec buf(encoded_size(p, v) + 1);
    (void)encode(p, v, buf.data(), buf.size());
    (void)sum;
}

namespace {
// A prefix that decoded: it must be a faithful, shorter packet.
void check_shorter_packet(const Packet& p, const DecodeOptions& o, std::size_t prefix_len, const ByteVec& wire) {
    const Version v = p.type == PacketType::Connect ? p.connect.version : o.version;
    ByteVec again(encoded_size(p, v));
    CHECK_TRUE(again.size() >= 2);
    CHECK_EQUAL(again.size(), encode(p, v, again.data(), again.size()));
    std::uint8_t rl[4];
    const std::size_t prefix_packet = 1 + encode_varint(static_cast<std::uint32_t>(prefix_len), rl) + prefix_len;
    if (again.size() > prefix_packet) FAIL(("prefix decoded to a longer packet: " + to_hex(wire)).c_str());
    Packet q;
    CHECK_TRUE(decode_wire(again, o, q).ok());
    std::string why;
    if (!packets_equal(p, q, why)) FAIL(("prefix decoded inconsistently (" + why + "): " + to_hex(wire)).c_str());
}
}  // namespace

void sweep(const ByteVec& wire, const DecodeOptions& o, Prefixes prefixes) {
    std::uint32_t rl = 0;
    const std::size_t off = body_offset(wire, rl);
    Packet out;
    CHECK_TRUE(decode(wire[0], Bytes(wire.data() + off, rl), o, out).ok());
    for (std::size_t n = 0; n < rl; ++n) {
        // A heap copy of exactly n bytes: ASan reports any read past it.
        std::unique_ptr<std::uint8_t[]> prefix(new std::uint8_t[n]);
        for (std::size_t i = 0; i < n; ++i) prefix[i] = wire[off + i];
        const Error e = decode(wire[0], Bytes(n ? prefix.get() : nullptr, n), o, out);
        if (!e.ok() && prefixes == Prefixes::MustFail) continue;
        if (e.ok() && prefixes == Prefixes::MustFail)
            FAIL(("prefix of " + std::to_string(n) + " bytes decoded: " + to_hex(wire)).c_str());
        if (e.ok()) check_shorter_packet(out, o, n, wire);
    }
    std::unique_ptr<std::uint8_t[]> body(new std::uint8_t[rl]);
    for (std::size_t pos = 0; pos <= rl; ++pos) {
        for (unsigned delta : {0x01u, 0x80u, 0xFFu}) {
            for (std::size_t i = 0; i < rl; ++i) body[i] = wire[off + i];
            std::uint8_t first = wire[0];
            if (pos == rl) {
                first = static_cast<std::uint8_t>(first ^ delta);
            } else {
                body[pos] = static_cast<std::uint8_t>(body[pos] ^ delta);
            }
            if (decode(first, Bytes(body.get(), rl), o, out).ok()) touch(out);
        }
    }
}

}  // namespace mote::mqtt::test
