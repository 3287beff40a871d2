// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (§3.8-§3.11): both versions, options,
// filter lists, reason codes; HOSTILE_INPUTS.md rows 8, 9, 52-56, 59, C3 and C4.
#include "common/codec/codec_support.hpp"

#include <CppUTest/TestHarness.h>

#include "mote/common/codec.hpp"
#include "mote/common/properties.hpp"

using namespace mote::mqtt;
using namespace mote::mqtt::test;

TEST_GROUP(CodecSubscribe) {};

TEST(CodecSubscribe, OptionsByteLayout) {
    // §3.8.3.1: QoS bits 0-1, No Local bit 2, Retain As Published bit 3, Retain Handling 4-5.
    SubscribeOptions o;
    o.qos = 2;
    o.no_local = true;
    o.retain_as_published = true;
    o.retain_handling = 2;
    CHECK_EQUAL(0x2E, o.to_byte());
    const SubscribeOptions back = SubscribeOptions::from_byte(0x2E);
    CHECK_EQUAL(2, back.qos);
    CHECK_TRUE(back.no_local && back.retain_as_published);
    CHECK_EQUAL(2, back.retain_handling);
    CHECK_EQUAL(0x01, SubscribeOptions::from_byte(0x01).to_byte());
}

TEST(CodecSubscribe, V311MatchesHandAssembledBytes) {
    SubscribeEntry entries[2];
    entries[0].filter = Bytes::of("a/b");
    entries[0].options.qos = 1;
    entries[1].filter = Bytes::of("c/#");
    entries[1].options.qos = 2;
    entries[1].options.no_local = true;  // not in 3.1.1: not written
    Subscribe s;
    s.packet_id = 10;
    s.entries = SubscribeList::from_array(entries, 2);
    const ByteVec wire = encode_vec(make_packet(s), Version::V3_1_1);
    STRCMP_EQUAL("82 0E 00 0A 00 03 61 2F 62 01 00 03 63 2F 23 02", to_hex(wire).c_str());
    Packet p;
    CHECK_TRUE(decode_wire(wire, opts(Version::V3_1_1, Role::Client), p).ok());
    CHECK_EQUAL(2u, p.subscribe.entries.size());
    CHECK_TRUE(p.subscribe.entries.from_wire());
    auto it = p.subscribe.entries.begin();
    CHECK_TRUE((*it).filter == Bytes::of("a/b"));
    CHECK_EQUAL(1, (*it).options.qos);
    ++it;
    CHECK_TRUE((*it).filter == Bytes::of("c/#"));
    CHECK_EQUAL(2, (*it).options.qos);
    CHECK_FALSE((*it).options.no_local);
    ++it;
    CHECK_FALSE(it != p.subscribe.entries.end());
}

TEST(CodecSubscribe, V5RoundTripWithOptionsAndSubscriptionIdentifier) {
    std::uint8_t buf[8];
    PropertyBuilder b(buf, sizeof buf);
    b.add_varint(PropertyId::SubscriptionIdentifier, 300);
    SubscribeEntry entries[3];
    entries[0].filter = Bytes::of("x/+/y");
    entries[0].options = SubscribeOptions::from_byte(0x2D);
    entries[1].filter = Bytes::of("$share/g/t");
    entries[1].options = SubscribeOptions::from_byte(0x19);
    entries[2].filter = Bytes::of("#");
    Subscribe s;
    s.packet_id = 0xBEEF;
    s.props = b.view();
    s.entries = SubscribeList::from_array(entries, 3);
    const ByteVec wire = roundtrip(make_packet(s), Version::V5, Role::Client);
    // Property block: 0B AC 02 (300 as a VBI).
    STRCMP_EQUAL("82 1F BE EF 03 0B AC 02", to_hex(wire.data(), 8).c_str());
}

TEST(CodecSubscribe, NoFiltersIsRejected) {
    // [MQTT-3.8.3-2] (5.0, Protocol Error) and 3.1.1 [MQTT-3.8.3-3]; HOSTILE row 52.
    CHECK_REASON(Reason::ProtocolError, decode_hex("82 03 12 34 00", Version::V5));
    CHECK_REASON(Reason::MalformedPacket, decode_hex("82 02 12 34", Version::V3_1_1));
    // [MQTT-3.10.3-2]
    CHECK_REASON(Reason::ProtocolError, decode_hex("A2 03 12 34 00", Version::V5));
    CHECK_REASON(Reason::MalformedPacket, decode_hex("A2 02 12 34", Version::V3_1_1));
}

