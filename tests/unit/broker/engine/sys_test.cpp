// $SYS/broker/... statistics topics (docs/sys-topics.md) and engine stats.
#include "broker/engine/engine_support.hpp"

#include <CppUTest/TestHarness.h>

using namespace mote::broker;
using namespace mote::broker::test;
using mote::mqtt::Version;

TEST_GROUP(EngineSys) {};

TEST(EngineSys, PublishedEveryIntervalAsRetained) {
    BrokerConfig cfg = Harness::default_config();
    cfg.sys_interval = 10;
    Harness h(cfg);
    h.connect(1, 4, "a");
    h.connect(2, 4, "b");
    h.feed(1, subscribe_pkt(4, 1, {{"$SYS/broker/clients/connected", 0}, {"$SYS/broker/messages/received", 0}}));
    h.feed(2, publish_pkt(4, 0, "x", "1"));
    h.io.clear();
    h.advance(9999);
    CHECK(h.sent(1).empty());
    h.advance(1);
    auto p = h.publishes(1, Version::V3_1_1);
    LONGS_EQUAL(2, p.size());
    CHECK(p[0]->p.publish.payload == mote::mqtt::Bytes::of("2"));
    CHECK(p[1]->p.publish.payload == mote::mqtt::Bytes::of("1"));
    // Retained: a late subscriber gets the last values at once.
    h.connect(3, 4, "late");
    h.feed(3, subscribe_pkt(4, 1, {{"$SYS/broker/uptime", 0}, {"$SYS/broker/retained messages/count", 0}}));
    auto late = h.publishes(3, Version::V3_1_1);
    LONGS_EQUAL(2, late.size());
    CHECK(late[0]->p.publish.retain);
    CHECK(late[0]->p.publish.payload == mote::mqtt::Bytes::of("10 seconds"));  // per filter, in order
    LONGS_EQUAL(h.now + 10000, h.engine->next_deadline());
}

TEST(EngineSys, StatsCountTraffic) {
    Harness h;
    h.connect(1, 4, "a");
    h.feed(1, subscribe_pkt(4, 1, {{"t", 0}}));
    h.connect(2, 4, "b");
    h.feed(2, publish_pkt(4, 0, "t", "xy"));  // 9 bytes in
    const EngineStats& s = h.engine->stats();
    LONGS_EQUAL(2, s.clients_connected);
    LONGS_EQUAL(2, s.clients_maximum);
    LONGS_EQUAL(1, s.subscriptions);
    LONGS_EQUAL(1, s.messages_sent);
    h.close(2);
    LONGS_EQUAL(1, s.clients_connected);
    LONGS_EQUAL(2, s.clients_maximum);
}
