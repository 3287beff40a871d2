// Wills: when they are published, the delay and its interaction with session
// expiry, properties, retain, and DISCONNECT handling (HOSTILE rows 32, 61).
#include "broker/engine/engine_support.hpp"

#include <CppUTest/TestHarness.h>

using namespace mote::broker;
using namespace mote::broker::test;
using mote::mqtt::PacketType;
using mote::mqtt::PropertyId;
using mote::mqtt::Version;

TEST_GROUP(EngineWill) {
    std::unique_ptr<Harness> h;
    void setup() override {
        h = std::make_unique<Harness>();
        h->connect(100, 5, "spy");
        h->feed(100, subscribe_pkt(5, 1, {{"will/#", 2}}));
        h->io.clear();
    }
    void teardown() override { h.reset(); }
    std::size_t wills() { return h->publishes(100, Version::V5).size(); }
    ConnectOpts with_will(std::uint8_t level, const std::string& id) {
        ConnectOpts o = co(level, id);
        o.will = true;
        o.will_topic = "will/" + id;
        return o;
    }
};

TEST(EngineWill, PublishedOnAbnormalClose) {
    // [MQTT-3.1.2-8]
    h->connect(1, with_will(4, "a"));
    h->close(1);
    auto p = h->publishes(100, Version::V5);
    LONGS_EQUAL(1, p.size());
    CHECK(p[0]->p.publish.topic == mote::mqtt::Bytes::of("will/a"));
    CHECK(p[0]->p.publish.payload == mote::mqtt::Bytes::of("gone"));
}

TEST(EngineWill, NotPublishedOnNormalDisconnect) {
    // [MQTT-3.1.2-10]
    h->connect(1, with_will(4, "a"));
    h->feed(1, disconnect_pkt(4));
    CHECK(h->io.closed(1));
    h->connect(2, with_will(5, "b"));
    h->feed(2, disconnect_pkt(5, 0x00));
    h->close(1);
    h->close(2);
    LONGS_EQUAL(0, wills());
}

TEST(EngineWill, PublishedOnDisconnectWithWill) {
    // 5.0 §3.14.2.1: reason 0x04 publishes the Will.
    h->connect(1, with_will(5, "a"));
    h->feed(1, disconnect_pkt(5, 0x04));
    LONGS_EQUAL(1, wills());
}

TEST(EngineWill, PublishedOnProtocolErrorAndKeepalive) {
    h->connect(1, with_will(5, "a"));
    h->feed(1, hex("F0 00"));  // AUTH: Protocol Error
    LONGS_EQUAL(1, wills());
    ConnectOpts o = with_will(4, "b");
    o.keepalive = 2;
    h->connect(2, o);
    h->advance(3000);
    CHECK(h->io.closed(2));
    LONGS_EQUAL(1, wills());  // connect() cleared the Io log: this is b's Will
}

TEST(EngineWill, NotPublishedOnShutdown) {
    h->connect(1, with_will(5, "a"));
    h->engine->shutdown(h->now);
    LONGS_EQUAL(0, wills());
}

TEST(EngineWill, RetainedWill) {
    ConnectOpts o = with_will(4, "r");
    o.will_retain = true;
    o.will_qos = 1;
    h->connect(1, o);
    h->close(1);
    LONGS_EQUAL(1, h->engine->stats().retained_messages);
    h->connect(2, 4, "late");
    h->feed(2, subscribe_pkt(4, 1, {{"will/r", 1}}));
    auto p = h->publishes(2, Version::V3_1_1);
    LONGS_EQUAL(1, p.size());
    CHECK(p[0]->p.publish.retain);
    LONGS_EQUAL(1, p[0]->p.publish.qos);
}

