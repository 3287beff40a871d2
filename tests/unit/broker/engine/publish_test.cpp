// Incoming PUBLISH, routing and retained messages, 3.1.1 and 5.0 (HOSTILE_INPUTS
// section 3).
#include "broker/engine/engine_support.hpp"

#include <CppUTest/TestHarness.h>

using namespace mote::broker;
using namespace mote::broker::test;
using mote::mqtt::PacketType;
using mote::mqtt::PropertyId;
using mote::mqtt::Version;

TEST_GROUP(EnginePublish) {
    std::unique_ptr<Harness> h;
    void setup() override { h = std::make_unique<Harness>(); }
    void teardown() override { h.reset(); }
};

TEST(EnginePublish, Qos0RoutedWithExactBytesV311) {
    h->connect(1, 4, "sub");
    h->connect(2, 4, "pub");
    h->feed(1, subscribe_pkt(4, 0x1234, {{"a/b", 0}}));
    STRCMP_EQUAL("90 03 12 34 00", to_hex(h->sent(1)[0]).c_str());
    h->io.clear();
    h->feed(2, publish_pkt(4, 0, "a/b", "hi"));
    auto s = h->sent(1);
    LONGS_EQUAL(1, s.size());
    STRCMP_EQUAL("30 07 00 03 61 2F 62 68 69", to_hex(s[0]).c_str());
    CHECK(h->sent(2).empty());
    LONGS_EQUAL(1, h->engine->stats().messages_received);
    LONGS_EQUAL(1, h->engine->stats().messages_sent);
}

TEST(EnginePublish, Qos1AckedAndDowngraded) {
    // [MQTT-3.8.4-8]: delivered at min(published QoS, granted QoS).
    h->connect(1, 4, "sub");
    h->connect(2, 4, "pub");
    h->subscribe(1, 4, "t", 0);
    h->feed(2, publish_pkt(4, 1, "t", "x", 7));
    STRCMP_EQUAL("40 02 00 07", to_hex(h->sent(2)[0]).c_str());
    STRCMP_EQUAL("30 04 00 01 74 78", to_hex(h->sent(1)[0]).c_str());
}

TEST(EnginePublish, Qos2ExactlyOnceOnward) {
    // [MQTT-4.3.3-10], HOSTILE row 48: PUBREC every time, one onward delivery.
    h->connect(1, 5, "sub");
    h->connect(2, 5, "pub");
    h->subscribe(1, 5, "t", 2);
    for (int i = 0; i < 5; ++i) h->feed(2, publish_pkt(5, 2, "t", "x", 9, false, {}, i > 0));
    h->feed(2, publish_pkt(5, 2, "other", "y", 9));  // same id, different topic
    auto acks = h->sent(2);
    LONGS_EQUAL(6, acks.size());
    for (const Buf& a : acks) STRCMP_EQUAL("50 02 00 09", to_hex(a).c_str());
    // Mosquitto compatibility: held until the PUBREL (the last resend replaced it).
    LONGS_EQUAL(0, h->publishes(1, Version::V5).size());
    h->feed(2, ack_pkt(PacketType::Pubrel, 9));
    STRCMP_EQUAL("70 02 00 09", to_hex(h->sent(2).back()).c_str());
    LONGS_EQUAL(0, h->publishes(1, Version::V5).size());  // "other" replaced it: no match
    // After PUBREL the id is free again: a new message with it is delivered once.
    h->feed(2, publish_pkt(5, 2, "t", "z", 9));
    h->feed(2, publish_pkt(5, 2, "t", "z", 9, false, {}, true));
    h->feed(2, ack_pkt(PacketType::Pubrel, 9));
    h->feed(2, ack_pkt(PacketType::Pubrel, 9));  // unknown now: PUBCOMP, nothing sent on
    LONGS_EQUAL(1, h->publishes(1, Version::V5).size());
}

