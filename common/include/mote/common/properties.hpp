// MQTT 5.0 properties (§2.2.2). A Properties value is a view of an encoded property
// block (without its length prefix); decoders validate the block before handing it
// out, so iterating a decoded Properties never fails. PropertyBuilder writes a block
// into a caller's buffer for encoding.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mote/common/bytes.hpp"
#include "mote/common/protocol.hpp"

namespace mote::mqtt {

enum class PropertyId : std::uint8_t {
    PayloadFormatIndicator = 0x01,
    MessageExpiryInterval = 0x02,
    ContentType = 0x03,
    ResponseTopic = 0x08,
    CorrelationData = 0x09,
    SubscriptionIdentifier = 0x0B,
    SessionExpiryInterval = 0x11,
    AssignedClientIdentifier = 0x12,
    ServerKeepAlive = 0x13,
    AuthenticationMethod = 0x15,
    AuthenticationData = 0x16,
    RequestProblemInformation = 0x17,
    WillDelayInterval = 0x18,
    RequestResponseInformation = 0x19,
    ResponseInformation = 0x1A,
    ServerReference = 0x1C,
    ReasonString = 0x1F,
    ReceiveMaximum = 0x21,
    TopicAliasMaximum = 0x22,
    TopicAlias = 0x23,
    MaximumQos = 0x24,
    RetainAvailable = 0x25,
    UserProperty = 0x26,
    MaximumPacketSize = 0x27,
    WildcardSubscriptionAvailable = 0x28,
    SubscriptionIdentifierAvailable = 0x29,
    SharedSubscriptionAvailable = 0x2A,
};

enum class PropertyType : std::uint8_t {
    Byte,
    TwoByteInt,
    FourByteInt,
    VarInt,
    Utf8String,
    BinaryData,
    Utf8StringPair,
    Invalid,  // not a property identifier
};

// Where a property may appear (Table 2-4). "Will" is the Will Properties block of a
// CONNECT, which has its own allowed set.
enum class PropertyContext : std::uint8_t {
    Connect,
    Connack,
    Publish,
    Will,
    Puback,  // also PUBREC, PUBREL, PUBCOMP
    Subscribe,
    Suback,
    Unsubscribe,
    Unsuback,
    Disconnect,
    Auth,
};

PropertyType property_type(std::uint8_t id);
bool property_allowed(std::uint8_t id, PropertyContext ctx);

// One decoded property. Which member is meaningful depends on `type`:
// Byte/TwoByteInt/FourByteInt/VarInt use `number`; Utf8String/BinaryData use `value`;
// Utf8StringPair uses `key` and `value`.
struct Property {
    PropertyId id{};
    PropertyType type = PropertyType::Invalid;
    std::uint32_t number = 0;
    Bytes key;
    Bytes value;
};

class Properties {
public:
    constexpr Properties() = default;
    // Wraps bytes known to be a valid block (from a decoder or a PropertyBuilder).
    explicit constexpr Properties(Bytes raw) : raw_(raw) {}

    Bytes raw() const { return raw_; }
    bool empty() const { return raw_.size == 0; }

    // Size on the wire including the Variable Byte Integer length prefix.
    std::size_t wire_size() const;

    class Iterator {
    public:
        Iterator(Bytes rest) : rest_(rest) { advance(); }
        const Property& operator*() const { return cur_; }
        const Property* operator->() const { return &cur_; }
        Iterator& operator++() {
            advance();
            return *this;
        }
        bool operator!=(const Iterator& o) const { return rest_.data != o.rest_.data || done_ != o.done_; }

    private:
        friend class Properties;
        Iterator(Bytes rest, bool done) : rest_(rest), done_(done) {}
        void advance();
        Bytes rest_;
        Property cur_;
        bool done_ = false;
    };
    Iterator begin() const { return Iterator(raw_); }
    Iterator end() const { return Iterator(Bytes(raw_.data + raw_.size, 0), true); }

    // First occurrence of `id`; false when absent.
    bool find(PropertyId id, Property& out) const;
    bool has(PropertyId id) const;
    // Convenience lookups returning `fallback` when absent.
    std::uint32_t number(PropertyId id, std::uint32_t fallback) const;
    Bytes bytes(PropertyId id) const;

private:
    Bytes raw_;
};

// Validates an encoded property block for a context: known identifiers, values that
// fit, allowed in this packet, no forbidden duplicates, value ranges that the spec
// fixes (e.g. Receive Maximum 0 or Request Problem Information 2 is a Protocol
// Error), strict UTF-8 in strings. `is_server_publish` permits several Subscription
// Identifiers, which only a server may send [MQTT-3.3.4-6].
Error validate_properties(Bytes raw, PropertyContext ctx, bool is_server_publish = false);

// Builds a property block in a caller-owned buffer. After any add_* that did not fit,
// ok() is false and view() must not be used.
class PropertyBuilder {
public:
    PropertyBuilder(std::uint8_t* buf, std::size_t cap) : buf_(buf), cap_(cap) {}

    PropertyBuilder& add_byte(PropertyId id, std::uint8_t v) { return add_int(id, v, 1); }
    PropertyBuilder& add_u16(PropertyId id, std::uint16_t v) { return add_int(id, v, 2); }
    PropertyBuilder& add_u32(PropertyId id, std::uint32_t v) { return add_int(id, v, 4); }
    PropertyBuilder& add_varint(PropertyId id, std::uint32_t v);
    PropertyBuilder& add_string(PropertyId id, Bytes v);  // Utf8String and BinaryData
    PropertyBuilder& add_pair(PropertyId id, Bytes key, Bytes value);
    // Copies one already decoded property unchanged.
    PropertyBuilder& add(const Property& p);

    bool ok() const { return ok_; }
    std::size_t size() const { return len_; }
    Properties view() const { return Properties(Bytes(buf_, len_)); }

private:
    // The identifier and the low `bytes` bytes of v, big-endian: one body for the
    // three fixed-size types.
    PropertyBuilder& add_int(PropertyId id, std::uint32_t v, unsigned bytes);
    bool reserve(std::size_t n);
    std::uint8_t* buf_;
    std::size_t cap_;
    std::size_t len_ = 0;
    bool ok_ = true;
};

}  // namespace mote::mqtt
