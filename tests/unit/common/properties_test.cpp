// MQTT 5.0 properties (§2.2.2): the identifier table (Table 2-4), iteration and
// lookup, validate_properties() rules, and PropertyBuilder.
#include "common/codec/codec_support.hpp"

#include <CppUTest/TestHarness.h>

#include "mote/common/properties.hpp"

using namespace mote::mqtt;
using namespace mote::mqtt::test;

namespace {
Error validate_hex(const std::string& h, PropertyContext ctx, bool server_publish = false) {
    const ByteVec raw = hex(h);
    return validate_properties(Bytes(raw.data(), raw.size()), ctx, server_publish);
}
}  // namespace

TEST_GROUP(Properties) {};

TEST(Properties, WireTypesOfTable24) {
    CHECK_TRUE(property_type(0x01) == PropertyType::Byte);
    CHECK_TRUE(property_type(0x02) == PropertyType::FourByteInt);
    CHECK_TRUE(property_type(0x03) == PropertyType::Utf8String);
    CHECK_TRUE(property_type(0x09) == PropertyType::BinaryData);
    CHECK_TRUE(property_type(0x0B) == PropertyType::VarInt);
    CHECK_TRUE(property_type(0x13) == PropertyType::TwoByteInt);
    CHECK_TRUE(property_type(0x16) == PropertyType::BinaryData);
    CHECK_TRUE(property_type(0x26) == PropertyType::Utf8StringPair);
    CHECK_TRUE(property_type(0x27) == PropertyType::FourByteInt);
    CHECK_TRUE(property_type(0x2A) == PropertyType::Byte);
    for (int id : {0x00, 0x04, 0x0A, 0x10, 0x14, 0x1B, 0x1D, 0x20, 0x2B, 0x7F, 0xFF}) {
        CHECK_TRUE(property_type(static_cast<std::uint8_t>(id)) == PropertyType::Invalid);
    }
}

TEST(Properties, AllowedContextsOfTable24) {
    CHECK_TRUE(property_allowed(0x01, PropertyContext::Publish));
    CHECK_TRUE(property_allowed(0x01, PropertyContext::Will));
    CHECK_FALSE(property_allowed(0x01, PropertyContext::Connect));
    CHECK_TRUE(property_allowed(0x0B, PropertyContext::Subscribe));
    CHECK_FALSE(property_allowed(0x0B, PropertyContext::Suback));
    CHECK_TRUE(property_allowed(0x11, PropertyContext::Disconnect));
    CHECK_FALSE(property_allowed(0x11, PropertyContext::Auth));
    CHECK_TRUE(property_allowed(0x18, PropertyContext::Will));
    CHECK_FALSE(property_allowed(0x18, PropertyContext::Connect));
    CHECK_TRUE(property_allowed(0x1C, PropertyContext::Disconnect));
    CHECK_TRUE(property_allowed(0x1F, PropertyContext::Puback));
    CHECK_FALSE(property_allowed(0x1F, PropertyContext::Publish));
    CHECK_TRUE(property_allowed(0x23, PropertyContext::Publish));
    CHECK_FALSE(property_allowed(0x23, PropertyContext::Will));
    for (int c = 0; c <= static_cast<int>(PropertyContext::Auth); ++c) {
        CHECK_TRUE(property_allowed(0x26, static_cast<PropertyContext>(c)));
        CHECK_FALSE(property_allowed(0x00, static_cast<PropertyContext>(c)));
    }
    CHECK_FALSE(property_allowed(0x26 + 0x80, PropertyContext::Connect));
}

TEST(Properties, IterationAndLookup) {
    const ByteVec raw = hex("01 01 02 00 00 01 00 0B 96 01 26 00 01 'a' 00 02 'bc' 26 00 00 00 00 09 00 02 FF 00");
    const Properties ps(Bytes(raw.data(), raw.size()));
    CHECK_TRUE(validate_properties(ps.raw(), PropertyContext::Publish, true).ok());
    int n = 0;
    int users = 0;
    for (const Property& p : ps) {
        ++n;
        if (p.id == PropertyId::UserProperty) {
            ++users;
            if (users == 1) {
                CHECK_TRUE(p.key == Bytes::of("a"));
                CHECK_TRUE(p.value == Bytes::of("bc"));
            } else {
                CHECK_TRUE(p.key.empty() && p.value.empty());
            }
        }
    }
    CHECK_EQUAL(6, n);
    CHECK_EQUAL(2, users);
    CHECK_EQUAL(1u, ps.number(PropertyId::PayloadFormatIndicator, 9));
    CHECK_EQUAL(256u, ps.number(PropertyId::MessageExpiryInterval, 0));
    CHECK_EQUAL(150u, ps.number(PropertyId::SubscriptionIdentifier, 0));
    CHECK_EQUAL(9u, ps.number(PropertyId::TopicAlias, 9));
    CHECK_EQUAL(2u, ps.bytes(PropertyId::CorrelationData).size);
    CHECK_TRUE(ps.bytes(PropertyId::ContentType).empty());
    CHECK_TRUE(ps.has(PropertyId::UserProperty));
    CHECK_FALSE(ps.has(PropertyId::ResponseTopic));
    CHECK_EQUAL(raw.size() + 1, ps.wire_size());
}