TEST(EnginePublish, UnknownPubrelGetsPlainPubcomp) {
    // HOSTILE row 51 [MQTT-4.3.3-11]: 5.0 allows 0x92, mosquitto sends 0x00
    // (Mosquitto compatibility).
    h->connect(1, 5, "a");
    h->feed(1, ack_pkt(PacketType::Pubrel, 3));
    STRCMP_EQUAL("70 02 00 03", to_hex(h->sent(1)[0]).c_str());
    h->connect(2, 4, "b");
    h->feed(2, ack_pkt(PacketType::Pubrel, 3));
    STRCMP_EQUAL("70 02 00 03", to_hex(h->sent(2)[0]).c_str());
}

TEST(EnginePublish, UnknownPubackAndPubcompIgnored) {
    h->connect(1, 5, "a");
    h->feed(1, ack_pkt(PacketType::Puback, 3));
    h->feed(1, ack_pkt(PacketType::Pubcomp, 4));
    CHECK(h->sent(1).empty());
    CHECK_FALSE(h->io.closed(1));
}

TEST(EnginePublish, ReceiveMaximumExceeded) {
    // HOSTILE row 47: more than Receive Maximum unacknowledged QoS 2 -> 0x93.
    BrokerConfig cfg = Harness::default_config();
    cfg.max_inflight_messages = 3;
    h = std::make_unique<Harness>(cfg);
    h->connect(1, 5, "a");
    for (std::uint16_t i = 1; i <= 3; ++i) h->feed(1, publish_pkt(5, 2, "t", "x", i));
    CHECK_FALSE(h->io.closed(1));
    h->feed(1, publish_pkt(5, 2, "t", "x", 4));
    STRCMP_EQUAL("E0 01 93", to_hex(without_reason_string(h->sent(1).back())).c_str());
    CHECK(h->io.closed(1));
}

TEST(EnginePublish, TopicAliasInbound) {
    h->connect(1, 5, "sub");
    h->connect(2, 5, "pub");
    h->subscribe(1, 5, "long/topic", 0);
    h->feed(2, publish_pkt(5, 0, "long/topic", "1", 0, false, W().u8(0x23).u16(3).b));
    h->feed(2, publish_pkt(5, 0, "", "2", 0, false, W().u8(0x23).u16(3).b));
    auto p = h->publishes(1, Version::V5);
    LONGS_EQUAL(2, p.size());
    STRCMP_EQUAL("long/topic", topic_of(*p[1]).c_str());
    STRCMP_EQUAL("2", payload_of(*p[1]).c_str());
    CHECK_FALSE(p[1]->p.publish.props.has(PropertyId::TopicAlias));  // per hop
}

TEST(EnginePublish, TopicAliasZeroOrAboveMaximum) {
    // HOSTILE row 42 [MQTT-3.3.2-8] [MQTT-3.2.2-17]
    h->connect(1, 5, "a");
    h->feed(1, publish_pkt(5, 0, "t", "x", 0, false, W().u8(0x23).u16(11).b));
    STRCMP_EQUAL("E0 01 94", to_hex(without_reason_string(h->sent(1).back())).c_str());
    CHECK(h->io.closed(1));
}

TEST(EnginePublish, UnmappedTopicAliasIsProtocolError) {
    // HOSTILE row 43
    h->connect(1, 5, "a");
    h->feed(1, publish_pkt(5, 0, "", "x", 0, false, W().u8(0x23).u16(2).b));
    STRCMP_EQUAL("E0 01 82", to_hex(without_reason_string(h->sent(1).back())).c_str());
    CHECK(h->io.closed(1));
}

