// Outgoing QoS 1/2: the state machine table, packet ids, the in-flight window, the
// queue and its drop policy, redelivery on resume, acks and backpressure.
#include "../../../../broker/src/engine/qos_flow.hpp"
#include "broker/engine/engine_support.hpp"

#include <CppUTest/TestHarness.h>

using namespace mote::broker;
using namespace mote::broker::test;
using mote::broker::detail::OutAction;
using mote::broker::detail::OutState;
using mote::broker::detail::out_transition;
using mote::mqtt::PacketType;
using mote::mqtt::PropertyId;
using mote::mqtt::Reason;
using mote::mqtt::Version;

TEST_GROUP(QosFlowTable) {};

TEST(QosFlowTable, Transitions) {
    struct Row {
        OutState from;
        PacketType ack;
        Reason reason;
        OutAction action;
        OutState next;
    };
    const Row rows[] = {
        {OutState::AwaitPuback, PacketType::Puback, Reason::Success, OutAction::Complete, OutState::AwaitPuback},
        {OutState::AwaitPuback, PacketType::Puback, Reason::UnspecifiedError, OutAction::Complete, OutState::AwaitPuback},
        {OutState::AwaitPuback, PacketType::Pubrec, Reason::Success, OutAction::ProtocolError, OutState::AwaitPuback},
        {OutState::AwaitPuback, PacketType::Pubcomp, Reason::Success, OutAction::ProtocolError, OutState::AwaitPuback},
        {OutState::AwaitPubrec, PacketType::Pubrec, Reason::Success, OutAction::SendPubrel, OutState::AwaitPubcomp},
        {OutState::AwaitPubrec, PacketType::Pubrec, Reason::QuotaExceeded, OutAction::Complete, OutState::AwaitPubrec},
        // Mosquitto 2.0 closes on these too (issue 9 item 4, checked side by side).
        {OutState::AwaitPubrec, PacketType::Puback, Reason::Success, OutAction::ProtocolError, OutState::AwaitPubrec},
        {OutState::AwaitPubrec, PacketType::Pubcomp, Reason::Success, OutAction::ProtocolError, OutState::AwaitPubrec},
        {OutState::AwaitPubcomp, PacketType::Pubcomp, Reason::Success, OutAction::Complete, OutState::AwaitPubcomp},
        {OutState::AwaitPubcomp, PacketType::Pubrec, Reason::Success, OutAction::SendPubrel, OutState::AwaitPubcomp},
        {OutState::AwaitPubcomp, PacketType::Puback, Reason::Success, OutAction::ProtocolError, OutState::AwaitPubcomp},
    };
    for (const Row& r : rows) {
        const auto t = out_transition(r.from, r.ack, r.reason);
        CHECK(t.action == r.action);
        CHECK(t.next == r.next);
    }
}

TEST_GROUP(EngineFlow) {
    std::unique_ptr<Harness> h;
    void setup() override { h = std::make_unique<Harness>(); }
    void teardown() override { h.reset(); }
    void make(std::uint32_t inflight, std::uint32_t queued) {
        BrokerConfig cfg = Harness::default_config();
        cfg.max_inflight_messages = inflight;
        cfg.max_queued_messages = queued;
        h = std::make_unique<Harness>(cfg);
    }
    std::vector<std::uint16_t> ids(ConnectionId id, Version v) {
        std::vector<std::uint16_t> out;
        for (auto& d : h->publishes(id, v)) out.push_back(d->p.publish.packet_id);
        return out;
    }
};

TEST(EngineFlow, Qos1OutgoingIdsAndPuback) {
    h->connect(1, 4, "s");
    h->feed(1, subscribe_pkt(4, 1, {{"t", 1}}));
    h->connect(2, 4, "p");
    h->io.clear();
    h->feed(2, publish_pkt(4, 1, "t", "a", 1));
    h->feed(2, publish_pkt(4, 1, "t", "b", 2));
    auto s = h->sent(1);
    LONGS_EQUAL(2, s.size());
    STRCMP_EQUAL("32 06 00 01 74 00 01 61", to_hex(s[0]).c_str());
    STRCMP_EQUAL("32 06 00 01 74 00 02 62", to_hex(s[1]).c_str());
    h->feed(1, ack_pkt(PacketType::Puback, 1));
    h->feed(1, ack_pkt(PacketType::Puback, 2));
    CHECK_FALSE(h->io.closed(1));
}

