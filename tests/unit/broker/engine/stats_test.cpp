// The counters the HTTP endpoint's /metrics exports (docs/dashboard.md): PUBLISH
// messages and wire bytes by QoS, in and out, and Engine::queue_stats().
#include "broker/engine/engine_support.hpp"

#include <CppUTest/TestHarness.h>

using namespace mote::broker;
using namespace mote::broker::test;
using mote::mqtt::PacketType;

TEST_GROUP(EngineStats) {
    std::unique_ptr<Harness> h;
    void setup() override { h = std::make_unique<Harness>(); }
    void teardown() override { h.reset(); }
};

TEST(EngineStats, PublishesAndBytesByQos) {
    h->connect(1, 4, "sub");
    h->connect(2, 4, "pub");
    h->subscribe(1, 4, "t/#", 1);  // granted QoS 1: QoS 2 goes out as QoS 1
    const Buf q0 = publish_pkt(4, 0, "t/a", "12");
    const Buf q1 = publish_pkt(4, 1, "t/a", "34", 5);
    const Buf q2 = publish_pkt(4, 2, "t/a", "56", 6);
    h->feed(2, q0);
    h->feed(2, q1);
    h->feed(2, q1);  // a QoS 1 resend is a new message [MQTT-4.3.2]
    h->feed(2, q2);
    h->feed(2, q2);  // a QoS 2 duplicate before PUBREL is not [MQTT-4.3.3-10]
    h->feed(2, hex("62 02 00 06"));  // PUBREL: the message is passed on now
    const EngineStats& s = h->engine->stats();
    LONGS_EQUAL(1, s.publish_received_by_qos[0]);
    LONGS_EQUAL(2, s.publish_received_by_qos[1]);
    LONGS_EQUAL(1, s.publish_received_by_qos[2]);
    LONGS_EQUAL(s.messages_received, s.publish_received_by_qos[0] + s.publish_received_by_qos[1] +
                                         s.publish_received_by_qos[2]);
    // Bytes count every PUBLISH packet that arrived, duplicates included.
    LONGS_EQUAL(q0.size(), s.publish_bytes_received_by_qos[0]);
    LONGS_EQUAL(2 * q1.size(), s.publish_bytes_received_by_qos[1]);
    LONGS_EQUAL(2 * q2.size(), s.publish_bytes_received_by_qos[2]);
    // Out: one QoS 0 and three QoS 1 (the QoS 2 message downgraded); 3.1.1 QoS 1
    // PUBLISH of "t/a" with a 2-byte payload is 11 bytes, QoS 0 is 9.
    LONGS_EQUAL(1, s.publish_sent_by_qos[0]);
    LONGS_EQUAL(3, s.publish_sent_by_qos[1]);
    LONGS_EQUAL(0, s.publish_sent_by_qos[2]);
    LONGS_EQUAL(9, s.publish_bytes_sent_by_qos[0]);
    LONGS_EQUAL(3 * 11, s.publish_bytes_sent_by_qos[1]);
    LONGS_EQUAL(s.messages_sent, s.publish_sent_by_qos[0] + s.publish_sent_by_qos[1]);
}

TEST(EngineStats, QueueStatsCountQueuedAndInflight) {
    BrokerConfig cfg = Harness::default_config();
    cfg.max_inflight_messages = 2;
    h = std::make_unique<Harness>(cfg);
    h->connect(1, 4, "sub");
    h->connect(2, 4, "pub");
    h->subscribe(1, 4, "t", 1);
    for (std::uint16_t i = 1; i <= 5; ++i) h->feed(2, publish_pkt(4, 1, "t", "x", i));
    QueueStats q = h->engine->queue_stats();
    LONGS_EQUAL(2, q.inflight);  // the window
    LONGS_EQUAL(3, q.queued);
    LONGS_EQUAL(2, q.sessions);
    // Acknowledging the first two moves two more into flight.
    auto pubs = h->publishes(1, mote::mqtt::Version::V3_1_1);
    LONGS_EQUAL(2, pubs.size());
    for (const auto& p : pubs) h->feed(1, ack_pkt(PacketType::Puback, p->p.publish.packet_id));
    q = h->engine->queue_stats();
    LONGS_EQUAL(2, q.inflight);
    LONGS_EQUAL(1, q.queued);
}