TEST(EnginePublish, EmptyTopicWithoutAlias) {
    // HOSTILE row 40: v5 0x82 (or 0x81), 3.1.1 close; never forwarded.
    h->connect(1, 4, "spy");
    h->subscribe(1, 4, "#", 0);
    h->connect(2, 5, "a");
    h->feed(2, publish_pkt(5, 0, "", "x"));
    auto s = h->sent(2);
    LONGS_EQUAL(1, s.size());
    const Buf reply = without_reason_string(s[0]);
    CHECK(reply == hex("E0 01 82") || reply == hex("E0 01 81"));
    h->connect(3, 4, "b");
    h->feed(3, publish_pkt(4, 0, "", "x"));
    CHECK(h->io.closed(3));
    CHECK(h->sent(1).empty());
}

TEST(EnginePublish, WildcardTopicNeverForwarded) {
    // HOSTILE row 39 [MQTT-3.3.2-2]
    h->connect(1, 4, "spy");
    h->subscribe(1, 4, "#", 0);
    h->connect(2, 5, "a");
    h->feed(2, publish_pkt(5, 0, "+opic", "payload"));
    CHECK(h->io.closed(2));
    CHECK(h->sent(1).empty());
}

TEST(EnginePublish, SubscriptionIdentifierFromClient) {
    // HOSTILE row 44 [MQTT-3.3.4-6]
    h->connect(1, 5, "a");
    h->feed(1, publish_pkt(5, 0, "t", "x", 0, false, W().u8(0x0B).varint(1).b));
    auto s = h->sent(1);
    CHECK(!s.empty() && s.back()[0] == 0xE0 && s.back()[2] == 0x82);
    CHECK(h->io.closed(1));
}

TEST(EnginePublish, RetainUnavailable) {
    // HOSTILE row 46 [MQTT-3.2.2-14]
    BrokerConfig cfg = Harness::default_config();
    cfg.retain_available = false;
    h = std::make_unique<Harness>(cfg);
    h->open(1);
    h->feed(1, connect_pkt(co(5, "a")));
    auto d = decode_sent(h->sent(1)[0], Version::V5);
    LONGS_EQUAL(0, d->p.connack.props.number(PropertyId::RetainAvailable, 1));
    h->feed(1, publish_pkt(5, 0, "t", "x", 0, true));
    STRCMP_EQUAL("E0 01 9A", to_hex(without_reason_string(h->sent(1).back())).c_str());
    LONGS_EQUAL(0, h->engine->stats().retained_messages);
}

TEST(EnginePublish, MessageSizeLimit) {
    // Policy: too large -> PUBACK/PUBREC 0x97 in 5.0, acknowledged and dropped in 3.1.1.
    BrokerConfig cfg = Harness::default_config();
    cfg.message_size_limit = 4;
    h = std::make_unique<Harness>(cfg);
    h->connect(1, 4, "spy");
    h->subscribe(1, 4, "#", 2);
    h->connect(2, 5, "a");
    h->feed(2, publish_pkt(5, 1, "t", "12345", 5));
    STRCMP_EQUAL("40 03 00 05 97", to_hex(h->sent(2)[0]).c_str());
    h->feed(2, publish_pkt(5, 2, "t", "12345", 6));
    STRCMP_EQUAL("50 03 00 06 97", to_hex(h->sent(2)[1]).c_str());
    h->connect(3, 4, "b");
    h->feed(3, publish_pkt(4, 1, "t", "12345", 5));
    STRCMP_EQUAL("40 02 00 05", to_hex(h->sent(3)[0]).c_str());
    CHECK(h->sent(1).empty());
    h->feed(2, publish_pkt(5, 1, "t", "1234", 7));
    LONGS_EQUAL(1, h->publishes(1, Version::V3_1_1).size());
}

TEST(EnginePublish, SysTopicsFromClientsNotForwarded) {
    // HOSTILE row 50
    h->connect(1, 4, "spy");
    h->subscribe(1, 4, "$SYS/#", 0);
    h->connect(2, 4, "a");
    h->feed(2, publish_pkt(4, 1, "$SYS/broker/fake", "x", 1, true));
    STRCMP_EQUAL("40 02 00 01", to_hex(h->sent(2)[0]).c_str());
    CHECK(h->sent(1).empty());
    LONGS_EQUAL(0, h->engine->stats().retained_messages);
}

