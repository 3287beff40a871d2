// SUBSCRIBE / UNSUBSCRIBE, matching, overlapping and shared subscriptions
// (HOSTILE_INPUTS section 4).
#include "broker/engine/engine_support.hpp"

#include <CppUTest/TestHarness.h>

using namespace mote::broker;
using namespace mote::broker::test;
using mote::mqtt::PacketType;
using mote::mqtt::PropertyId;
using mote::mqtt::Version;

TEST_GROUP(EngineSubscribe) {
    std::unique_ptr<Harness> h;
    void setup() override { h = std::make_unique<Harness>(); }
    void teardown() override { h.reset(); }
    std::size_t got(ConnectionId id, Version v) { return h->publishes(id, v).size(); }
};

TEST(EngineSubscribe, WildcardMatching) {
    // [MQTT-4.7.1-2]: '#' matches the parent level too; '+' one level.
    h->connect(1, 4, "s");
    h->feed(1, subscribe_pkt(4, 1, {{"sport/#", 0}}));
    h->connect(2, 4, "p");
    h->connect(3, 4, "q");
    h->feed(3, subscribe_pkt(4, 1, {{"sport/+/player1", 0}}));
    h->connect(4, 4, "r");
    h->feed(4, subscribe_pkt(4, 1, {{"+", 0}}));
    h->io.clear();
    h->feed(2, publish_pkt(4, 0, "sport", "1"));
    h->feed(2, publish_pkt(4, 0, "sport/tennis/player1", "2"));
    h->feed(2, publish_pkt(4, 0, "sport/tennis/player2", "3"));
    h->feed(2, publish_pkt(4, 0, "/finance", "4"));
    LONGS_EQUAL(3, got(1, Version::V3_1_1));
    LONGS_EQUAL(1, got(3, Version::V3_1_1));
    LONGS_EQUAL(1, got(4, Version::V3_1_1));  // "sport" only; "/finance" has two levels
}

TEST(EngineSubscribe, BadWildcardMakesTheWholeSubscribeMalformed) {
    // HOSTILE row 55 [MQTT-4.7.1-1] [MQTT-4.7.1-2]: Mosquitto compatibility, the
    // packet is Malformed (DISCONNECT 0x81 in 5.0, close in 3.1.1), and the valid
    // entries before the bad one are not stored either.
    h->connect(1, 5, "a");
    h->feed(1, subscribe_pkt(5, 2, {{"ok", 1}, {"a/#/b", 0}}));
    auto s = h->sent(1);
    LONGS_EQUAL(1, s.size());
    STRCMP_EQUAL("E0 01 81", to_hex(s[0]).c_str());
    CHECK(h->io.closed(1));
    h->connect(2, 4, "b");
    h->feed(2, subscribe_pkt(4, 3, {{"x", 2}, {"sport+", 0}}));
    LONGS_EQUAL(0, h->sent(2).size());
    CHECK(h->io.closed(2));
    LONGS_EQUAL(0, h->engine->stats().subscriptions);
}

TEST(EngineSubscribe, BadShareNameRefusedPerEntry) {
    // [MQTT-4.8.2-1] [MQTT-4.8.2-2] (HOSTILE row 57): 0x8F in 5.0, 0x80 in 3.1.1,
    // never stored; the other entries are.
    h->connect(1, 5, "a");
    h->feed(1, subscribe_pkt(5, 2, {{"$share//t", 0}, {"ok", 1}, {"$share/p", 0}}));
    STRCMP_EQUAL("90 06 00 02 00 8F 01 8F", to_hex(h->sent(1)[0]).c_str());
    h->connect(2, 4, "b");
    h->feed(2, subscribe_pkt(4, 3, {{"$share/ab", 0}, {"x", 2}}));
    STRCMP_EQUAL("90 04 00 03 80 02", to_hex(h->sent(2)[0]).c_str());
    LONGS_EQUAL(2, h->engine->stats().subscriptions);
}

namespace {

std::string levels(int n) {
    std::string t = "a";
    for (int i = 1; i < n; ++i) t += "/a";
    return t;
}

}  // namespace

