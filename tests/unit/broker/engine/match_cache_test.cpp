// Routing reuses the trie's match for a repeated topic: the cached result must
// follow every subscription change and never leak between topics.
#include "broker/engine/engine_support.hpp"

#include <CppUTest/TestHarness.h>

using namespace mote::broker;
using namespace mote::broker::test;
using mote::mqtt::Version;

TEST_GROUP(EngineMatchCache) {
    std::unique_ptr<Harness> h;
    void setup() override { h = std::make_unique<Harness>(); }
    void teardown() override { h.reset(); }
    std::size_t got(ConnectionId id) { return h->publishes(id, Version::V3_1_1).size(); }
    void publish(const char* topic) { h->feed(9, publish_pkt(4, 0, topic, "x")); }
};

TEST(EngineMatchCache, RepeatedTopicFollowsSubscribeAndUnsubscribe) {
    h->connect(9, 4, "p");
    h->connect(1, 4, "a");
    h->connect(2, 4, "b");
    h->feed(1, subscribe_pkt(4, 1, {{"s/+/t", 0}}));
    h->io.clear();
    publish("s/1/t");
    publish("s/1/t");
    LONGS_EQUAL(2, got(1));
    LONGS_EQUAL(0, got(2));
    h->feed(2, subscribe_pkt(4, 1, {{"s/#", 0}}));
    h->io.clear();
    publish("s/1/t");
    LONGS_EQUAL(1, got(1));
    LONGS_EQUAL(1, got(2));
    h->feed(1, unsubscribe_pkt(4, 2, {"s/+/t"}));
    h->io.clear();
    publish("s/1/t");
    LONGS_EQUAL(0, got(1));
    LONGS_EQUAL(1, got(2));
}

TEST(EngineMatchCache, SessionEndInvalidatesCachedMatch) {
    h->connect(9, 4, "p");
    h->connect(1, 4, "a");
    h->feed(1, subscribe_pkt(4, 1, {{"t", 0}}));
    publish("t");
    h->close(1);  // clean session: its subscriptions go with it
    h->connect(2, 4, "b");
    h->feed(2, subscribe_pkt(4, 1, {{"t", 0}}));
    h->io.clear();
    publish("t");
    LONGS_EQUAL(0, got(1));
    LONGS_EQUAL(1, got(2));
}

TEST(EngineMatchCache, ManyTopicsDoNotMixResults) {
    h->connect(9, 4, "p");
    h->connect(1, 4, "a");
    h->feed(1, subscribe_pkt(4, 1, {{"x/+", 0}}));
    h->io.clear();
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 40; ++i) {
            publish(("x/" + std::to_string(i)).c_str());
            publish(("y/" + std::to_string(i)).c_str());
        }
    }
    LONGS_EQUAL(120, got(1));
}

TEST(EngineMatchCache, DollarTopicsStayUnmatchedByLeadingWildcards) {
    // [MQTT-4.7.2-1], with the same topic published twice.
    h->connect(9, 4, "p");
    h->connect(1, 4, "a");
    h->feed(1, subscribe_pkt(4, 1, {{"+/s", 0}, {"#", 0}}));
    h->io.clear();
    publish("$x/s");
    publish("$x/s");
    publish("x/s");
    publish("x/s");
    LONGS_EQUAL(2, got(1));  // once per "x/s" publish: overlapping filters deliver once
}