TEST(EnginePublish, DollarTopicsNotMatchedByLeadingWildcards) {
    // [MQTT-4.7.2-1]
    h->connect(1, 4, "spy");
    h->feed(1, subscribe_pkt(4, 1, {{"#", 0}, {"+/x", 0}}));
    h->connect(2, 4, "dollar");
    h->subscribe(2, 4, "$foo/x", 0);
    h->io.clear();
    h->connect(3, 4, "a");
    h->feed(3, publish_pkt(4, 0, "$foo/x", "1"));
    CHECK(h->sent(1).empty());
    LONGS_EQUAL(1, h->sent(2).size());
}

TEST(EnginePublish, RetainedStoreReplaceClearAndDeliver) {
    // [MQTT-3.3.1-5] [MQTT-3.3.1-8] [MQTT-3.3.1-10] [MQTT-3.3.1-11]
    h->connect(1, 4, "a");
    h->feed(1, publish_pkt(4, 1, "r/1", "old", 1, true));
    h->feed(1, publish_pkt(4, 1, "r/1", "new", 2, true));
    h->feed(1, publish_pkt(4, 0, "r/2", "two", 0, true));
    LONGS_EQUAL(2, h->engine->stats().retained_messages);
    h->connect(2, 4, "b");
    h->feed(2, subscribe_pkt(4, 1, {{"r/+", 1}}));
    auto s = h->sent(2);
    LONGS_EQUAL(3, s.size());
    STRCMP_EQUAL("90 03 00 01 01", to_hex(s[0]).c_str());
    auto p1 = decode_sent(s[1], Version::V3_1_1);
    STRCMP_EQUAL("r/1", topic_of(*p1).c_str());
    STRCMP_EQUAL("new", payload_of(*p1).c_str());
    CHECK(p1->p.publish.retain);
    LONGS_EQUAL(1, p1->p.publish.qos);
    auto p2 = decode_sent(s[2], Version::V3_1_1);
    CHECK(p2->p.publish.retain);
    LONGS_EQUAL(0, p2->p.publish.qos);
    // An empty retained payload clears, and is still forwarded to live subscribers
    // with retain cleared [MQTT-3.3.1-12].
    h->io.clear();
    h->feed(1, publish_pkt(4, 0, "r/1", "", 0, true));
    LONGS_EQUAL(1, h->engine->stats().retained_messages);
    auto live = decode_sent(h->sent(2)[0], Version::V3_1_1);
    CHECK_FALSE(live->p.publish.retain);
}

TEST(EnginePublish, RetainedMessageExpiry) {
    h->connect(1, 5, "a");
    h->feed(1, publish_pkt(5, 0, "r", "x", 0, true, W().u8(0x02).u32(10).b));
    h->advance(4000);
    h->connect(2, 5, "b");
    h->feed(2, subscribe_pkt(5, 1, {{"r", 0}}));
    auto p = h->publishes(2, Version::V5);
    LONGS_EQUAL(1, p.size());
    // The interval is decremented by the time spent in the broker [MQTT-3.3.2-6].
    LONGS_EQUAL(6, p[0]->p.publish.props.number(PropertyId::MessageExpiryInterval, 0));
    h->advance(6000);
    h->connect(3, 5, "c");
    h->feed(3, subscribe_pkt(5, 1, {{"r", 0}}));
    LONGS_EQUAL(0, h->publishes(3, Version::V5).size());
    LONGS_EQUAL(0, h->engine->stats().retained_messages);  // forgotten once expired
}