TEST(Properties, EmptyBlock) {
    const Properties ps;
    CHECK_TRUE(ps.empty());
    CHECK_FALSE(ps.begin() != ps.end());
    CHECK_EQUAL(1u, ps.wire_size());
    CHECK_TRUE(validate_properties(Bytes(), PropertyContext::Connect).ok());
}

TEST(Properties, IteratingAnUnvalidatedBadBlockStops) {
    // Not a supported use, but it must not read past the block.
    const ByteVec raw = hex("01 01 26 00 09 'x'");
    const Properties ps(Bytes(raw.data(), raw.size()));
    int n = 0;
    for (const Property& p : ps) n += p.id == PropertyId::PayloadFormatIndicator;
    CHECK_EQUAL(1, n);
}

TEST(Properties, ValueRules) {
    // Byte properties that are booleans (§3.1.2.11.6/.7, §3.2.2.3.x, §3.3.2.3.2).
    CHECK_REASON(Reason::ProtocolError, validate_hex("01 02", PropertyContext::Publish));
    CHECK_REASON(Reason::ProtocolError, validate_hex("24 02", PropertyContext::Connack));
    CHECK_REASON(Reason::ProtocolError, validate_hex("2A 05", PropertyContext::Connack));
    CHECK_TRUE(validate_hex("24 00 25 01 28 00 29 01 2A 00", PropertyContext::Connack).ok());
    // Zero where the spec forbids it.
    CHECK_REASON(Reason::ProtocolError, validate_hex("21 00 00", PropertyContext::Connack));
    CHECK_REASON(Reason::ProtocolError, validate_hex("27 00 00 00 00", PropertyContext::Connect));
    CHECK_REASON(Reason::ProtocolError, validate_hex("0B 00", PropertyContext::Subscribe));
    CHECK_REASON(Reason::TopicAliasInvalid, validate_hex("23 00 00", PropertyContext::Publish));  // [MQTT-3.3.2-8]
    // Response Topic is a Topic Name [MQTT-3.3.2-14].
    CHECK_REASON(Reason::ProtocolError, validate_hex("08 00 03 'a/+'", PropertyContext::Will));
    CHECK_REASON(Reason::ProtocolError, validate_hex("08 00 00", PropertyContext::Publish));
    CHECK_TRUE(validate_hex("08 00 03 'a/b'", PropertyContext::Will).ok());
}

TEST(Properties, StringsAreStrictUtf8) {
    // [MQTT-1.5.4-1] [MQTT-1.5.4-2] [MQTT-1.5.7-1]: in strings and both halves of a pair.
    CHECK_REASON(Reason::MalformedPacket, validate_hex("03 00 01 00", PropertyContext::Publish));
    CHECK_REASON(Reason::MalformedPacket, validate_hex("26 00 02 C0 80 00 00", PropertyContext::Publish));
    CHECK_REASON(Reason::MalformedPacket, validate_hex("26 00 00 00 03 ED A0 80", PropertyContext::Publish));
    // Binary data is not UTF-8.
    CHECK_TRUE(validate_hex("09 00 02 C0 80", PropertyContext::Publish).ok());
}

