// MQTT 5.0 properties (§2.2.2): one constexpr table gives each identifier its wire
// type, the packets that may carry it (Table 2-4) and the value rule the spec fixes,
// so that every packet is checked by the same loop.
#include "mote/common/properties.hpp"

#include "mote/common/codec.hpp"
#include "mote/common/utf8.hpp"
#include "wire.hpp"

#if MOTE_MQTT_V5

namespace mote::mqtt {
namespace {

using wire::malformed;
using wire::protocol_error;
using wire::Reader;

enum Rule : std::uint8_t {
    kAny,      // no range rule beyond the wire type
    kBool,     // 0 or 1; other values are a Protocol Error
    kNonZero,  // 0 is a Protocol Error
    kAlias,    // 0 is Topic Alias Invalid [MQTT-3.3.2-8]
    kTopic,    // Response Topic: no wildcards [MQTT-3.3.2-14]
};

constexpr std::uint16_t ctx_bit(PropertyContext c) { return static_cast<std::uint16_t>(1u << static_cast<unsigned>(c)); }

constexpr std::uint16_t kConnect = ctx_bit(PropertyContext::Connect);
constexpr std::uint16_t kConnack = ctx_bit(PropertyContext::Connack);
constexpr std::uint16_t kPublish = ctx_bit(PropertyContext::Publish);
constexpr std::uint16_t kWill = ctx_bit(PropertyContext::Will);
constexpr std::uint16_t kPuback = ctx_bit(PropertyContext::Puback);
constexpr std::uint16_t kSubscribe = ctx_bit(PropertyContext::Subscribe);
constexpr std::uint16_t kSuback = ctx_bit(PropertyContext::Suback);
constexpr std::uint16_t kUnsuback = ctx_bit(PropertyContext::Unsuback);
constexpr std::uint16_t kDisconnect = ctx_bit(PropertyContext::Disconnect);
constexpr std::uint16_t kAuth = ctx_bit(PropertyContext::Auth);
constexpr std::uint16_t kAll = 0x7FF;

struct Def {
    PropertyType type;
    Rule rule;
    std::uint16_t contexts;
};

constexpr std::uint8_t kMaxId = 0x2A;
constexpr Def kNone{PropertyType::Invalid, kAny, 0};

// Indexed by property identifier (Table 2-4 of MQTT 5.0).
constexpr Def kDefs[kMaxId + 1] = {
    kNone,
    {PropertyType::Byte, kBool, kPublish | kWill},          // 0x01 Payload Format Indicator
    {PropertyType::FourByteInt, kAny, kPublish | kWill},    // 0x02 Message Expiry Interval
    {PropertyType::Utf8String, kAny, kPublish | kWill},     // 0x03 Content Type
    kNone, kNone, kNone, kNone,
    {PropertyType::Utf8String, kTopic, kPublish | kWill},   // 0x08 Response Topic
    {PropertyType::BinaryData, kAny, kPublish | kWill},     // 0x09 Correlation Data
    kNone,
    {PropertyType::VarInt, kNonZero, kPublish | kSubscribe},  // 0x0B Subscription Identifier
    kNone, kNone, kNone, kNone, kNone,
    {PropertyType::FourByteInt, kAny, kConnect | kConnack | kDisconnect},  // 0x11 Session Expiry
    {PropertyType::Utf8String, kAny, kConnack},             // 0x12 Assigned Client Identifier
    {PropertyType::TwoByteInt, kAny, kConnack},             // 0x13 Server Keep Alive
    kNone,
    {PropertyType::Utf8String, kAny, kConnect | kConnack | kAuth},  // 0x15 Authentication Method
    {PropertyType::BinaryData, kAny, kConnect | kConnack | kAuth},  // 0x16 Authentication Data
    {PropertyType::Byte, kBool, kConnect},                  // 0x17 Request Problem Information
    {PropertyType::FourByteInt, kAny, kWill},               // 0x18 Will Delay Interval
    {PropertyType::Byte, kBool, kConnect},                  // 0x19 Request Response Information
    {PropertyType::Utf8String, kAny, kConnack},             // 0x1A Response Information
    kNone,
    {PropertyType::Utf8String, kAny, kConnack | kDisconnect},  // 0x1C Server Reference
    kNone, kNone,
    {PropertyType::Utf8String, kAny,
     kConnack | kPuback | kSuback | kUnsuback | kDisconnect | kAuth},  // 0x1F Reason String
    kNone,
    {PropertyType::TwoByteInt, kNonZero, kConnect | kConnack},  // 0x21 Receive Maximum
    {PropertyType::TwoByteInt, kAny, kConnect | kConnack},      // 0x22 Topic Alias Maximum
    {PropertyType::TwoByteInt, kAlias, kPublish},               // 0x23 Topic Alias
    {PropertyType::Byte, kBool, kConnack},                      // 0x24 Maximum QoS
    {PropertyType::Byte, kBool, kConnack},                      // 0x25 Retain Available
    {PropertyType::Utf8StringPair, kAny, kAll},                 // 0x26 User Property
    {PropertyType::FourByteInt, kNonZero, kConnect | kConnack},  // 0x27 Maximum Packet Size
    {PropertyType::Byte, kBool, kConnack},                      // 0x28 Wildcard Subscription Available
    {PropertyType::Byte, kBool, kConnack},                      // 0x29 Subscription Identifier Available
    {PropertyType::Byte, kBool, kConnack},                      // 0x2A Shared Subscription Available
};

// kDefs as the image stores it: the type and rule of an identifier in one byte and
// its contexts in a separate array, 3 bytes per entry instead of the padded 4.
struct PackedDefs {
    std::uint8_t type_rule[kMaxId + 1];  // type in the low nibble, rule in the high
    std::uint16_t contexts[kMaxId + 1];
};

constexpr PackedDefs pack(const Def (&defs)[kMaxId + 1]) {
    PackedDefs p{};
    for (std::size_t i = 0; i <= kMaxId; ++i) {
        p.type_rule[i] = static_cast<std::uint8_t>(static_cast<unsigned>(defs[i].type) | (unsigned{defs[i].rule} << 4));
        p.contexts[i] = defs[i].contexts;
    }
    return p;
}

constexpr PackedDefs kPacked = pack(kDefs);

PropertyType type_of(std::uint8_t id) { return static_cast<PropertyType>(kPacked.type_rule[id] & 0x0Fu); }
Rule rule_of(std::uint8_t id) { return static_cast<Rule>(kPacked.type_rule[id] >> 4); }

// Reads one property. Unknown identifiers and truncated values are Malformed
// (§2.2.2.2: the identifier must be one of Table 2-4).
Error read_one(Reader& r, Property& p) {
    std::uint8_t id = 0;
    if (!r.u8(id)) return malformed(MOTE_WHY("truncated property"));
    p = Property{};
    p.type = property_type(id);
    p.id = static_cast<PropertyId>(id);
    // Compares rather than a switch: on Cortex-M0 the jump table would pull in a
    // libgcc dispatch helper that nothing else in a client image needs.
    const PropertyType t = p.type;
    if (t == PropertyType::Invalid) return malformed(MOTE_WHY("unknown property identifier"));
    if (t == PropertyType::VarInt) return r.varint(p.number);
    bool ok = true;
    if (t == PropertyType::Byte || t == PropertyType::TwoByteInt || t == PropertyType::FourByteInt) {
        // One loop for the three big-endian widths (nothing is read when short).
        const std::size_t n = t == PropertyType::Byte ? 1 : t == PropertyType::TwoByteInt ? 2 : 4;
        Bytes v;
        ok = r.take(n, v);
        for (std::size_t i = 0; i < v.size; ++i) p.number = (p.number << 8) | v[i];
    } else {
        // Utf8String, BinaryData; a pair has its key first.
        ok = (t != PropertyType::Utf8StringPair || r.prefixed(p.key)) && r.prefixed(p.value);
    }
    return ok ? kOk : malformed(MOTE_WHY("truncated property"));
}

bool has_wildcard_char(Bytes s) {
    for (std::size_t i = 0; i < s.size; ++i) {
        if (s[i] == '+' || s[i] == '#') return true;
    }
    return false;
}

Error check_value(const Property& p, Rule rule, bool strict_utf8) {
    if (p.type == PropertyType::Utf8StringPair) {
        if (Error e = validate_utf8(p.key, strict_utf8)) return e;
    }
    if (p.type == PropertyType::Utf8String || p.type == PropertyType::Utf8StringPair) {
        if (Error e = validate_utf8(p.value, strict_utf8)) return e;
    }
    switch (rule) {
        case kAny: return kOk;
        case kBool: return p.number > 1 ? protocol_error(MOTE_WHY("property value other than 0 or 1")) : kOk;
        case kNonZero: return p.number == 0 ? protocol_error(MOTE_WHY("property value 0")) : kOk;
        case kAlias: return p.number == 0 ? Error{Reason::TopicAliasInvalid, MOTE_WHY("topic alias 0")} : kOk;
        case kTopic:
            return (p.value.empty() || has_wildcard_char(p.value)) ? protocol_error(MOTE_WHY("invalid response topic")) : kOk;
    }
    return kOk;
}

}  // namespace

PropertyType property_type(std::uint8_t id) { return id <= kMaxId ? type_of(id) : PropertyType::Invalid; }

bool property_allowed(std::uint8_t id, PropertyContext ctx) {
    return id <= kMaxId && (kPacked.contexts[id] & ctx_bit(ctx)) != 0;
}

std::size_t Properties::wire_size() const { return varint_size(static_cast<std::uint32_t>(raw_.size)) + raw_.size; }

void Properties::Iterator::advance() {
    Reader r(rest_);
    if (r.done() || read_one(r, cur_)) {
        // End (or, for a block that was never validated, the first bad byte).
        rest_ = Bytes(rest_.data + rest_.size, 0);
        done_ = true;
        return;
    }
    rest_ = r.rest();
}

bool Properties::find(PropertyId id, Property& out) const {
    // The iterator's walk without the iterator: stops at the end or, for a block
    // that was never validated, at the first bad byte.
    Reader r(raw_);
    Property p;
    while (!r.done() && !read_one(r, p)) {
        if (p.id == id) {
            out = p;
            return true;
        }
    }
    return false;
}

bool Properties::has(PropertyId id) const {
    Property p;
    return find(id, p);
}

std::uint32_t Properties::number(PropertyId id, std::uint32_t fallback) const {
    Property p;
    return find(id, p) ? p.number : fallback;
}

Bytes Properties::bytes(PropertyId id) const {
    Property p;
    return find(id, p) ? p.value : Bytes();
}

namespace wire {

Error check_properties(Bytes raw, PropertyContext ctx, bool is_server_publish, bool strict_utf8) {
    Reader r(raw);
    // One flag per identifier rather than a 64-bit mask: Cortex-M0 has no 64-bit
    // shift, and libgcc's costs more flash than this array's zeroing.
    bool seen[kMaxId + 1] = {};
    Property p;  // read_one() resets it for each property
    while (!r.done()) {
        if (Error e = read_one(r, p)) return e;
        const auto id = static_cast<std::uint8_t>(p.id);
        // §2.2.2.2: a property not listed for the packet is a Protocol Error.
        if ((kPacked.contexts[id] & ctx_bit(ctx)) == 0)
            return protocol_error(MOTE_WHY("property not allowed in this packet"));
        // Only User Property, and Subscription Identifier in a PUBLISH from the server
        // [MQTT-3.3.4-4], may appear more than once; any other repeat is a Protocol Error.
        const bool multi = p.id == PropertyId::UserProperty ||
                           (p.id == PropertyId::SubscriptionIdentifier && is_server_publish);
        if (seen[id] && !multi) return protocol_error(MOTE_WHY("duplicate property"));
        seen[id] = true;
        if (Error e = check_value(p, rule_of(id), strict_utf8)) return e;
    }
    auto has = [&](PropertyId id) { return seen[static_cast<std::uint8_t>(id)]; };
    // §3.1.2.11.10, §3.15.2.2.3: Authentication Data needs an Authentication Method.
    if (has(PropertyId::AuthenticationData) && !has(PropertyId::AuthenticationMethod))
        return protocol_error(MOTE_WHY("authentication data without authentication method"));
    // A client MUST NOT send a Subscription Identifier in a PUBLISH [MQTT-3.3.4-6].
    if (ctx == PropertyContext::Publish && !is_server_publish && has(PropertyId::SubscriptionIdentifier))
        return protocol_error(MOTE_WHY("subscription identifier in a client PUBLISH"));
    return kOk;
}

}  // namespace wire

Error validate_properties(Bytes raw, PropertyContext ctx, bool is_server_publish) {
    return wire::check_properties(raw, ctx, is_server_publish, true);
}

bool PropertyBuilder::reserve(std::size_t n) {
    if (!ok_ || n > cap_ - len_) ok_ = false;
    return ok_;
}

namespace {
// Writes through a Writer over the builder's free space; PropertyBuilder keeps only
// the committed length so a failed add leaves the block unchanged.
template <typename F>
bool build(std::uint8_t* buf, std::size_t cap, std::size_t& len, const F& fill) {
    wire::Writer w(buf + len, cap - len);
    fill(w);
    if (!w.ok()) return false;
    len += w.size();
    return true;
}
}  // namespace

PropertyBuilder& PropertyBuilder::add_int(PropertyId id, std::uint32_t v, unsigned bytes) {
    if (reserve(1 + bytes)) {
        buf_[len_++] = static_cast<std::uint8_t>(id);
        while (bytes-- != 0) buf_[len_++] = static_cast<std::uint8_t>(v >> (8 * bytes));
    }
    return *this;
}

PropertyBuilder& PropertyBuilder::add_varint(PropertyId id, std::uint32_t v) {
    if (!ok_) return *this;
    ok_ = build(buf_, cap_, len_, [&](wire::Writer& w) {
        w.u8(static_cast<std::uint8_t>(id));
        w.varint(v);
    });
    return *this;
}

PropertyBuilder& PropertyBuilder::add_string(PropertyId id, Bytes v) {
    if (!ok_) return *this;
    ok_ = build(buf_, cap_, len_, [&](wire::Writer& w) {
        w.u8(static_cast<std::uint8_t>(id));
        w.prefixed(v);
    });
    return *this;
}

PropertyBuilder& PropertyBuilder::add_pair(PropertyId id, Bytes key, Bytes value) {
    if (!ok_) return *this;
    ok_ = build(buf_, cap_, len_, [&](wire::Writer& w) {
        w.u8(static_cast<std::uint8_t>(id));
        w.prefixed(key);
        w.prefixed(value);
    });
    return *this;
}

PropertyBuilder& PropertyBuilder::add(const Property& p) {
    switch (p.type) {
        case PropertyType::Byte: return add_byte(p.id, static_cast<std::uint8_t>(p.number));
        case PropertyType::TwoByteInt: return add_u16(p.id, static_cast<std::uint16_t>(p.number));
        case PropertyType::FourByteInt: return add_u32(p.id, p.number);
        case PropertyType::VarInt: return add_varint(p.id, p.number);
        case PropertyType::Utf8String:
        case PropertyType::BinaryData: return add_string(p.id, p.value);
        case PropertyType::Utf8StringPair: return add_pair(p.id, p.key, p.value);
        case PropertyType::Invalid: break;
    }
    ok_ = false;
    return *this;
}

}  // namespace mote::mqtt

#endif  // MOTE_MQTT_V5