TEST(EngineWill, DelayAndCancelOnReconnect) {
    // [MQTT-3.1.3-9]: a reconnect before the delay cancels the Will.
    ConnectOpts o = with_will(5, "d");
    o.clean = false;
    o.props = W().u8(0x11).u32(600).b;
    o.will_props = W().u8(0x18).u32(10).b;
    h->connect(1, o);
    h->close(1);
    h->advance(5000);
    LONGS_EQUAL(0, wills());
    h->open(2);
    h->feed(2, connect_pkt(co(5, "d", false)));
    h->advance(20000);
    LONGS_EQUAL(0, wills());
}

TEST(EngineWill, DelayElapses) {
    ConnectOpts o = with_will(5, "d");
    o.props = W().u8(0x11).u32(600).b;
    o.will_props = W().u8(0x18).u32(10).u8(0x26).str("k").str("v").u8(0x01).u8(1).b;
    h->connect(1, o);
    h->close(1);
    h->advance(9999);
    LONGS_EQUAL(0, wills());
    h->advance(1);
    auto p = h->publishes(100, Version::V5);
    LONGS_EQUAL(1, p.size());
    // Will properties are carried over; the Will Delay Interval is not forwarded.
    CHECK(p[0]->p.publish.props.bytes(PropertyId::UserProperty) == mote::mqtt::Bytes::of("v"));
    LONGS_EQUAL(1, p[0]->p.publish.props.number(PropertyId::PayloadFormatIndicator, 0));
    CHECK_FALSE(p[0]->p.publish.props.has(PropertyId::WillDelayInterval));
}

TEST(EngineWill, SessionEndBeforeDelayPublishesAtSessionEnd) {
    // HOSTILE row 32: Will Delay above Session Expiry -> sent when the session ends.
    ConnectOpts o = with_will(5, "d");
    o.props = W().u8(0x11).u32(5).b;
    o.will_props = W().u8(0x18).u32(100).b;
    h->connect(1, o);
    h->close(1);
    h->advance(4999);
    LONGS_EQUAL(0, wills());
    h->advance(1);
    LONGS_EQUAL(1, wills());
    LONGS_EQUAL(1, h->engine->stats().clients_total);  // only the spy is left
}

TEST(EngineWill, TakeoverPublishesOldWill) {
    // [MQTT-3.1.4-3]: the old connection's Will follows the usual rules.
    h->connect(1, with_will(5, "t"));
    h->open(2);
    h->feed(2, connect_pkt(co(5, "t")));
    LONGS_EQUAL(1, wills());
}

TEST(EngineWill, SessionExpiryFromZeroIsProtocolError) {
    // HOSTILE row 61: `E0 07 00 05 11 00 00 00 01` after CONNECT with expiry 0.
    h->connect(1, with_will(5, "z"));
    h->feed(1, hex("E0 07 00 05 11 00 00 00 01"));
    STRCMP_EQUAL("E0 01 82", to_hex(without_reason_string(h->sent(1)[0])).c_str());
    CHECK(h->io.closed(1));
    LONGS_EQUAL(1, wills());  // a protocol-error close publishes the Will
}

TEST(EngineWill, DisconnectCanShortenSessionExpiry) {
    ConnectOpts o = co(5, "s", false);
    o.props = W().u8(0x11).u32(600).b;
    h->connect(1, o);
    h->feed(1, disconnect_pkt(5, 0x00, W().u8(0x11).u32(0).b));
    LONGS_EQUAL(1, h->engine->stats().clients_total);
}

TEST(EngineWill, TakeoverOfPersistentV311SessionDiscardsOldWill) {
    // 3.1.1 §3.1.2.5 leaves it open; Mosquitto compatibility: Clean Session 0 on
    // both connections keeps the session and discards the old Will.
    ConnectOpts o = with_will(4, "k");
    o.clean = false;
    h->connect(1, o);
    h->open(2);
    h->feed(2, connect_pkt(co(4, "k", false)));
    LONGS_EQUAL(0, wills());
    // With Clean Session 1 on the new connection the old session ends: published.
    o = with_will(4, "m");
    o.clean = false;
    h->connect(3, o);
    h->open(4);
    h->feed(4, connect_pkt(co(4, "m", true)));
    LONGS_EQUAL(1, wills());
}
