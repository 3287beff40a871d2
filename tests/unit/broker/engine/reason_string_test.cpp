// Reason Strings on the broker's 5.0 error replies (lifecycle.cpp and wire.cpp):
// the cause of a refused CONNECT or of a protocol-error DISCONNECT, for the
// client's log, within the client's Maximum Packet Size. Sent only with
// `reason_strings true`; by default none, as in mosquitto (issue 9 item 2).
#include "broker/engine/engine_support.hpp"

#include <CppUTest/TestHarness.h>

using namespace mote::broker;
using namespace mote::broker::test;
using mote::mqtt::PropertyId;
using mote::mqtt::Version;

namespace {

std::string reason_string_of(const Buf& wire) {
    auto d = decode_sent(wire, Version::V5);
    CHECK_FALSE(d->error);
    const mote::mqtt::Properties& props =
        d->p.type == mote::mqtt::PacketType::Connack ? d->p.connack.props : d->p.disconnect.props;
    const mote::mqtt::Bytes b = props.bytes(PropertyId::ReasonString);
    return std::string(b.chars(), b.size);
}

}  // namespace

TEST_GROUP(EngineReasonString) {
    std::unique_ptr<Harness> h;
    void setup() override {
        BrokerConfig cfg = Harness::default_config();
        cfg.reason_strings = true;
        h = std::make_unique<Harness>(cfg);
    }
    void teardown() override { h.reset(); }
};

TEST_GROUP(EngineNoReasonString) {
    std::unique_ptr<Harness> h;
    void setup() override { h = std::make_unique<Harness>(); }
    void teardown() override { h.reset(); }
};

TEST(EngineNoReasonString, OffByDefault) {
    // Mosquitto compatibility: the exact bytes mosquitto sends, no Reason String.
    h->connect(1, 5, "a");
    h->feed(1, publish_pkt(5, 0, "t", "x", 0, false, W().u8(0x23).u16(11).b));
    STRCMP_EQUAL("E0 01 94", to_hex(h->sent(1)[0]).c_str());
    ConnectOpts o = co(5, "b");
    o.props = W().u8(0x15).str("SCRAM-SHA-1").b;
    h->open(2);
    h->feed(2, connect_pkt(o));
    STRCMP_EQUAL("20 03 00 8C 00", to_hex(h->sent(2)[0]).c_str());
    h->connect(3, 5, "c");
    h->engine->shutdown(h->now);
    STRCMP_EQUAL("E0 01 8B", to_hex(h->sent(3)[0]).c_str());
}

TEST(EngineReasonString, ProtocolErrorDisconnectSaysWhy) {
    // Topic Alias above the broker's maximum (10): 0x94 with the cause.
    h->connect(1, 5, "a");
    h->feed(1, publish_pkt(5, 0, "t", "x", 0, false, W().u8(0x23).u16(11).b));
    auto s = h->sent(1);
    LONGS_EQUAL(1, s.size());
    STRCMP_EQUAL("E0 01 94", to_hex(without_reason_string(s[0])).c_str());
    STRCMP_EQUAL("topic alias", reason_string_of(s[0]).c_str());
    // The exact bytes: E0 RL, 0x94, Property Length, 1F "topic alias".
    STRCMP_EQUAL("E0 10 94 0E 1F 00 0B 74 6F 70 69 63 20 61 6C 69 61 73", to_hex(s[0]).c_str());
}

TEST(EngineReasonString, RefusedConnectSaysWhy) {
    ConnectOpts o = co(5, "a");
    o.props = W().u8(0x15).str("SCRAM-SHA-1").b;  // no enhanced authentication configured
    h->open(1);
    h->feed(1, connect_pkt(o));
    auto s = h->sent(1);
    LONGS_EQUAL(1, s.size());
    STRCMP_EQUAL("20 03 00 8C 00", to_hex(without_reason_string(s[0])).c_str());
    STRCMP_EQUAL("unsupported authentication method", reason_string_of(s[0]).c_str());
}

TEST(EngineReasonString, LeftOutWhenTheClientsMaximumPacketSizeIsTooSmall) {
    // [MQTT-3.2.2-19]: the Reason String must not push the CONNACK past the
    // client's Maximum Packet Size (here 16 bytes).
    ConnectOpts o = co(5, "a");
    o.props = W().u8(0x27).u32(16).u8(0x15).str("SCRAM-SHA-1").b;
    h->open(1);
    h->feed(1, connect_pkt(o));
    STRCMP_EQUAL("20 03 00 8C 00", to_hex(h->sent(1)[0]).c_str());
    // [MQTT-3.14.2-3]: the same for DISCONNECT.
    ConnectOpts small = co(5, "b");
    small.props = W().u8(0x27).u32(12).b;
    h->connect(2, small);
    h->feed(2, publish_pkt(5, 0, "t", "x", 0, false, W().u8(0x23).u16(11).b));
    STRCMP_EQUAL("E0 01 94", to_hex(h->sent(2)[0]).c_str());
}

TEST(EngineReasonString, ShutdownSaysWhy) {
    h->connect(1, 5, "a");
    h->engine->shutdown(h->now);
    auto s = h->sent(1);
    LONGS_EQUAL(1, s.size());
    STRCMP_EQUAL("E0 01 8B", to_hex(without_reason_string(s[0])).c_str());
    STRCMP_EQUAL("broker shutting down", reason_string_of(s[0]).c_str());
}

TEST(EngineReasonString, NoneForMqtt311) {
    // 3.1.1 has no properties: a protocol error is a plain close.
    h->connect(1, 4, "a");
    h->feed(1, hex("C0 01 00"));
    CHECK(h->sent(1).empty());
    CHECK(h->io.closed(1));
}
