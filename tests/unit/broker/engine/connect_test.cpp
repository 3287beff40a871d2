// CONNECT / CONNACK, client identifiers, takeover, keepalive and the CONNECT
// timeout, for 3.1, 3.1.1 and 5.0 (HOSTILE_INPUTS section 2).
#include "broker/engine/engine_support.hpp"

#include <CppUTest/TestHarness.h>

using namespace mote::broker;
using namespace mote::broker::test;
using mote::mqtt::PacketType;
using mote::mqtt::PropertyId;
using mote::mqtt::Version;

TEST_GROUP(EngineConnect) {
    std::unique_ptr<Harness> h;
    void setup() override { h = std::make_unique<Harness>(); }
    void teardown() override { h.reset(); }
    Buf first(ConnectionId id) {
        auto s = h->sent(id);
        return s.empty() ? Buf{} : s[0];
    }
};

TEST(EngineConnect, AcceptsV311WithExactConnack) {
    h->open(1);
    h->feed(1, hex("10 0D 00 04 4D 51 54 54 04 02 00 0A 00 01 70"));  // C4
    STRCMP_EQUAL("20 02 00 00", to_hex(first(1)).c_str());
    CHECK_FALSE(h->io.closed(1));
    LONGS_EQUAL(1, h->engine->stats().clients_connected);
}

TEST(EngineConnect, AcceptsV31MQIsdp) {
    ConnectOpts o;
    o.level = 3;
    o.client_id = "sensor";
    h->open(1);
    h->feed(1, connect_pkt(o));
    STRCMP_EQUAL("20 02 00 00", to_hex(first(1)).c_str());
}

TEST(EngineConnect, V31ClientIdLongerThan23IsRejected) {
    ConnectOpts o;
    o.level = 3;
    o.client_id = "abcdefghijklmnopqrstuvwxyz";  // 26 characters
    h->open(1);
    h->feed(1, connect_pkt(o));
    STRCMP_EQUAL("20 02 00 02", to_hex(first(1)).c_str());
    CHECK(h->io.closed(1));
}

TEST(EngineConnect, V5ConnackCarriesServerProperties) {
    h->open(1);
    h->feed(1, hex("10 0E 00 04 4D 51 54 54 05 02 00 0A 00 00 01 70"));  // C5
    auto d = decode_sent(first(1), Version::V5);
    CHECK(d->error.ok());
    CHECK(d->p.type == PacketType::Connack);
    LONGS_EQUAL(0, d->p.connack.code);
    CHECK_FALSE(d->p.connack.session_present);
    const auto& pr = d->p.connack.props;
    LONGS_EQUAL(20, pr.number(PropertyId::ReceiveMaximum, 0));
    LONGS_EQUAL(10, pr.number(PropertyId::TopicAliasMaximum, 0));
    // Mosquitto compatibility: properties whose absence means "available" are not
    // sent (§3.2.2.3.5, §3.2.2.3.11-13).
    LONGS_EQUAL(9, pr.number(PropertyId::RetainAvailable, 9));
    LONGS_EQUAL(9, pr.number(PropertyId::WildcardSubscriptionAvailable, 9));
    LONGS_EQUAL(9, pr.number(PropertyId::SubscriptionIdentifierAvailable, 9));
    LONGS_EQUAL(9, pr.number(PropertyId::SharedSubscriptionAvailable, 9));
    // The exact bytes mosquitto 2.0 sends with its defaults.
    STRCMP_EQUAL("20 09 00 00 06 22 00 0A 21 00 14", to_hex(first(1)).c_str());
    CHECK_FALSE(pr.has(PropertyId::MaximumQos));  // absent: QoS 2 supported
    CHECK_FALSE(pr.has(PropertyId::AssignedClientIdentifier));
}