TEST(EngineFlow, Qos2OutgoingFullFlow) {
    h->connect(1, 5, "s");
    h->feed(1, subscribe_pkt(5, 1, {{"t", 2}}));
    h->connect(2, 5, "p");
    h->io.clear();
    h->feed(2, publish_pkt(5, 2, "t", "a", 1));
    LONGS_EQUAL(0, h->publishes(1, Version::V5).size());  // held until the PUBREL
    h->feed(2, ack_pkt(PacketType::Pubrel, 1));
    auto p = h->publishes(1, Version::V5);
    LONGS_EQUAL(1, p.size());
    LONGS_EQUAL(2, p[0]->p.publish.qos);
    const std::uint16_t id = p[0]->p.publish.packet_id;
    h->io.clear();
    h->feed(1, ack_pkt(PacketType::Pubrec, id));
    STRCMP_EQUAL(to_hex(ack_pkt(PacketType::Pubrel, id)).c_str(), to_hex(h->sent(1)[0]).c_str());
    h->feed(1, ack_pkt(PacketType::Pubcomp, id));
    LONGS_EQUAL(1, h->sent(1).size());
    CHECK_FALSE(h->io.closed(1));
}

TEST(EngineFlow, WrongAckTypeIsProtocolError) {
    // HOSTILE row 51: PUBREC for a QoS 1 delivery -> DISCONNECT 0x82.
    h->connect(1, 5, "s");
    h->feed(1, subscribe_pkt(5, 1, {{"t", 1}}));
    h->connect(2, 5, "p");
    h->feed(2, publish_pkt(5, 1, "t", "a", 1));
    h->io.clear();
    h->feed(1, ack_pkt(PacketType::Pubrec, 1));
    STRCMP_EQUAL("E0 01 82", to_hex(without_reason_string(h->sent(1)[0])).c_str());
    CHECK(h->io.closed(1));
}

TEST(EngineFlow, WrongAckForQos2FlowIsProtocolError) {
    // Issue 9 item 4: mosquitto 2.0.11 closes on a PUBACK or PUBCOMP for a QoS 2
    // delivery (checked side by side in tests/interop/compat), and so does Mote:
    // DISCONNECT 0x82 in 5.0 (§4.13.1 SHOULD), a plain close in 3.1.1.
    h->connect(1, 5, "s");
    h->feed(1, subscribe_pkt(5, 1, {{"t", 2}}));
    h->connect(2, 5, "p");
    h->feed(2, publish_pkt(5, 2, "t", "a", 1));
    h->feed(2, ack_pkt(PacketType::Pubrel, 1));
    const std::uint16_t id = h->publishes(1, Version::V5).at(0)->p.publish.packet_id;
    h->io.clear();
    h->feed(1, ack_pkt(PacketType::Pubcomp, id));
    STRCMP_EQUAL("E0 01 82", to_hex(h->sent(1)[0]).c_str());
    CHECK(h->io.closed(1));
}

TEST(EngineFlow, InflightWindowThenQueueInOrder) {
    make(2, 100);
    h->connect(1, 4, "s");
    h->feed(1, subscribe_pkt(4, 1, {{"t", 1}}));
    h->connect(2, 4, "p");
    h->io.clear();
    for (std::uint16_t i = 1; i <= 5; ++i) h->feed(2, publish_pkt(4, 1, "t", std::string(1, char('a' + i)), i));
    auto first = ids(1, Version::V3_1_1);
    LONGS_EQUAL(2, first.size());
    h->io.clear();
    h->feed(1, ack_pkt(PacketType::Puback, first[0]));
    auto next = h->publishes(1, Version::V3_1_1);
    LONGS_EQUAL(1, next.size());
    STRCMP_EQUAL("d", std::string(next[0]->p.publish.payload.chars(), 1).c_str());
    CHECK(next[0]->p.publish.packet_id != first[1]);  // never reuse an id in flight
}

TEST(EngineFlow, ClientReceiveMaximumLimitsWindow) {
    // 5.0 §3.3.4: never more than the client's Receive Maximum in flight [MQTT-3.3.4-7].
    ConnectOpts o = co(5, "s");
    o.props = W().u8(0x21).u16(1).b;
    h->connect(1, o);
    h->feed(1, subscribe_pkt(5, 1, {{"t", 1}}));
    h->connect(2, 5, "p");
    h->io.clear();
    for (std::uint16_t i = 1; i <= 3; ++i) h->feed(2, publish_pkt(5, 1, "t", "x", i));
    LONGS_EQUAL(1, ids(1, Version::V5).size());
}

TEST(EngineFlow, QueueFullDropsQos0FirstAndCounts) {
    make(1, 2);
    h->connect(1, 4, "s");
    h->feed(1, subscribe_pkt(4, 1, {{"t", 1}}));
    h->connect(2, 4, "p");
    h->io.clear();
    h->feed(2, publish_pkt(4, 1, "t", "1", 1));  // in flight
    h->feed(2, publish_pkt(4, 1, "t", "3", 2));  // queued behind the window
    h->feed(2, publish_pkt(4, 0, "t", "2"));     // queued behind "3": queue full now
    h->feed(2, publish_pkt(4, 1, "t", "4", 3));  // evicts "2"
    h->feed(2, publish_pkt(4, 0, "t", "5"));     // dropped
    LONGS_EQUAL(2, h->engine->stats().messages_dropped);
    h->io.clear();
    h->feed(1, ack_pkt(PacketType::Puback, 1));
    auto p = h->publishes(1, Version::V3_1_1);
    LONGS_EQUAL(1, p.size());
    STRCMP_EQUAL("3", std::string(p[0]->p.publish.payload.chars(), 1).c_str());
    h->feed(1, ack_pkt(PacketType::Puback, p[0]->p.publish.packet_id));
    p = h->publishes(1, Version::V3_1_1);
    LONGS_EQUAL(2, p.size());
    STRCMP_EQUAL("4", std::string(p[1]->p.publish.payload.chars(), 1).c_str());
}

