// HOSTILE_INPUTS rows whose bad input the decoder detects: the engine must turn the
// error into the version's reply (STYLE #6), close, forward nothing and process
// nothing afterwards. Each case runs after a valid CONNECT (C4 / C5) with a spy on
// '#' that must stay silent.
#include "broker/engine/engine_support.hpp"

#include <CppUTest/TestHarness.h>

using namespace mote::broker;
using namespace mote::broker::test;
using mote::mqtt::Version;

TEST_GROUP(EngineHostile) {
    std::unique_ptr<Harness> h;
    void setup() override {
        h = std::make_unique<Harness>();
        h->connect(100, 4, "spy");
        h->feed(100, subscribe_pkt(4, 1, {{"#", 2}}));
        h->io.clear();
    }
    void teardown() override { h.reset(); }

    // Sends `bad` after a CONNECT of `level`; returns what the client got.
    std::vector<Buf> attack(std::uint8_t level, const char* bad) {
        static ConnectionId next = 1000;
        const ConnectionId id = next++;
        ConnectOpts o = co(level, "victim");
        o.will = true;
        o.will_topic = "will";
        h->connect(id, o);
        h->feed(id, hex(bad));
        CHECK(h->io.closed(id));
        // Nothing after the close is processed.
        h->feed(id, hex("30 05 00 01 74 68 69"));
        h->feed(id, hex("C0 00"));
        auto s = h->sent(id);
        // The Will is published after a protocol-error close, nothing else reaches the spy.
        auto spy = h->publishes(100, Version::V3_1_1);
        LONGS_EQUAL(1, spy.size());
        CHECK(spy[0]->p.publish.topic == mote::mqtt::Bytes::of("will"));
        h->io.clear();
        return s;
    }
    void expect_v5(const char* bad, const char* reply) {
        auto s = attack(5, bad);
        LONGS_EQUAL(1, s.size());
        STRCMP_EQUAL(reply, to_hex(without_reason_string(s[0])).c_str());
    }
    void expect_v5_either(const char* bad, const char* a, const char* b) {
        auto s = attack(5, bad);
        LONGS_EQUAL(1, s.size());
        const std::string got = to_hex(without_reason_string(s[0]));
        CHECK(got == a || got == b);
    }
    void expect_v311_close(const char* bad) { LONGS_EQUAL(0, attack(4, bad).size()); }
};

TEST(EngineHostile, Row2NonMinimalSubscriptionIdentifier) {
    expect_v5("82 0A 00 01 03 0B 80 00 00 01 74 00", "E0 01 81");
}

TEST(EngineHostile, Row7ReservedType) {
    expect_v5_either("00 00", "E0 01 81", "E0 01 82");
    expect_v311_close("00 00");
    expect_v311_close("F0 00");  // AUTH in 3.1.1
}

TEST(EngineHostile, Row8WrongFlags) {
    expect_v5("83 06 00 01 00 01 74 00", "E0 01 81");
    expect_v311_close("60 02 00 01");  // PUBREL without its 0x02 flags
    expect_v5("C1 00", "E0 01 81");
}

TEST(EngineHostile, Row9ServerPacketsFromClient) {
    // [MQTT-3.1.0-1] / §2.1.2: CONNACK, SUBACK, PINGRESP from a client.
    expect_v5_either("20 03 00 00 00", "E0 01 82", "E0 01 81");
    expect_v5_either("D0 00", "E0 01 82", "E0 01 81");
    expect_v311_close("90 03 00 01 00");
}

TEST(EngineHostile, Row10TrailingBytes) {
    expect_v5("C0 01 00", "E0 01 81");
    expect_v311_close("E0 01 00");
}

TEST(EngineHostile, Row36Qos3) {
    // [MQTT-3.3.1-4]
    expect_v5("36 0A 00 05 74 6F 70 69 63 00 01 00 78", "E0 01 81");
    expect_v311_close("36 09 00 05 74 6F 70 69 63 00 01 78");
}

TEST(EngineHostile, Row37PacketIdZero) {
    // [MQTT-2.2.1-3]
    expect_v5_either("32 0A 00 05 74 6F 70 69 63 00 00 00", "E0 01 82", "E0 01 81");
    expect_v311_close("32 09 00 05 74 6F 70 69 63 00 00");
}

TEST(EngineHostile, Row38Qos0WithDup) {
    // [MQTT-3.3.1-2]
    expect_v5_either("38 08 00 05 74 6F 70 69 63 00", "E0 01 81", "E0 01 82");
}

TEST(EngineHostile, Row41BadUtf8Topic) {
    // [MQTT-1.5.4-1]: U+0000 in the topic.
    expect_v5("30 06 00 03 61 00 62 00", "E0 01 81");
    expect_v311_close("30 05 00 03 61 00 62");
}

TEST(EngineHostile, Row52EmptySubscribe) {
    // [MQTT-3.8.3-2]
    expect_v5_either("82 03 12 34 00", "E0 01 81", "E0 01 82");
    expect_v311_close("82 02 12 34");
}

TEST(EngineHostile, Row53BadSubscriptionOptions) {
    // [MQTT-3.8.3-5]: QoS 3, reserved bits, Retain Handling 3.
    expect_v5("82 07 00 01 00 00 01 74 03", "E0 01 81");
    expect_v5("82 07 00 01 00 00 01 74 30", "E0 01 81");
    expect_v311_close("82 06 00 01 00 01 74 03");
}

TEST(EngineHostile, Row59SubscriptionIdentifierZero) {
    expect_v5_either("82 09 00 01 02 0B 00 00 01 74 00", "E0 01 82", "E0 01 81");
}

TEST(EngineHostile, FrameErrorPacketTooLarge) {
    // Row 45: the framer reports a packet above the maximum size.
    ConnectOpts o = co(5, "big");
    h->connect(7, o);
    h->engine->on_frame_error(7, {mote::mqtt::Reason::PacketTooLarge, "too large"}, h->now);
    STRCMP_EQUAL("E0 01 95", to_hex(without_reason_string(h->sent(7)[0])).c_str());
    CHECK(h->io.closed(7));
    h->connect(8, 4, "old");
    h->engine->on_frame_error(8, {mote::mqtt::Reason::MalformedPacket, "rl"}, h->now);
    CHECK(h->sent(8).empty());
    CHECK(h->io.closed(8));
}

TEST(EngineHostile, FrameErrorBeforeConnectIsPlainClose) {
    h->open(9);
    h->engine->on_frame_error(9, {mote::mqtt::Reason::MalformedPacket, "rl"}, h->now);
    CHECK(h->sent(9).empty());
    CHECK(h->io.closed(9));
}