TEST(EngineConnect, SecondConnectIsProtocolErrorV5) {
    // [MQTT-3.1.0-2]
    h->connect(1, 5, "a");
    h->feed(1, connect_pkt(co(5, "a")));
    auto s = h->sent(1);
    LONGS_EQUAL(1, s.size());
    STRCMP_EQUAL("E0 01 82", to_hex(without_reason_string(s[0])).c_str());
    CHECK(h->io.closed(1));
}

TEST(EngineConnect, SecondConnectClosesV311) {
    h->connect(1, 4, "a");
    h->feed(1, connect_pkt(co(4, "a")));
    CHECK(h->sent(1).empty());
    CHECK(h->io.closed(1));
}

TEST(EngineConnect, FirstPacketNotConnectClosesWithoutReply) {
    // [MQTT-3.1.0-1], HOSTILE row 4.
    h->open(1);
    h->feed(1, hex("C0 00"));
    CHECK(h->sent(1).empty());
    CHECK(h->io.closed(1));
    // Nothing after close() is processed.
    h->feed(1, hex("10 0D 00 04 4D 51 54 54 04 02 00 0A 00 01 70"));
    CHECK(h->sent(1).empty());
    LONGS_EQUAL(1, h->io.close_count(1));
}

TEST(EngineConnect, UnsupportedLevelGets311Form) {
    // HOSTILE row 15: level 2 -> `20 02 00 01` [MQTT-3.1.2-2].
    h->open(1);
    h->feed(1, hex("10 0D 00 04 4D 51 54 54 02 02 00 0A 00 01 70"));
    STRCMP_EQUAL("20 02 00 01", to_hex(first(1)).c_str());
    CHECK(h->io.closed(1));
}

TEST(EngineConnect, UnsupportedLevelAbove5GetsV311Form) {
    // [MQTT-3.1.2-2] allows either form; mosquitto 2.0 answers `20 02 00 01`
    // (Mosquitto compatibility).
    h->open(1);
    h->feed(1, hex("10 0D 00 04 4D 51 54 54 06 02 00 0A 00 01 70"));
    STRCMP_EQUAL("20 02 00 01", to_hex(first(1)).c_str());
    CHECK(h->io.closed(1));
}

TEST(EngineConnect, WrongProtocolNameIsClosedWithoutConnack) {
    // [MQTT-3.1.2-1]: the server MAY close without a CONNACK (Mosquitto
    // compatibility), for 3.1.1 and 5.0.
    h->open(1);
    h->feed(1, hex("10 0D 00 04 4D 51 54 55 04 02 00 0A 00 01 70"));
    LONGS_EQUAL(0, h->sent(1).size());
    CHECK(h->io.closed(1));
    h->open(2);
    h->feed(2, hex("10 0E 00 04 4D 51 54 55 05 02 00 0A 00 00 01 70"));
    LONGS_EQUAL(0, h->sent(2).size());
    CHECK(h->io.closed(2));
}

TEST(EngineConnect, EmptyIdWithoutCleanSessionV311) {
    // HOSTILE row 22, [MQTT-3.1.3-8]: `20 02 00 02`, then close.
    h->open(1);
    h->feed(1, hex("10 0C 00 04 4D 51 54 54 04 00 00 0A 00 00"));
    STRCMP_EQUAL("20 02 00 02", to_hex(first(1)).c_str());
    CHECK(h->io.closed(1));
    LONGS_EQUAL(0, h->engine->stats().clients_total);
}

TEST(EngineConnect, EmptyIdWithCleanSessionV311IsAssigned) {
    h->open(1);
    h->feed(1, hex("10 0C 00 04 4D 51 54 54 04 02 00 0A 00 00"));
    STRCMP_EQUAL("20 02 00 00", to_hex(first(1)).c_str());
    LONGS_EQUAL(1, h->engine->stats().clients_total);
}