TEST(EngineFlow, OfflineQueueAndRedeliveryWithDup) {
    // [MQTT-4.4.0-1] [MQTT-3.3.1-1]: unacknowledged PUBLISH resent with DUP and the
    // same packet id, in the original order; queued messages follow.
    make(3, 100);
    h->connect(1, 4, "s", false);
    h->feed(1, subscribe_pkt(4, 1, {{"t", 2}}));
    h->connect(2, 4, "p");
    h->io.clear();
    h->feed(2, publish_pkt(4, 1, "t", "a", 1));
    h->feed(2, publish_pkt(4, 2, "t", "b", 2));
    h->feed(2, ack_pkt(PacketType::Pubrel, 2));
    auto first = ids(1, Version::V3_1_1);
    LONGS_EQUAL(2, first.size());
    h->feed(1, ack_pkt(PacketType::Pubrec, first[1]));  // b is now awaiting PUBCOMP
    h->close(1);
    h->feed(2, publish_pkt(4, 1, "t", "c", 3));  // queued while offline
    h->feed(2, publish_pkt(4, 0, "t", "d"));     // QoS 0 not kept for offline sessions
    h->io.clear();
    h->open(3);
    h->feed(3, connect_pkt(co(4, "s", false)));
    auto s = h->sent(3);
    LONGS_EQUAL(4, s.size());
    STRCMP_EQUAL("20 02 01 00", to_hex(s[0]).c_str());
    auto a = decode_sent(s[1], Version::V3_1_1);
    CHECK(a->p.publish.dup);
    LONGS_EQUAL(first[0], a->p.publish.packet_id);
    STRCMP_EQUAL(to_hex(ack_pkt(PacketType::Pubrel, first[1])).c_str(), to_hex(s[2]).c_str());
    auto c = decode_sent(s[3], Version::V3_1_1);
    CHECK_FALSE(c->p.publish.dup);
    STRCMP_EQUAL("c", std::string(c->p.publish.payload.chars(), 1).c_str());
}

TEST(EngineFlow, UnknownPubrecGetsPlainPubrel) {
    // HOSTILE row 51: 5.0 §4.3.3 allows 0x92; mosquitto sends 0x00 (Mosquitto
    // compatibility).
    h->connect(1, 5, "s");
    h->feed(1, ack_pkt(PacketType::Pubrec, 77));
    STRCMP_EQUAL("62 02 00 4D", to_hex(h->sent(1)[0]).c_str());
}

TEST(EngineFlow, BackpressureStopsUntilWritable) {
    h->connect(1, 4, "s");
    h->feed(1, subscribe_pkt(4, 1, {{"t", 0}}));
    h->connect(2, 4, "p");
    h->io.clear();
    h->io.result = SendResult::Backpressure;
    h->feed(2, publish_pkt(4, 0, "t", "1"));  // sent, connection now backpressured
    h->io.result = SendResult::Ok;
    h->feed(2, publish_pkt(4, 0, "t", "2"));
    h->feed(2, publish_pkt(4, 0, "t", "3"));
    LONGS_EQUAL(1, h->publishes(1, Version::V3_1_1).size());
    h->engine->on_writable(1, h->now);
    auto p = h->publishes(1, Version::V3_1_1);
    LONGS_EQUAL(3, p.size());
    STRCMP_EQUAL("3", std::string(p[2]->p.publish.payload.chars(), 1).c_str());
}

TEST(EngineFlow, PacketIdsWrapAndSkipInUse) {
    make(3, 0);
    h->connect(1, 4, "s");
    h->feed(1, subscribe_pkt(4, 1, {{"t", 1}}));
    h->connect(2, 4, "p");
    h->io.clear();
    std::uint16_t held = 0;
    for (int i = 0; i < 70000; ++i) {
        h->feed(2, publish_pkt(4, 1, "t", "x", 1));
        auto got = ids(1, Version::V3_1_1);
        const std::uint16_t id = got.back();
        CHECK(id != 0);
        if (i == 0) {
            held = id;  // never acknowledged: must not be reused
        } else {
            CHECK(id != held);
            h->feed(1, ack_pkt(PacketType::Puback, id));
        }
        h->io.clear();
    }
}