TEST(CodecSubscribe, BadOptionsAreMalformed) {
    // [MQTT-3.8.3-5] and 3.1.1 [MQTT-3.8.3-4], HOSTILE row 53.
    for (const char* o : {"03", "40", "80", "30"}) {
        CHECK_REASON(Reason::MalformedPacket, dec(0x82, std::string("00 01 00 00 01 't' ") + o, Version::V5));
    }
    for (const char* o : {"03", "04", "08", "10", "80"}) {
        CHECK_REASON(Reason::MalformedPacket, dec(0x82, std::string("00 01 00 01 't' ") + o, Version::V3_1_1));
    }
    CHECK_REASON(Reason::MalformedPacket, dec(0x82, "00 01 00 00 01 't'", Version::V5));  // options missing
}

TEST(CodecSubscribe, EmptyOrIllFormedFiltersAreMalformed) {
    // [MQTT-4.7.3-1], HOSTILE row 54; [MQTT-1.5.4-1].
    CHECK_REASON(Reason::MalformedPacket, dec(0x82, "00 01 00 00 01 't' 00 00 00 00", Version::V5));
    CHECK_REASON(Reason::MalformedPacket, dec(0x82, "00 01 00 00 01", Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0x82, "00 01 00 02 C0 80 00", Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0xA2, "00 01 00 00", Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0xA2, "00 01 00 00 01 00", Version::V5));
    CHECK_REASON(Reason::MalformedPacket, dec(0xA2, "00 01 00 00 05 'ab'", Version::V5));
}

TEST(CodecSubscribe, WildcardSyntaxIsLeftToTheBroker) {
    // HOSTILE row 55: `a/#/b`, `sport+` are well formed packets; the broker answers
    // those entries with SUBACK 0x8F (0x80 in 3.1.1) [MQTT-4.7.1-1] [MQTT-4.7.1-2].
    Decoded d = dec_full(0x82, "00 01 00 05 'a/#/b' 00 00 06 'sport+' 01", Version::V3_1_1);
    CHECK_TRUE(d.e.ok());
    CHECK_EQUAL(2u, d.p.subscribe.entries.size());
}

TEST(CodecSubscribe, NoLocalOnASharedSubscriptionIsAProtocolError) {
    // [MQTT-3.8.3-4], HOSTILE row 56: `$share/p/p` with options 04.
    CHECK_REASON(Reason::ProtocolError, dec(0x82, "00 01 00 00 0A '$share/p/p' 04", Version::V5));
    CHECK_TRUE(dec(0x82, "00 01 00 00 0A '$share/p/p' 00", Version::V5).ok());
    CHECK_TRUE(dec(0x82, "00 01 00 00 08 '$shared/' 04", Version::V5).ok());
}

TEST(CodecSubscribe, PacketId0AndBadSubscriptionIdentifiers) {
    // [MQTT-2.2.1-3] and §3.8.2.1.2, HOSTILE row 59.
    CHECK_REASON(Reason::ProtocolError, dec(0x82, "00 00 00 00 01 't' 00", Version::V5));
    CHECK_REASON(Reason::ProtocolError, dec(0xA2, "00 00 00 01 't'", Version::V3_1_1));
    CHECK_REASON(Reason::ProtocolError, dec(0x82, "00 01 02 0B 00 00 01 't' 00", Version::V5));
    CHECK_REASON(Reason::MalformedPacket, dec(0x82, "00 01 06 0B 80 80 80 80 01 00 01 't' 00", Version::V5));
    CHECK_REASON(Reason::ProtocolError, dec(0x82, "00 01 04 0B 01 0B 02 00 01 't' 00", Version::V5));
}

TEST(CodecSubscribe, WrongFlagsAndDirection) {
    // [MQTT-3.8.1-1] [MQTT-3.10.1-1], HOSTILE rows 8 (`83`, `8A`, `A0`) and 9.
    CHECK_REASON(Reason::MalformedPacket, dec(0x83, "00 01 00 01 't' 00", Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0x8A, "00 01 00 01 't' 00", Version::V3_1_1));
    CHECK_REASON(Reason::MalformedPacket, dec(0xA0, "00 01 00 01 't'", Version::V3_1_1));
    CHECK_REASON(Reason::ProtocolError, dec(0x82, "00 01 00 01 't' 00", Version::V3_1_1, Role::Server));
    CHECK_REASON(Reason::ProtocolError, dec(0xA2, "00 01 00 01 't'", Version::V3_1_1, Role::Server));
    CHECK_REASON(Reason::ProtocolError, dec(0x90, "00 01 00", Version::V3_1_1, Role::Client));
    CHECK_REASON(Reason::ProtocolError, dec(0xB0, "00 01", Version::V3_1_1, Role::Client));
}