TEST(EngineConnect, EmptyIdV5GetsAssignedClientIdentifier) {
    // [MQTT-3.1.3-6] [MQTT-3.2.2-16]
    ConnectOpts o;
    o.level = 5;
    o.client_id = "";
    h->open(1);
    h->feed(1, connect_pkt(o));
    auto d = decode_sent(first(1), Version::V5);
    CHECK(d->error.ok());
    LONGS_EQUAL(0, d->p.connack.code);
    auto id = d->p.connack.props.bytes(PropertyId::AssignedClientIdentifier);
    CHECK(id.size > 0);
    // Two assigned ids differ.
    h->open(2);
    h->feed(2, connect_pkt(o));
    auto d2 = decode_sent(h->sent(2)[0], Version::V5);
    auto id2 = d2->p.connack.props.bytes(PropertyId::AssignedClientIdentifier);
    CHECK(id != id2);
}

TEST(EngineConnect, AuthenticationMethodIsRefused) {
    // HOSTILE row 30: no enhanced auth configured -> 0x8C.
    ConnectOpts o;
    o.level = 5;
    o.props = W().u8(0x15).str("SCRAM-SHA-1").b;
    h->open(1);
    h->feed(1, connect_pkt(o));
    STRCMP_EQUAL("20 03 00 8C 00", to_hex(without_reason_string(first(1))).c_str());
    CHECK(h->io.closed(1));
}

TEST(EngineConnect, AuthPacketIsProtocolError) {
    // HOSTILE row 62 [MQTT-4.12.0-7].
    h->connect(1, 5, "a");
    h->feed(1, hex("F0 00"));
    STRCMP_EQUAL("E0 01 82", to_hex(without_reason_string(first(1))).c_str());
    CHECK(h->io.closed(1));
}

TEST(EngineConnect, AnonymousRefusedWhenNotAllowed) {
    BrokerConfig cfg = Harness::default_config();
    cfg.allow_anonymous = false;
    h = std::make_unique<Harness>(cfg);
    h->open(1);
    h->feed(1, connect_pkt(co(4, "a")));
    STRCMP_EQUAL("20 02 00 05", to_hex(first(1)).c_str());
    CHECK(h->io.closed(1));
    h->open(2);
    h->feed(2, connect_pkt(co(5, "b")));
    STRCMP_EQUAL("20 03 00 87 00", to_hex(without_reason_string(h->sent(2)[0])).c_str());
    ConnectOpts named = co(4, "c");
    named.username = true;
    h->open(3);
    h->feed(3, connect_pkt(named));
    STRCMP_EQUAL("20 02 00 00", to_hex(h->sent(3)[0]).c_str());
}

TEST(EngineConnect, KeepaliveAboveMaxV311IsRefused) {
    // HOSTILE row 34: 3.1.1 -> CONNACK 0x02 + close, as mosquitto.
    BrokerConfig cfg = Harness::default_config();
    cfg.max_keepalive = 30;
    h = std::make_unique<Harness>(cfg);
    ConnectOpts o = co(4, "a");
    o.keepalive = 60;
    h->open(1);
    h->feed(1, connect_pkt(o));
    STRCMP_EQUAL("20 02 00 02", to_hex(first(1)).c_str());
    CHECK(h->io.closed(1));
}

TEST(EngineConnect, KeepaliveAboveMaxV5GetsServerKeepAlive) {
    // [MQTT-3.2.2-21] [MQTT-3.2.2-22]
    BrokerConfig cfg = Harness::default_config();
    cfg.max_keepalive = 30;
    h = std::make_unique<Harness>(cfg);
    ConnectOpts o = co(5, "a");
    o.keepalive = 60;
    h->open(1);
    h->feed(1, connect_pkt(o));
    auto d = decode_sent(first(1), Version::V5);
    LONGS_EQUAL(0, d->p.connack.code);
    LONGS_EQUAL(30, d->p.connack.props.number(PropertyId::ServerKeepAlive, 0));
    // The server's value is enforced: 45 s (1.5 x 30) of silence closes with 0x8D.
    h->io.clear();
    h->advance(44000);
    CHECK_FALSE(h->io.closed(1));
    h->advance(1000);
    STRCMP_EQUAL("E0 01 8D", to_hex(without_reason_string(first(1))).c_str());
    CHECK(h->io.closed(1));
}