TEST(EngineSubscribe, LevelCap) {
    // HOSTILE row 58 [MQTT-4.7.3-3]: max_topic_levels (201 by default, mosquitto's
    // 200 separators); a deeper filter is Malformed, as in mosquitto.
    h->connect(1, 5, "a");
    h->feed(1, subscribe_pkt(5, 1, {{levels(201), 0}}));
    STRCMP_EQUAL("90 04 00 01 00 00", to_hex(h->sent(1)[0]).c_str());
    h->feed(1, subscribe_pkt(5, 2, {{levels(202), 0}}));
    STRCMP_EQUAL("E0 01 81", to_hex(h->sent(1)[1]).c_str());
    CHECK(h->io.closed(1));
    LONGS_EQUAL(0, h->engine->stats().subscriptions);  // the session ended with the close
}

TEST(EngineSubscribe, LevelCapZeroLeavesOnlyTheSpecLimit) {
    BrokerConfig cfg = Harness::default_config();
    cfg.max_topic_levels = 0;
    h = std::make_unique<Harness>(cfg);
    h->connect(1, 5, "a");
    h->connect(2, 5, "p");
    const std::string deep = levels(30000);  // 59,999 bytes
    h->feed(1, subscribe_pkt(5, 1, {{deep, 0}}));
    STRCMP_EQUAL("90 04 00 01 00 00", to_hex(h->sent(1)[0]).c_str());
    h->feed(2, publish_pkt(5, 0, deep, "x"));
    LONGS_EQUAL(1, got(1, Version::V5));
}

TEST(EngineSubscribe, TopicNameLevelCap) {
    // Mosquitto compatibility: a PUBLISH whose Topic Name has more levels than
    // max_topic_levels is a Protocol Error (5.0) / closed (3.1.1).
    h->connect(1, 5, "a");
    h->feed(1, publish_pkt(5, 1, levels(201), "x", 1));
    STRCMP_EQUAL("40 03 00 01 10", to_hex(h->sent(1)[0]).c_str());  // accepted, nobody subscribed
    h->feed(1, publish_pkt(5, 0, levels(202), "x"));
    STRCMP_EQUAL("E0 01 82", to_hex(h->sent(1)[1]).c_str());
    CHECK(h->io.closed(1));
    h->connect(2, 4, "b");
    h->feed(2, publish_pkt(4, 0, levels(202), "x"));
    LONGS_EQUAL(0, h->sent(2).size());
    CHECK(h->io.closed(2));
}

TEST(EngineSubscribe, SharedWithNoLocalIsProtocolError) {
    // HOSTILE row 56 [MQTT-3.8.3-4], no side effect from the other entries.
    h->connect(1, 5, "a");
    h->feed(1, subscribe_pkt(5, 1, {{"ok", 0}, {"$share/p/p", 0x04}}));
    STRCMP_EQUAL("E0 01 82", to_hex(without_reason_string(h->sent(1)[0])).c_str());
    CHECK(h->io.closed(1));
    LONGS_EQUAL(0, h->engine->stats().subscriptions);
}

TEST(EngineSubscribe, OverlappingV5OneCopyPerSubscription) {
    // [MQTT-3.3.4-2] (further copies are a MAY) [MQTT-3.3.4-4]: Mosquitto
    // compatibility, a 5.0 session gets one copy per matching subscription, each
    // with its own QoS and Subscription Identifier, in mosquitto's order (depth
    // first; literal, then '+', then '#').
    h->connect(1, 5, "s");
    h->feed(1, subscribe_pkt(5, 1, {{"a/#", 2}}, W().u8(0x0B).varint(9).b));
    h->feed(1, subscribe_pkt(5, 2, {{"a/+", 0}}, W().u8(0x0B).varint(7).b));
    h->feed(1, subscribe_pkt(5, 3, {{"a/b", 1}}, W().u8(0x0B).varint(5).b));
    h->io.clear();
    h->connect(2, 5, "p");
    h->feed(2, publish_pkt(5, 2, "a/b", "x", 1));
    h->feed(2, ack_pkt(PacketType::Pubrel, 1));  // QoS 2 is passed on at the PUBREL
    auto p = h->publishes(1, Version::V5);
    LONGS_EQUAL(3, p.size());
    const std::uint32_t want_id[] = {5, 7, 9};
    const std::uint8_t want_qos[] = {1, 0, 2};
    for (std::size_t i = 0; i < 3; ++i) {
        LONGS_EQUAL(want_qos[i], p[i]->p.publish.qos);
        int ids = 0;
        for (const auto& pr : p[i]->p.publish.props) {
            if (pr.id == PropertyId::SubscriptionIdentifier) {
                ++ids;
                LONGS_EQUAL(want_id[i], pr.number);
            }
        }
        LONGS_EQUAL(1, ids);
    }
}