TEST(EnginePublish, PropertiesForwardedInOrder) {
    // [MQTT-3.3.2-17] [MQTT-3.3.2-18] user properties in order, and payload format,
    // content type, response topic and correlation data passed through.
    h->connect(1, 5, "sub");
    h->subscribe(1, 5, "t", 0);
    h->connect(2, 5, "pub");
    Buf props = W().u8(0x26).str("k").str("1").u8(0x01).u8(1).u8(0x03).str("text/plain")
                    .u8(0x08).str("reply/x").u8(0x09).str("cid").u8(0x26).str("k").str("2").b;
    h->feed(2, publish_pkt(5, 0, "t", "x", 0, false, props));
    auto p = h->publishes(1, Version::V5);
    LONGS_EQUAL(1, p.size());
    std::string users;
    for (const auto& pr : p[0]->p.publish.props) {
        if (pr.id == PropertyId::UserProperty) users += std::string(pr.value.chars(), pr.value.size);
    }
    STRCMP_EQUAL("12", users.c_str());
    LONGS_EQUAL(1, p[0]->p.publish.props.number(PropertyId::PayloadFormatIndicator, 0));
    CHECK(p[0]->p.publish.props.bytes(PropertyId::ContentType) == mote::mqtt::Bytes::of("text/plain"));
    CHECK(p[0]->p.publish.props.bytes(PropertyId::ResponseTopic) == mote::mqtt::Bytes::of("reply/x"));
    CHECK(p[0]->p.publish.props.bytes(PropertyId::CorrelationData) == mote::mqtt::Bytes::of("cid"));
}

TEST(EnginePublish, V5PublishToV311SubscriberHasNoProperties) {
    h->connect(1, 4, "old");
    h->subscribe(1, 4, "t", 0);
    h->connect(2, 5, "new");
    h->feed(2, publish_pkt(5, 0, "t", "x", 0, false, W().u8(0x26).str("k").str("v").b));
    STRCMP_EQUAL("30 04 00 01 74 78", to_hex(h->sent(1)[0]).c_str());
}

TEST(EnginePublish, MaximumPacketSizeOfSubscriber) {
    // [MQTT-3.1.2-25]: too large for the subscriber -> dropped for it only.
    ConnectOpts small = co(5, "small");
    small.props = W().u8(0x27).u32(20).b;
    h->connect(1, small);
    h->subscribe(1, 5, "t", 1);
    h->connect(2, 5, "big");
    h->subscribe(2, 5, "t", 1);
    h->connect(3, 5, "pub");
    h->feed(3, publish_pkt(5, 1, "t", std::string(40, 'x'), 1));
    LONGS_EQUAL(0, h->publishes(1, Version::V5).size());
    LONGS_EQUAL(1, h->publishes(2, Version::V5).size());
    h->feed(3, publish_pkt(5, 1, "t", "tiny", 2));
    LONGS_EQUAL(1, h->publishes(1, Version::V5).size());
}

TEST(EnginePublish, ExpiredMessageNotQueuedForDelivery) {
    // 5.0 §3.3.2.3.3: an expired message is not sent to an offline subscriber.
    ConnectOpts o = co(5, "off", false);
    o.props = W().u8(0x11).u32(600).b;
    h->connect(1, o);
    h->subscribe(1, 5, "t", 1);
    h->close(1);
    h->connect(2, 5, "pub");
    h->feed(2, publish_pkt(5, 1, "t", "short", 1, false, W().u8(0x02).u32(5).b));
    h->feed(2, publish_pkt(5, 1, "t", "long", 2, false, W().u8(0x02).u32(50).b));
    h->advance(10000);
    h->open(3);
    h->feed(3, connect_pkt(o));
    auto p = h->publishes(3, Version::V5);
    LONGS_EQUAL(1, p.size());
    STRCMP_EQUAL("long", payload_of(*p[0]).c_str());
    LONGS_EQUAL(40, p[0]->p.publish.props.number(PropertyId::MessageExpiryInterval, 0));
}