TEST(EngineConnect, KeepaliveIsOneAndAHalfIntervals) {
    // 3.1.1 [MQTT-3.1.2-24]: close after 1.5 x Keep Alive without a packet.
    ConnectOpts o = co(4, "a");
    o.keepalive = 10;
    h->connect(1, o);
    h->advance(10000);
    h->feed(1, hex("C0 00"));  // PINGREQ resets the timer
    STRCMP_EQUAL("D0 00", to_hex(first(1)).c_str());
    h->advance(14000);
    CHECK_FALSE(h->io.closed(1));
    h->advance(1000);
    CHECK(h->io.closed(1));
    LONGS_EQUAL(1, h->sent(1).size());  // no DISCONNECT in 3.1.1
}

TEST(EngineConnect, ConnectTimeoutClosesSilentSocket) {
    h->open(1);
    LONGS_EQUAL(h->now + 10000, h->engine->next_deadline());
    h->advance(9999);
    CHECK_FALSE(h->io.closed(1));
    h->advance(1);
    CHECK(h->io.closed(1));
    CHECK(h->sent(1).empty());
}

TEST(EngineConnect, TakeoverV5SendsSessionTakenOver) {
    // HOSTILE row 35 [MQTT-3.1.4-3]
    h->connect(1, 5, "dup");
    h->connect(2, 5, "dup");
    h->open(3);
    // The old connection got DISCONNECT 0x8E and was closed before the new CONNACK.
    auto& acts = h->io.actions;
    (void)acts;
    LONGS_EQUAL(1, h->engine->stats().clients_connected);
    LONGS_EQUAL(1, h->engine->stats().clients_total);
}

TEST(EngineConnect, TakeoverOrderAndReplies) {
    h->connect(1, 5, "dup");
    h->open(2);
    h->feed(2, connect_pkt(co(5, "dup")));
    auto& a = h->io.actions;
    LONGS_EQUAL(3, a.size());
    LONGS_EQUAL(1, a[0].id);
    STRCMP_EQUAL("E0 01 8E", to_hex(without_reason_string(a[0].bytes)).c_str());
    CHECK(a[1].kind == IoAction::Close && a[1].id == 1);
    LONGS_EQUAL(2, a[2].id);
    CHECK_EQUAL(0x20, a[2].bytes[0]);
    // Packets from the old connection are ignored afterwards.
    h->io.clear();
    h->feed(1, hex("C0 00"));
    CHECK(h->sent(1).empty());
}

TEST(EngineConnect, TakeoverV311PlainClose) {
    h->connect(1, 4, "dup");
    h->open(2);
    h->feed(2, connect_pkt(co(4, "dup")));
    CHECK(h->sent(1).empty());
    CHECK(h->io.closed(1));
    STRCMP_EQUAL("20 02 00 00", to_hex(h->sent(2)[0]).c_str());
}

TEST(EngineConnect, SessionPresentOnResume) {
    // [MQTT-3.2.2-3]: Session Present 1 when a stored session is resumed.
    h->connect(1, 4, "p", false);
    h->close(1);
    h->open(2);
    h->feed(2, connect_pkt(co(4, "p", false)));
    STRCMP_EQUAL("20 02 01 00", to_hex(h->sent(2)[0]).c_str());
    h->close(2);
    // Clean Session 1 discards it and answers Session Present 0 [MQTT-3.2.2-1].
    h->open(3);
    h->feed(3, connect_pkt(co(4, "p", true)));
    STRCMP_EQUAL("20 02 00 00", to_hex(h->sent(3)[0]).c_str());
}