TEST(EngineSubscribe, HashMatchesParentLevelAfterTheNode) {
    // [MQTT-4.7.1-2]: "a/#" matches "a"; the node's own subscribers come first.
    h->connect(1, 5, "s");
    h->feed(1, subscribe_pkt(5, 1, {{"a/#", 0}}, W().u8(0x0B).varint(2).b));
    h->feed(1, subscribe_pkt(5, 2, {{"a", 0}}, W().u8(0x0B).varint(1).b));
    h->io.clear();
    h->connect(2, 5, "p");
    h->feed(2, publish_pkt(5, 0, "a", "x"));
    auto p = h->publishes(1, Version::V5);
    LONGS_EQUAL(2, p.size());
    LONGS_EQUAL(1, p[0]->p.publish.props.number(PropertyId::SubscriptionIdentifier, 0));
    LONGS_EQUAL(2, p[1]->p.publish.props.number(PropertyId::SubscriptionIdentifier, 0));
}

TEST(EngineSubscribe, V311OverlappingOnce) {
    h->connect(1, 4, "s");
    h->feed(1, subscribe_pkt(4, 1, {{"a/+", 1}, {"a/#", 0}, {"a/b", 0}}));
    h->io.clear();
    h->connect(2, 4, "p");
    h->feed(2, publish_pkt(4, 1, "a/b", "x", 1));
    auto p = h->publishes(1, Version::V3_1_1);
    LONGS_EQUAL(1, p.size());
    LONGS_EQUAL(1, p[0]->p.publish.qos);
}

TEST(EngineSubscribe, NoLocal) {
    // [MQTT-3.8.3-3]
    h->connect(1, 5, "me");
    h->feed(1, subscribe_pkt(5, 1, {{"t", 0x04}}));
    h->connect(2, 5, "other");
    h->feed(2, subscribe_pkt(5, 1, {{"t", 0x04}}));
    h->io.clear();
    h->feed(1, publish_pkt(5, 0, "t", "x"));
    LONGS_EQUAL(0, got(1, Version::V5));
    LONGS_EQUAL(1, got(2, Version::V5));
}

TEST(EngineSubscribe, RetainAsPublished) {
    // [MQTT-3.3.1-12] [MQTT-3.3.1-13]
    h->connect(1, 5, "rap");
    h->feed(1, subscribe_pkt(5, 1, {{"t", 0x08}}));
    h->connect(2, 5, "plain");
    h->feed(2, subscribe_pkt(5, 1, {{"t", 0x00}}));
    h->io.clear();
    h->connect(3, 5, "p");
    h->feed(3, publish_pkt(5, 0, "t", "x", 0, true));
    CHECK(h->publishes(1, Version::V5)[0]->p.publish.retain);
    CHECK_FALSE(h->publishes(2, Version::V5)[0]->p.publish.retain);
}

TEST(EngineSubscribe, RetainHandling) {
    // [MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11]: 0 always, 1 if new, 2 never.
    h->connect(9, 5, "p");
    h->feed(9, publish_pkt(5, 0, "r", "x", 0, true));
    h->connect(1, 5, "rh0");
    h->connect(2, 5, "rh1");
    h->connect(3, 5, "rh2");
    for (int round = 0; round < 2; ++round) {
        h->feed(1, subscribe_pkt(5, 1, {{"r", 0x00}}));
        h->feed(2, subscribe_pkt(5, 1, {{"r", 0x10}}));
        h->feed(3, subscribe_pkt(5, 1, {{"r", 0x20}}));
    }
    LONGS_EQUAL(2, got(1, Version::V5));
    LONGS_EQUAL(1, got(2, Version::V5));
    LONGS_EQUAL(0, got(3, Version::V5));
}

TEST(EngineSubscribe, SubscriptionIdentifierOnRetained) {
    h->connect(9, 5, "p");
    h->feed(9, publish_pkt(5, 0, "r", "x", 0, true));
    h->connect(1, 5, "s");
    h->feed(1, subscribe_pkt(5, 1, {{"r", 0}}, W().u8(0x0B).varint(42).b));
    auto p = h->publishes(1, Version::V5);
    LONGS_EQUAL(1, p.size());
    LONGS_EQUAL(42, p[0]->p.publish.props.number(PropertyId::SubscriptionIdentifier, 0));
}