TEST(CodecSubscribe, UnsubscribeRoundTrips) {
    Bytes filters[2] = {Bytes::of("a/b"), Bytes::of("$share/g/#")};
    Unsubscribe u;
    u.packet_id = 3;
    u.filters = UnsubscribeList::from_array(filters, 2);
    STRCMP_EQUAL("A2 13 00 03 00 03 61 2F 62 00 0A 24 73 68 61 72 65 2F 67 2F 23",
                 to_hex(roundtrip(make_packet(u), Version::V3_1_1, Role::Client)).c_str());
    const std::uint8_t props[] = {0x26, 0x00, 0x01, 'k', 0x00, 0x00};
    u.props = Properties(Bytes(props, sizeof props));
    roundtrip(make_packet(u), Version::V5, Role::Client);
    // Only User Property is allowed in UNSUBSCRIBE (Table 2-4).
    CHECK_REASON(Reason::ProtocolError, dec(0xA2, "00 01 02 0B 01 00 01 't'", Version::V5));
}

// SUBSCRIBE and UNSUBSCRIBE share one encoder body: several entries, both versions,
// from the caller's array and from a decoded (wire) list, which re-encodes in the
// other version too.
TEST(CodecSubscribe, ListEncodersWriteEveryEntryInBothVersions) {
    SubscribeEntry entries[3];
    entries[0].filter = Bytes::of("a/b");
    entries[0].options = SubscribeOptions::from_byte(0x2D);  // QoS 1, No Local, RAP, RH 2
    entries[1].filter = Bytes::of("s/+");
    entries[1].options = SubscribeOptions::from_byte(0x1A);  // QoS 2, RAP, RH 1
    entries[2].filter = Bytes::of("#");
    Subscribe s;
    s.packet_id = 0x1234;
    s.entries = SubscribeList::from_array(entries, 3);
    const char* sub311 = "82 12 12 34 00 03 61 2F 62 01 00 03 73 2F 2B 02 00 01 23 00";
    const char* sub5 = "82 13 12 34 00 00 03 61 2F 62 2D 00 03 73 2F 2B 1A 00 01 23 00";
    STRCMP_EQUAL(sub311, to_hex(encode_vec(make_packet(s), Version::V3_1_1)).c_str());
    STRCMP_EQUAL(sub311, to_hex(encode_vec(make_packet(s), Version::V3_1)).c_str());
    const ByteVec wire5 = encode_vec(make_packet(s), Version::V5);
    STRCMP_EQUAL(sub5, to_hex(wire5).c_str());
    Packet d;
    CHECK_TRUE(decode_wire(wire5, opts(Version::V5, Role::Client), d).ok());
    CHECK_TRUE(d.subscribe.entries.from_wire());
    STRCMP_EQUAL(sub5, to_hex(encode_vec(d, Version::V5)).c_str());
    STRCMP_EQUAL(sub311, to_hex(encode_vec(d, Version::V3_1_1)).c_str());

    Bytes filters[3] = {Bytes::of("a/b"), Bytes::of("s/+"), Bytes::of("#")};
    Unsubscribe u;
    u.packet_id = 7;
    u.filters = UnsubscribeList::from_array(filters, 3);
    const char* unsub311 = "A2 0F 00 07 00 03 61 2F 62 00 03 73 2F 2B 00 01 23";
    const char* unsub5 = "A2 10 00 07 00 00 03 61 2F 62 00 03 73 2F 2B 00 01 23";
    STRCMP_EQUAL(unsub311, to_hex(encode_vec(make_packet(u), Version::V3_1_1)).c_str());
    const ByteVec uwire5 = encode_vec(make_packet(u), Version::V5);
    STRCMP_EQUAL(unsub5, to_hex(uwire5).c_str());
    CHECK_TRUE(decode_wire(uwire5, opts(Version::V5, Role::Client), d).ok());
    CHECK_TRUE(d.unsubscribe.filters.from_wire());
    STRCMP_EQUAL(unsub5, to_hex(encode_vec(d, Version::V5)).c_str());
    STRCMP_EQUAL(unsub311, to_hex(encode_vec(d, Version::V3_1_1)).c_str());

    // Room for all but the last byte is not enough; the exact size is.
    std::uint8_t buf[32];
    CHECK_EQUAL(0u, encode_subscribe(s, Version::V5, buf, wire5.size() - 1));
    CHECK_EQUAL(wire5.size(), encode_subscribe(s, Version::V5, buf, wire5.size()));
    CHECK_EQUAL(0u, encode_unsubscribe(u, Version::V5, buf, uwire5.size() - 1));
    CHECK_EQUAL(uwire5.size(), encode_unsubscribe(u, Version::V5, buf, uwire5.size()));
}