TEST(Properties, DuplicatesAndContexts) {
    CHECK_REASON(Reason::ProtocolError, validate_hex("1F 00 00 1F 00 00", PropertyContext::Puback));
    CHECK_REASON(Reason::ProtocolError, validate_hex("0B 01 0B 02", PropertyContext::Subscribe));
    // Several Subscription Identifiers only in a server PUBLISH [MQTT-3.3.4-4]; none
    // in a client PUBLISH [MQTT-3.3.4-6].
    CHECK_TRUE(validate_hex("0B 01 0B 02", PropertyContext::Publish, true).ok());
    CHECK_REASON(Reason::ProtocolError, validate_hex("0B 01", PropertyContext::Publish, false));
    CHECK_REASON(Reason::ProtocolError, validate_hex("13 00 01", PropertyContext::Connect));
    CHECK_REASON(Reason::ProtocolError, validate_hex("15 00 01 'm'", PropertyContext::Disconnect));
    CHECK_REASON(Reason::ProtocolError, validate_hex("16 00 00", PropertyContext::Auth));
    CHECK_TRUE(validate_hex("15 00 01 'm' 16 00 00", PropertyContext::Auth).ok());
}

TEST(Properties, MalformedBlocks) {
    for (const char* bad : {"00", "7F", "02 00 00 00", "13 00", "03 00 05 'ab'", "26 00 01 'k' 00", "0B", "0B 80",
                            "0B 80 00", "0B FF FF FF FF 01", "80 01"}) {
        CHECK_REASON(Reason::MalformedPacket, validate_hex(bad, PropertyContext::Publish, true));
    }
}

TEST(Properties, BuilderWritesEveryTypeAndReadsBack) {
    std::uint8_t buf[64];
    PropertyBuilder b(buf, sizeof buf);
    b.add_byte(PropertyId::PayloadFormatIndicator, 1)
        .add_u16(PropertyId::TopicAlias, 0x0102)
        .add_u32(PropertyId::MessageExpiryInterval, 0x01020304)
        .add_varint(PropertyId::SubscriptionIdentifier, 16384)
        .add_string(PropertyId::ContentType, Bytes::of("ct"))
        .add_string(PropertyId::CorrelationData, Bytes::of("\x01\x02", 2))
        .add_pair(PropertyId::UserProperty, Bytes::of("k"), Bytes::of("v"));
    CHECK_TRUE(b.ok());
    STRCMP_EQUAL("01 01 23 01 02 02 01 02 03 04 0B 80 80 01 03 00 02 63 74 09 00 02 01 02 26 00 01 6B 00 01 76",
                 to_hex(buf, b.size()).c_str());
    CHECK_TRUE(validate_properties(b.view().raw(), PropertyContext::Publish, true).ok());
    // add() copies decoded properties unchanged.
    std::uint8_t copy[64];
    PropertyBuilder c(copy, sizeof copy);
    for (const Property& p : b.view()) c.add(p);
    CHECK_TRUE(c.ok());
    CHECK_TRUE(c.view().raw() == b.view().raw());
}

TEST(Properties, BuilderReportsOverflowAndKeepsWhatFit) {
    std::uint8_t buf[6];
    PropertyBuilder b(buf, sizeof buf);
    b.add_u16(PropertyId::ReceiveMaximum, 10);
    CHECK_TRUE(b.ok());
    b.add_u32(PropertyId::MaximumPacketSize, 100);
    CHECK_FALSE(b.ok());
    CHECK_EQUAL(3u, b.size());
    b.add_byte(PropertyId::MaximumQos, 1);  // fits, but the builder already failed
    CHECK_FALSE(b.ok());
    std::uint8_t small[4];
    PropertyBuilder s(small, sizeof small);
    s.add_string(PropertyId::ContentType, Bytes::of("abc"));
    CHECK_FALSE(s.ok());
    CHECK_EQUAL(0u, s.size());
    Property invalid;
    std::uint8_t any[8];
    PropertyBuilder i(any, sizeof any);
    i.add(invalid);
    CHECK_FALSE(i.ok());
}

TEST(Properties, ManyUserPropertiesAreReadInOnePass) {
    // HOSTILE row 33 (CVE-2021-41039): 65 000 one-byte User Properties in a CONNECT
    // decode without recursion or per-property rescans; capping the count is the
    // broker's policy. (No timing assertion: that belongs to the load suite.)
    std::string props;
    for (int i = 0; i < 65000; ++i) props += "26 00 01 'k' 00 01 'v' ";
    const Decoded d = dec_full(0x10, "00 04 'MQTT' 05 02 00 0A " + plen(props) + " 00 01 'p'", Version::V5);
    CHECK_TRUE(d.e.ok());
    std::size_t n = 0;
    for (const Property& p : d.p.connect.props) n += p.id == PropertyId::UserProperty;
    CHECK_EQUAL(65000u, n);
}