TEST(EngineSubscribe, SharedRoundRobinOneDeliveryPerGroup) {
    h->connect(1, 5, "m1");
    h->connect(2, 4, "m2");  // shared subscriptions work for 3.1.1 clients too
    h->connect(3, 5, "other-group");
    h->feed(1, subscribe_pkt(5, 1, {{"$share/g/t", 1}}));
    h->feed(2, subscribe_pkt(4, 1, {{"$share/g/t", 1}}));
    h->feed(3, subscribe_pkt(5, 1, {{"$share/h/t", 1}}));
    h->io.clear();
    h->connect(4, 5, "p");
    for (std::uint16_t i = 1; i <= 4; ++i) h->feed(4, publish_pkt(5, 0, "t", "x"));
    LONGS_EQUAL(2, got(1, Version::V5));
    LONGS_EQUAL(2, got(2, Version::V3_1_1));
    LONGS_EQUAL(4, got(3, Version::V5));
}

TEST(EngineSubscribe, SharedSkipsOfflineMembers) {
    ConnectOpts o = co(5, "m1", false);
    o.props = W().u8(0x11).u32(600).b;
    h->connect(1, o);
    h->feed(1, subscribe_pkt(5, 1, {{"$share/g/t", 1}}));
    h->connect(2, 5, "m2");
    h->feed(2, subscribe_pkt(5, 1, {{"$share/g/t", 1}}));
    h->close(1);  // m1 stays subscribed, offline
    h->io.clear();
    h->connect(3, 5, "p");
    for (std::uint16_t i = 1; i <= 3; ++i) h->feed(3, publish_pkt(5, 1, "t", "x", i));
    LONGS_EQUAL(3, got(2, Version::V5));
}

TEST(EngineSubscribe, SharedGetsNoRetained) {
    // 5.0 §4.8.2: retained messages are not sent for a shared subscription.
    h->connect(9, 5, "p");
    h->feed(9, publish_pkt(5, 0, "t", "x", 0, true));
    h->connect(1, 5, "s");
    h->feed(1, subscribe_pkt(5, 1, {{"$share/g/t", 0}}));
    LONGS_EQUAL(0, got(1, Version::V5));
}

TEST(EngineSubscribe, UnsubscribeCodes) {
    // HOSTILE row 60: 0x00 / 0x11 with mixed shared and plain filters.
    h->connect(1, 5, "a");
    h->feed(1, subscribe_pkt(5, 1, {{"$share/g/t", 0}, {"t", 0}}));
    h->io.clear();
    h->feed(1, unsubscribe_pkt(5, 2, {"t", "$share/g/t", "t", "nope"}));
    STRCMP_EQUAL("B0 07 00 02 00 00 00 11 11", to_hex(h->sent(1)[0]).c_str());
    LONGS_EQUAL(0, h->engine->stats().subscriptions);
    h->connect(2, 5, "p");
    h->feed(2, publish_pkt(5, 0, "t", "x"));
    LONGS_EQUAL(0, got(1, Version::V5));
}

TEST(EngineSubscribe, UnsubscribeV311HasNoCodes) {
    h->connect(1, 4, "a");
    h->feed(1, subscribe_pkt(4, 1, {{"t", 0}}));
    h->io.clear();
    h->feed(1, unsubscribe_pkt(4, 0x0102, {"t"}));
    STRCMP_EQUAL("B0 02 01 02", to_hex(h->sent(1)[0]).c_str());
}

TEST(EngineSubscribe, ResubscribeReplacesAndChurnLeavesNothing) {
    // [MQTT-3.8.4-3]; the trie is pruned after unsubscribe.
    h->connect(1, 4, "a");
    for (int i = 0; i < 100; ++i) {
        h->feed(1, subscribe_pkt(4, 1, {{"x/y/z", 0}, {"$share/g/x/+", 1}}));
        h->feed(1, subscribe_pkt(4, 2, {{"x/y/z", 1}}));
        h->feed(1, unsubscribe_pkt(4, 3, {"x/y/z", "$share/g/x/+"}));
    }
    LONGS_EQUAL(0, h->engine->stats().subscriptions);
}

TEST(EngineSubscribe, SessionEndRemovesSubscriptions) {
    h->connect(1, 4, "a");
    h->feed(1, subscribe_pkt(4, 1, {{"t", 0}, {"u", 0}}));
    LONGS_EQUAL(2, h->engine->stats().subscriptions);
    h->close(1);
    LONGS_EQUAL(0, h->engine->stats().subscriptions);
}