TEST(CodecSubscribe, SubackRoundTripsAndCodes) {
    const std::uint8_t codes[] = {0x00, 0x01, 0x02, 0x80};
    SubackLike s;
    s.packet_id = 10;
    s.codes = Bytes(codes, sizeof codes);
    STRCMP_EQUAL("90 06 00 0A 00 01 02 80",
                 to_hex(roundtrip(make_suback(PacketType::Suback, s), Version::V3_1_1, Role::Server)).c_str());
    const std::uint8_t codes5[] = {0x8F, 0x9E, 0xA1, 0xA2, 0x97};
    s.codes = Bytes(codes5, sizeof codes5);
    STRCMP_EQUAL("90 08 00 0A 00 8F 9E A1 A2 97",
                 to_hex(roundtrip(make_suback(PacketType::Suback, s), Version::V5, Role::Server)).c_str());
    // §3.9.3 of 3.1.1: only 0, 1, 2 and 0x80 [MQTT-3.9.3-2].
    CHECK_REASON(Reason::ProtocolError, dec(0x90, "00 0A 8F", Version::V3_1_1, Role::Server));
    CHECK_REASON(Reason::ProtocolError, dec(0x90, "00 0A 00 03", Version::V5, Role::Server));
    CHECK_REASON(Reason::ProtocolError, dec(0x90, "00 0A 00 11", Version::V5, Role::Server));
}

TEST(CodecSubscribe, UnsubackRoundTripsAndCodes) {
    SubackLike s;
    s.packet_id = 4;
    STRCMP_EQUAL("B0 02 00 04", to_hex(roundtrip(make_suback(PacketType::Unsuback, s), Version::V3_1_1, Role::Server)).c_str());
    const std::uint8_t codes[] = {0x00, 0x11, 0x8F};
    s.codes = Bytes(codes, sizeof codes);
    STRCMP_EQUAL("B0 06 00 04 00 00 11 8F",
                 to_hex(roundtrip(make_suback(PacketType::Unsuback, s), Version::V5, Role::Server)).c_str());
    // 3.1.1 UNSUBACK has no payload (§3.11).
    CHECK_REASON(Reason::MalformedPacket, dec(0xB0, "00 04 00", Version::V3_1_1, Role::Server));
    CHECK_REASON(Reason::ProtocolError, dec(0xB0, "00 04 00 01", Version::V5, Role::Server));
}

TEST(CodecSubscribe, AcksWithoutCodesAreProtocolErrors) {
    // [MQTT-3.8.4-6], §3.11.3, HOSTILE row C3.
    CHECK_REASON(Reason::ProtocolError, dec(0x90, "00 0A", Version::V3_1_1, Role::Server));
    CHECK_REASON(Reason::ProtocolError, dec(0x90, "00 0A 00", Version::V5, Role::Server));
    CHECK_REASON(Reason::ProtocolError, dec(0xB0, "00 0A 00", Version::V5, Role::Server));
}

TEST(CodecSubscribe, AckPropertyLengthPastTheEndIsMalformed) {
    // HOSTILE row C4 (coreMQTT core_mqtt_oob_utest).
    CHECK_REASON(Reason::MalformedPacket, dec(0x90, "00 0A 09 00", Version::V5, Role::Server));
    CHECK_REASON(Reason::MalformedPacket, dec(0xB0, "00 0A 05 1F 00", Version::V5, Role::Server));
    CHECK_REASON(Reason::MalformedPacket, dec(0x90, "00", Version::V5, Role::Server));
    CHECK_TRUE(dec(0x90, "00 0A 04 1F 00 01 'r' 00", Version::V5, Role::Server).ok());
}

TEST(CodecSubscribe, TruncationAndCorruptionSweep) {
    // One entry: every prefix cuts a required field.
    sweep(frame(0x82, "BE EF 03 0B AC 02 00 0A '$share/g/t' 19"), opts(Version::V5, Role::Client));
    sweep(frame(0x82, "00 0A 00 03 'a/b' 01"), opts(Version::V3_1_1, Role::Client));
    sweep(frame(0xA2, "00 03 00 00 03 'a/b'"), opts(Version::V5, Role::Client));
    sweep(frame(0x90, "00 0A 04 1F 00 01 'r' 00"), opts(Version::V5, Role::Server));
    sweep(frame(0xB0, "00 0A 00 11"), opts(Version::V5, Role::Server));
    // Several entries: a prefix can end between two of them.
    const Prefixes shorter = Prefixes::MayBeShorterPacket;
    sweep(frame(0x82, "BE EF 03 0B AC 02 00 05 'x/+/y' 2D 00 0A '$share/g/t' 19"), opts(Version::V5, Role::Client), shorter);
    sweep(frame(0x82, "00 0A 00 03 'a/b' 01 00 03 'c/#' 02"), opts(Version::V3_1_1, Role::Client), shorter);
    sweep(frame(0xA2, "00 03 00 00 03 'a/b' 00 01 'c'"), opts(Version::V5, Role::Client), shorter);
    sweep(frame(0x90, "00 0A 04 1F 00 01 'r' 00 01 02"), opts(Version::V5, Role::Server), shorter);
    sweep(frame(0xB0, "00 0A 00 00 11"), opts(Version::V5, Role::Server), shorter);
}