TEST(EngineConnect, V5SessionExpiryKeepsSessionUntilItEnds) {
    ConnectOpts o = co(5, "e", false);
    o.props = W().u8(0x11).u32(60).b;  // Session Expiry Interval 60 s
    h->connect(1, o);
    h->close(1);
    LONGS_EQUAL(1, h->engine->stats().clients_total);
    h->advance(59000);
    LONGS_EQUAL(1, h->engine->stats().clients_total);
    h->advance(1000);
    LONGS_EQUAL(0, h->engine->stats().clients_total);
}

TEST(EngineConnect, V5ZeroExpiryEndsSessionAtClose) {
    h->connect(1, 5, "z", false);  // no Session Expiry Interval: 0
    h->close(1);
    LONGS_EQUAL(0, h->engine->stats().clients_total);
    h->open(2);
    h->feed(2, connect_pkt(co(5, "z", false)));
    auto d = decode_sent(h->sent(2)[0], Version::V5);
    CHECK_FALSE(d->p.connack.session_present);
}

TEST(EngineConnect, PersistentClientExpirationAppliesToV311) {
    BrokerConfig cfg = Harness::default_config();
    cfg.persistent_client_expiration = 3600;
    h = std::make_unique<Harness>(cfg);
    h->connect(1, 4, "p", false);
    h->close(1);
    h->advance(3599000);
    LONGS_EQUAL(1, h->engine->stats().clients_total);
    h->advance(1000);
    LONGS_EQUAL(0, h->engine->stats().clients_total);
}

TEST(EngineConnect, MalformedConnectV5GetsConnackReason) {
    // HOSTILE row 26: Receive Maximum 0 in CONNECT -> CONNACK 0x82 + close.
    ConnectOpts o = co(5, "a");
    o.props = W().u8(0x21).u16(0).b;
    h->open(1);
    h->feed(1, connect_pkt(o));
    STRCMP_EQUAL("20 03 00 82 00", to_hex(without_reason_string(first(1))).c_str());
    CHECK(h->io.closed(1));
}

TEST(EngineConnect, EmptyWillTopicV5IsProtocolError) {
    // HOSTILE row 32: empty will topic -> 0x82.
    ConnectOpts o = co(5, "a");
    o.will = true;
    o.will_topic = "";
    h->open(1);
    h->feed(1, connect_pkt(o));
    auto b = first(1);
    CHECK(b.size() >= 4);
    CHECK(b[3] == 0x82 || b[3] == 0x81 || b[3] == 0x90);
    CHECK(h->io.closed(1));
}

TEST(EngineConnect, ShutdownSendsServerShuttingDownToV5Only) {
    h->connect(1, 5, "a");
    h->connect(2, 4, "b");
    h->engine->shutdown(h->now);
    STRCMP_EQUAL("E0 01 8B", to_hex(without_reason_string(first(1))).c_str());
    CHECK(h->sent(2).empty());
    CHECK(h->io.closed(1));
    CHECK(h->io.closed(2));
}

TEST(EngineConnect, TakeoverWithoutCleanStartKeepsSubscriptions) {
    // The session moves to the new connection [MQTT-3.1.4-3]; with Clean Start 0
    // its subscriptions and Session Present carry over.
    ConnectOpts o = co(5, "mover", false);
    o.props = W().u8(0x11).u32(300).b;
    h->connect(1, o);
    h->feed(1, subscribe_pkt(5, 1, {{"m/#", 1}}));
    h->open(2);
    h->feed(2, connect_pkt(o));
    auto d = decode_sent(h->sent(2)[0], Version::V5);
    CHECK(d->p.connack.session_present);
    h->connect(3, 5, "pub");
    h->feed(3, publish_pkt(5, 1, "m/x", "y", 1));
    LONGS_EQUAL(1, h->publishes(2, Version::V5).size());
    LONGS_EQUAL(0, h->publishes(1, Version::V5).size());
}
