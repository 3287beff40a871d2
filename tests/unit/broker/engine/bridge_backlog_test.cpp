// The engine's side of a bridge's local connection (PeerInfo::bridge, broker/src/
// bridge): its session's queue is the store-and-forward backlog with the bridge's
// own limits and drop-oldest policy, its in-flight window is its own Receive
// Maximum, it is trusted (no anonymous refusal, may publish its connection state
// under $SYS), and its backlog is visible through Engine::session_backlog().
#include "broker/engine/engine_support.hpp"

#include <CppUTest/TestHarness.h>

using namespace mote::broker;
using namespace mote::broker::test;
using mote::mqtt::PacketType;
using mote::mqtt::Version;

namespace {

Buf u16_prop(std::uint8_t id, std::uint16_t v) { return Buf{id, static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}; }
Buf u32_prop(std::uint8_t id, std::uint32_t v) {
    return Buf{id, static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
               static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

}  // namespace

TEST_GROUP(EngineBridgeBacklog) {
    std::unique_ptr<Harness> h;
    BridgeConfig bridge;
    void setup() override {
        BrokerConfig cfg = Harness::default_config();
        cfg.max_inflight_messages = 2;
        cfg.allow_anonymous = false;
        h = std::make_unique<Harness>(cfg);
        bridge.name = "up";
        bridge.max_queued_messages = 3;
    }
    void teardown() override { h.reset(); }

    // The bridge's local session: 5.0, persistent, Receive Maximum `window`.
    // The Io log is cleared unless `keep` (what a resumed session sends comes
    // right after the CONNACK).
    void connect_bridge(ConnectionId id, std::uint16_t window, bool keep = false) {
        PeerInfo peer;
        peer.address = "bridge:up";
        peer.bridge = &bridge;
        h->engine->on_open(id, peer, h->now);
        ConnectOpts o = co(5, "local.gw.up", false);
        o.props = u32_prop(0x11, 0xFFFFFFFFu);
        const Buf rm = u16_prop(0x21, window);
        o.props.insert(o.props.end(), rm.begin(), rm.end());
        h->feed(id, connect_pkt(o));
        const std::vector<Buf> s = h->sent(id);
        CHECK_TRUE(!s.empty() && s[0][0] == 0x20 && s[0][3] == 0x00);  // accepted without a user name
        if (!keep) h->io.clear();
    }
    void publish_n(ConnectionId from, int n) {
        for (int i = 1; i <= n; ++i) {
            h->feed(from, publish_pkt(4, 1, "s/" + std::to_string(i), "m" + std::to_string(i),
                                      static_cast<std::uint16_t>(i)));
        }
    }
};

TEST(EngineBridgeBacklog, AtTheLimitTheOldestIsDroppedAndCounted) {
    connect_bridge(1, 10);
    h->subscribe(1, 5, "s/#", 1);
    h->close(1);  // uplink down: the bridge's session is offline, messages queue
    PeerInfo plain;
    h->engine->on_open(2, plain, h->now);
    ConnectOpts p = co(4, "sensor");
    p.username = true;  // allow_anonymous false: plain clients need a user name
    h->feed(2, connect_pkt(p));
    h->io.clear();
    publish_n(2, 5);
    const SessionBacklog b = h->engine->session_backlog("local.gw.up");
    CHECK_TRUE(b.exists);
    CHECK_EQUAL(3u, b.queued);
    CHECK_EQUAL(2u, b.dropped);
    // Back online: the three newest, in order.
    connect_bridge(3, 10, true);
    auto pubs = h->publishes(3, Version::V5);
    CHECK_EQUAL(3u, pubs.size());
    STRCMP_EQUAL("s/3", topic_of(*pubs[0]).c_str());
    STRCMP_EQUAL("s/4", topic_of(*pubs[1]).c_str());
    STRCMP_EQUAL("s/5", topic_of(*pubs[2]).c_str());
}

TEST(EngineBridgeBacklog, TheWindowIsTheBridgesReceiveMaximumNotMaxInflight) {
    connect_bridge(1, 8);
    h->subscribe(1, 5, "s/#", 1);
    PeerInfo plain;
    h->engine->on_open(2, plain, h->now);
    ConnectOpts p = co(4, "sensor");
    p.username = true;
    h->feed(2, connect_pkt(p));
    h->io.clear();
    publish_n(2, 5);
    // max_inflight_messages is 2 for clients; the bridge takes its 8.
    CHECK_EQUAL(5u, h->publishes(1, Version::V5).size());
    CHECK_EQUAL(5u, h->engine->session_backlog("local.gw.up").inflight);
}

TEST(EngineBridgeBacklog, OnlyTheBridgeMayPublishUnderSys) {
    connect_bridge(1, 8);
    PeerInfo plain;
    h->engine->on_open(2, plain, h->now);
    ConnectOpts p = co(5, "dash");
    p.username = true;
    h->feed(2, connect_pkt(p));
    h->feed(2, subscribe_pkt(5, 1, {{"$SYS/broker/connection/#", 0}}));
    h->io.clear();
    h->feed(1, publish_pkt(5, 1, "$SYS/broker/connection/gw.up/state", "1", 9, true));
    auto got = h->publishes(2, Version::V5);
    CHECK_EQUAL(1u, got.size());
    STRCMP_EQUAL("1", payload_of(*got[0]).c_str());
    h->io.clear();
    // A plain client is refused, as before (0x87, mosquitto's answer).
    h->feed(2, publish_pkt(5, 1, "$SYS/broker/connection/gw.up/state", "0", 3));
    CHECK_EQUAL(0u, h->publishes(2, Version::V5).size());
}

TEST(EngineBridgeBacklog, NoSuchSession) {
    CHECK_FALSE(h->engine->session_backlog("nobody").exists);
    CHECK_EQUAL(0u, h->engine->session_filters("nobody").size());
}
