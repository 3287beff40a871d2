// Sessions of bridges that connect with mosquitto's try_private bit (Protocol Level
// 0x83 for 3.1, 0x84 for 3.1.1): a mosquitto convention, not part of any MQTT spec.
// mosquitto 2.0 (handle_subscribe.c) makes every subscription of such a client No
// Local and Retain As Published, the two 5.0 options a 5.0 bridge asks for itself
// ([MQTT-3.8.3-3], [MQTT-3.3.1-12]), so that a message the bridge brought in is not
// sent back to it and a retained message stays retained on the other side.
#include "broker/engine/engine_support.hpp"

#include <CppUTest/TestHarness.h>

using namespace mote::broker;
using namespace mote::broker::test;
using mote::mqtt::Version;

TEST_GROUP(EngineBridgeSession) {
    std::unique_ptr<Harness> h;
    void setup() override { h = std::make_unique<Harness>(); }
    void teardown() override { h.reset(); }
    std::vector<std::unique_ptr<Decoded>> pubs(ConnectionId id) { return h->publishes(id, Version::V3_1_1); }
};

TEST(EngineBridgeSession, V311BridgeDoesNotGetItsOwnPublishBack) {
    // No Local [MQTT-3.8.3-3] applied to a 3.1.1 bridge's subscription.
    h->connect(1, 0x84, "bridge");
    h->subscribe(1, 4, "x/#", 1);
    h->connect(2, 4, "plain");
    h->subscribe(2, 4, "x/#", 1);
    h->feed(1, publish_pkt(4, 0, "x/a", "from-bridge"));
    CHECK_EQUAL(0u, pubs(1).size());
    auto p2 = pubs(2);
    CHECK_EQUAL(1u, p2.size());
    STRCMP_EQUAL("from-bridge", payload_of(*p2[0]).c_str());
    h->io.clear();
    // Others' messages reach the bridge; a plain 3.1.1 client still gets its own.
    h->feed(2, publish_pkt(4, 0, "x/b", "from-plain"));
    auto p1 = pubs(1);
    CHECK_EQUAL(1u, p1.size());
    STRCMP_EQUAL("from-plain", payload_of(*p1[0]).c_str());
    CHECK_EQUAL(1u, pubs(2).size());
}

TEST(EngineBridgeSession, V31BridgeDoesNotGetItsOwnPublishBack) {
    h->connect(1, 0x83, "bridge31");
    h->subscribe(1, 3, "x/#", 0);
    h->feed(1, publish_pkt(3, 0, "x/a", "m"));
    CHECK_EQUAL(0u, pubs(1).size());
    h->connect(2, 3, "other31");
    h->feed(2, publish_pkt(3, 0, "x/a", "m"));
    CHECK_EQUAL(1u, pubs(1).size());
}

TEST(EngineBridgeSession, BridgeKeepsTheRetainFlagPlainClientsDoNot) {
    // Retain As Published [MQTT-3.3.1-12] for the bridge; a plain 3.1.1 client gets
    // the flag cleared on normal forwarding (3.1.1 [MQTT-3.3.1-9]).
    h->connect(1, 0x84, "bridge");
    h->subscribe(1, 4, "r/#", 1);
    h->connect(2, 4, "plain");
    h->subscribe(2, 4, "r/#", 1);
    h->connect(3, 4, "pub");
    h->feed(3, publish_pkt(4, 1, "r/a", "keep", 7, true));
    auto p1 = pubs(1);
    auto p2 = pubs(2);
    CHECK_EQUAL(1u, p1.size());
    CHECK_EQUAL(1u, p2.size());
    CHECK_TRUE(p1[0]->p.publish.retain);
    CHECK_EQUAL(1, p1[0]->p.publish.qos);
    CHECK_FALSE(p2[0]->p.publish.retain);
    // A non-retained message stays non-retained for the bridge.
    h->io.clear();
    h->feed(3, publish_pkt(4, 0, "r/a", "live"));
    p1 = pubs(1);
    CHECK_EQUAL(1u, p1.size());
    CHECK_FALSE(p1[0]->p.publish.retain);
}

TEST(EngineBridgeSession, RetainedOnSubscribeAreRetainedForBridgesToo) {
    // [MQTT-3.3.1-8]: sent because of a new subscription, so the flag is set.
    h->connect(3, 4, "pub");
    h->feed(3, publish_pkt(4, 0, "r/a", "keep", 0, true));
    h->connect(1, 0x84, "bridge");
    h->feed(1, subscribe_pkt(4, 1, {{"r/#", 0}}));
    auto p1 = pubs(1);
    CHECK_EQUAL(1u, p1.size());
    CHECK_TRUE(p1[0]->p.publish.retain);
}

TEST(EngineBridgeSession, OptionsStayWithTheSubscriptionWhenTheSessionResumes) {
    // As in mosquitto, the options belong to the subscription: a persistent bridge
    // session resumed by a CONNECT without the bit keeps them (the SQLite variant of
    // this suite checks they are stored too).
    h->connect(1, co(0x84, "gw", false));
    h->subscribe(1, 4, "x/#", 1);
    h->feed(1, disconnect_pkt(4));
    h->connect(2, co(4, "gw", false));
    h->feed(2, publish_pkt(4, 0, "x/a", "m"));
    CHECK_EQUAL(0u, pubs(2).size());
    // A new subscription of the plain connection is a plain one.
    h->subscribe(2, 4, "y/#", 1);
    h->feed(2, publish_pkt(4, 0, "y/a", "m"));
    CHECK_EQUAL(1u, pubs(2).size());
}

TEST(EngineBridgeSession, SharedSubscriptionOfABridgeIsAccepted) {
    // [MQTT-3.8.3-4] forbids No Local on a shared subscription, so a bridge's
    // $share filter is not made No Local (mosquitto's shared path ignores it too):
    // accepted, its own message comes back, the retain flag is kept.
    h->connect(1, 0x84, "bridge");
    h->feed(1, subscribe_pkt(4, 1, {{"$share/g/y", 0}}));
    auto s = h->sent(1);
    CHECK_EQUAL(1u, s.size());
    STRCMP_EQUAL("90 03 00 01 00", to_hex(s[0]).c_str());
    h->io.clear();
    h->feed(1, publish_pkt(4, 0, "y", "m", 0, true));
    auto p1 = pubs(1);
    CHECK_EQUAL(1u, p1.size());
    CHECK_TRUE(p1[0]->p.publish.retain);
    CHECK_FALSE(h->io.closed(1));
}

TEST(EngineBridgeSession, LevelWithTheBitFor5IsRefused) {
    // 0x85 is no version (a 5.0 bridge sends 05 and No Local): CONNACK 0x01 in the
    // 3.1.1 form [MQTT-3.1.2-2], as for other unknown levels (HOSTILE row 15);
    // mosquitto 2.0.11 closes without a CONNACK (docs/mosquitto-compat.md).
    h->open(1);
    ConnectOpts o = co(5, "b5");
    o.level = 0x85;
    Buf pkt = connect_pkt(o);
    h->feed(1, pkt);
    auto s = h->sent(1);
    CHECK_EQUAL(1u, s.size());
    STRCMP_EQUAL("20 02 00 01", to_hex(s[0]).c_str());
    CHECK_TRUE(h->io.closed(1));
}