TEST(EnginePublish, Qos1WithoutSubscribersGetsPuback10InV5) {
    // §3.4.2.1 0x10 No matching subscribers (a MAY; Mosquitto compatibility).
    h->connect(1, 5, "a");
    h->feed(1, publish_pkt(5, 1, "nobody", "x", 4));
    STRCMP_EQUAL("40 03 00 04 10", to_hex(h->sent(1)[0]).c_str());
    h->connect(2, 4, "b");
    h->feed(2, publish_pkt(4, 1, "nobody", "x", 4));
    STRCMP_EQUAL("40 02 00 04", to_hex(h->sent(2)[0]).c_str());  // 3.1.1 has no codes
    h->subscribe(1, 5, "somebody", 0);
    h->feed(1, publish_pkt(5, 1, "somebody", "x", 5));
    STRCMP_EQUAL("40 02 00 05", to_hex(h->sent(1).back()).c_str());
}

TEST(EnginePublish, Qos2PubrecBeforeOnwardPublish) {
    // Issue 9 item 5, Mosquitto compatibility: a client subscribed to its own topic
    // reads PUBREC, then (after its PUBREL) the onward PUBLISH, then PUBCOMP.
    h->connect(1, 4, "self");
    h->subscribe(1, 4, "q/t", 2);
    h->feed(1, publish_pkt(4, 2, "q/t", "m", 7));
    auto s = h->sent(1);
    LONGS_EQUAL(1, s.size());
    STRCMP_EQUAL("50 02 00 07", to_hex(s[0]).c_str());
    h->io.clear();
    h->feed(1, ack_pkt(PacketType::Pubrel, 7));
    s = h->sent(1);
    LONGS_EQUAL(2, s.size());
    STRCMP_EQUAL("34 08 00 03 71 2F 74 00 01 6D", to_hex(s[0]).c_str());
    STRCMP_EQUAL("70 02 00 07", to_hex(s[1]).c_str());
}

TEST(EnginePublish, Qos2HeldMessagesAreBoundedInV311) {
    // A 3.1.1 client has no Receive Maximum: beyond max_inflight_messages (here 2)
    // unreleased QoS 2 messages are passed on at once instead of being held, so the
    // memory a client can pin is bounded; each is still delivered exactly once.
    BrokerConfig cfg = Harness::default_config();
    cfg.max_inflight_messages = 2;
    h = std::make_unique<Harness>(cfg);
    h->connect(1, 4, "sub");
    h->subscribe(1, 4, "t", 0);
    h->connect(2, 4, "pub");
    for (std::uint16_t id = 1; id <= 4; ++id) h->feed(2, publish_pkt(4, 2, "t", "x", id));
    LONGS_EQUAL(2, h->publishes(1, Version::V3_1_1).size());  // ids 3 and 4, at once
    for (std::uint16_t id = 1; id <= 4; ++id) h->feed(2, ack_pkt(PacketType::Pubrel, id));
    LONGS_EQUAL(4, h->publishes(1, Version::V3_1_1).size());  // ids 1 and 2 at their PUBREL
    auto acks = h->sent(2);
    LONGS_EQUAL(8, acks.size());  // 4 PUBREC, 4 PUBCOMP
}

TEST(EnginePublish, SysTopicFromClientIsNotAuthorizedInV5) {
    // Clients cannot publish into $SYS: Mosquitto compatibility, 5.0 QoS 1/2 get
    // 0x87 Not authorized (the QoS 2 flow ends there); 3.1.1 is acknowledged.
    h->connect(1, 5, "a");
    h->feed(1, publish_pkt(5, 1, "$SYS/x", "x", 4));
    h->feed(1, publish_pkt(5, 2, "$SYS/x", "x", 5));
    auto s = h->sent(1);
    LONGS_EQUAL(2, s.size());
    STRCMP_EQUAL("40 03 00 04 87", to_hex(s[0]).c_str());
    STRCMP_EQUAL("50 03 00 05 87", to_hex(s[1]).c_str());
    h->connect(2, 4, "b");
    h->feed(2, publish_pkt(4, 1, "$SYS/x", "x", 4));
    STRCMP_EQUAL("40 02 00 04", to_hex(h->sent(2)[0]).c_str());
}
