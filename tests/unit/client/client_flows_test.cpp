// Client QoS flows, sessions, keepalive, backoff and the offline queue, for MQTT
// 3.1.1 and 5.0 (3.1.1 alone in the 3.1.1-only build), over a scripted fake
// transport and clock.
#include <CppUTest/TestHarness.h>

#include "client_support.hpp"

using namespace client_test;
using mq::PacketType;
using mq::Version;

namespace {
void on_sub_msg(void* u, const mc::Message& m) {
    static_cast<std::vector<Received>*>(u)->push_back({S(m.topic), S(m.payload), m.qos, m.dup});
}
}  // namespace

TEST_GROUP(ClientConnect){};

TEST(ClientConnect, SendsConnectAndReportsConnected) {
    for (Version v : kVersions) {
        Rig<> r(v);
        r.o.clean_start = true;
        r.o.keep_alive_s = 15;
        CHECK(r.make().start() == mc::Status::Ok);
        CHECK(r.cl->start() == mc::Status::Ok);  // already started: nothing changes
        r.poll();
        auto sent = take_sent(r.t);
        LONGS_EQUAL(1, sent.size());
        const mq::Packet p = sent[0].decode(v);
        CHECK(p.type == PacketType::Connect);
        CHECK(p.connect.version == v);
        CHECK(p.connect.clean_start);
        LONGS_EQUAL(15, p.connect.keep_alive);
        STRCMP_EQUAL("dev1", S(p.connect.client_id).c_str());
#if MOTE_MQTT_V5  // CONNECT properties exist in 5.0 only
        if (v == Version::V5) {
            // We announce our limits: Receive Maximum = in-flight table, Maximum
            // Packet Size = receive buffer + header [MQTT-3.1.2-24].
            LONGS_EQUAL(mc::DefaultLimits::inflight, p.connect.props.number(mq::PropertyId::ReceiveMaximum, 0));
            LONGS_EQUAL(mc::DefaultLimits::rx_bytes + 5, p.connect.props.number(mq::PropertyId::MaximumPacketSize, 0));
        }
#endif
        CHECK(r.cl->state() == mc::ConnState::WaitConnack);
        r.feed(connack(v, false, 0));
        CHECK(r.cl->connected());
        LONGS_EQUAL(1, r.count(mc::EventType::Connected));
    }
}

TEST(ClientConnect, NoBrokerLimitsBeforeA5Connack) {
    // Until a 5.0 CONNACK announces a Receive Maximum there is none (65535), before
    // connecting and on a 3.1.1 connection.
    Rig<> r(Version::V3_1_1);
    CHECK_EQUAL(65535u, r.make().server_receive_maximum());
    r.connect();
    CHECK(r.cl->connected());
    CHECK_EQUAL(65535u, r.cl->server_receive_maximum());
}

TEST(ClientConnect, WillAndCredentialsGoIntoConnect) {
    for (Version v : kVersions) {
        Rig<> r(v);
        r.o.has_will = true;
        r.o.will_topic = B("dev/status");
        r.o.will_payload = B("offline");
        r.o.will_qos = 1;
        r.o.will_retain = true;
        r.o.has_username = true;
        r.o.username = B("u");
        r.o.has_password = true;
        r.o.password = B("p");
        r.make().start();
        r.poll();
        auto sent = take_sent(r.t);
        const mq::Packet p = sent.at(0).decode(v);
        CHECK(p.connect.has_will);
        STRCMP_EQUAL("dev/status", S(p.connect.will.topic).c_str());
        STRCMP_EQUAL("offline", S(p.connect.will.payload).c_str());
        LONGS_EQUAL(1, p.connect.will.qos);
        CHECK(p.connect.will.retain);
        STRCMP_EQUAL("u", S(p.connect.username).c_str());
        STRCMP_EQUAL("p", S(p.connect.password).c_str());
    }
}

TEST(ClientConnect, RefusedConnackBacksOffAndRetries) {
    for (Version v : kVersions) {
        Rig<> r(v);
        r.make().start();
        r.poll();
        const std::uint8_t code = v == Version::V5 ? 0x86 : 4;  // bad user name or password
        r.feed(connack(v, false, code));
        CHECK(r.cl->state() == mc::ConnState::Backoff);
        LONGS_EQUAL(1, r.count(mc::EventType::ConnectRefused));
        CHECK(r.events[0].reason == mq::Reason::BadUserNameOrPassword);
        LONGS_EQUAL(1, r.t.opens);
        r.advance(40);  // below the minimum half-delay of 50 ms
        LONGS_EQUAL(1, r.t.opens);
        r.reopen();
        LONGS_EQUAL(2, r.t.opens);
    }
}

TEST(ClientConnect, TransportOpenInProgressThenTimeout) {
    Rig<> r(kAnyVersion);
    r.t.open_result = 0;
    r.o.connect_timeout_ms = 2000;
    r.make().start();
    r.advance(1000);
    CHECK(r.cl->state() == mc::ConnState::Opening);
    r.advance(1000);
    CHECK(r.cl->state() == mc::ConnState::Backoff);
}

#if MOTE_MQTT_V5  // CONNACK properties exist in 5.0 only
TEST(ClientConnect, V5ConnackPropertiesAreRespected) {
    Rig<> r(Version::V5);
    r.o.client_id = B("");
    r.o.clean_start = false;
    std::uint8_t pb[64];
    mq::PropertyBuilder b(pb, sizeof pb);
    b.add_u16(mq::PropertyId::ReceiveMaximum, 1)
        .add_u32(mq::PropertyId::MaximumPacketSize, 64)
        .add_u16(mq::PropertyId::ServerKeepAlive, 7)
        .add_string(mq::PropertyId::AssignedClientIdentifier, B("auto-42"));
    r.connect(false, b.view());
    CHECK(r.cl->connected());
    LONGS_EQUAL(7000, r.cl->keep_alive_ms());  // [MQTT-3.2.2-21]
    // Maximum Packet Size 64: a bigger PUBLISH is refused up front.
    std::string big(80, 'x');
    CHECK(r.cl->publish(B("t"), B(big.c_str()), 1, false) == mc::Status::TooLarge);
    // Receive Maximum 1: the second QoS 1 waits for the first PUBACK [MQTT-4.9.0-2].
    CHECK(r.cl->publish(B("t"), B("a"), 1, false) == mc::Status::Ok);
    CHECK(r.cl->publish(B("t"), B("b"), 1, false) == mc::Status::Ok);
    r.poll();
    auto sent = take_sent(r.t);
    LONGS_EQUAL(1, sent.size());
    const std::uint16_t id = sent[0].decode(Version::V5).publish.packet_id;
    r.feed(ack(PacketType::Puback, Version::V5, id));
    sent = take_sent(r.t);
    LONGS_EQUAL(1, sent.size());
    STRCMP_EQUAL("b", S(sent[0].decode(Version::V5).publish.payload).c_str());
    // The assigned id is used when reconnecting to the persistent session.
    r.t.broken = true;
    r.poll();
    r.reopen();
    r.poll();
    sent = take_sent(r.t);
    STRCMP_EQUAL("auto-42", S(sent.at(0).decode(Version::V5).connect.client_id).c_str());
}
#else
// The 3.1.1-only build has no 5.0, and Options::version = V5 must not quietly speak
// something else: the CONNECT cannot be encoded, so each attempt opens the link,
// closes it without writing a byte, reports Disconnected with Implementation Specific
// Error and backs off.
TEST(ClientConnect, V5CannotBeUsedInThe311OnlyBuild) {
    // A 5.0 connection asked of a build without 5.0 is refused by start() with its
    // own status, before any transport is opened; the client stays Idle and keeps
    // what was queued.
    Rig<> r(Version::V5);
    CHECK(r.make().publish(B("t"), B("x"), 1, false) == mc::Status::Ok);
    CHECK(r.cl->start() == mc::Status::UnsupportedVersion);
    r.advance(60000);
    LONGS_EQUAL(0, r.t.opens);
    LONGS_EQUAL(0, r.t.out.size());
    CHECK(r.cl->state() == mc::ConnState::Idle);
    LONGS_EQUAL(0, r.events.size());
    LONGS_EQUAL(1, r.cl->queued());
}
#endif

TEST_GROUP(ClientPublishOut){};

TEST(ClientPublishOut, Qos0Qos1Qos2BothVersions) {
    for (Version v : kVersions) {
        Rig<> r(v);
        r.connect();
        std::uint32_t tok[3] = {};
        for (std::uint8_t q = 0; q < 3; ++q) {
            CHECK(r.cl->publish(B("a/b"), B("x"), q, q == 1, &tok[q]) == mc::Status::Ok);
        }
        r.poll();
        auto sent = take_sent(r.t);
        LONGS_EQUAL(3, sent.size());
        for (std::uint8_t q = 0; q < 3; ++q) {
            const mq::Packet p = sent[q].decode(v);
            CHECK(p.type == PacketType::Publish);
            LONGS_EQUAL(q, p.publish.qos);
            CHECK(!p.publish.dup);
            CHECK(p.publish.retain == (q == 1));
            STRCMP_EQUAL("a/b", S(p.publish.topic).c_str());
        }
        const std::uint16_t id1 = sent[1].decode(v).publish.packet_id;
        const std::uint16_t id2 = sent[2].decode(v).publish.packet_id;
        CHECK(id1 != 0 && id2 != 0 && id1 != id2);
        LONGS_EQUAL(1, r.count(mc::EventType::Delivered));  // QoS 0 is done when written
        r.feed(ack(PacketType::Puback, v, id1));
        LONGS_EQUAL(2, r.count(mc::EventType::Delivered));
        r.feed(ack(PacketType::Pubrec, v, id2));
        sent = take_sent(r.t);
        LONGS_EQUAL(1, sent.size());
        CHECK(sent[0].type() == PacketType::Pubrel);  // [MQTT-4.3.3-3]
        LONGS_EQUAL(0x62, sent[0].first);             // PUBREL flags 0010 [MQTT-3.6.1-1]
        LONGS_EQUAL(id2, sent[0].decode(v).ack.packet_id);
        LONGS_EQUAL(2, r.count(mc::EventType::Delivered));
        r.feed(ack(PacketType::Pubcomp, v, id2));
        LONGS_EQUAL(3, r.count(mc::EventType::Delivered));
        CHECK(r.cl->idle());
        LONGS_EQUAL(tok[2], r.events.back().token);
    }
}

TEST(ClientPublishOut, PartialSendsKeepPacketsWhole) {
    Rig<> r(kAnyVersion);
    r.t.send_cap = 3;
    r.connect();
    for (int i = 0; i < 3; ++i) CHECK(r.cl->publish(B("t/1"), B("payload"), 1, false) == mc::Status::Ok);
    r.poll(20);
    auto sent = take_sent(r.t);
    LONGS_EQUAL(3, sent.size());
    for (auto& s : sent) STRCMP_EQUAL("payload", S(s.decode(r.v()).publish.payload).c_str());
}

TEST(ClientPublishOut, PacketIdsWrapPastZeroAndSkipIdsInUse) {
    // [MQTT-2.2.1-3] a fresh non-zero id for each flow: after 65535 the ids start
    // again at 1, never 0, and skip one still in flight.
    Rig<> r(Version::V3_1_1);
    r.connect();
    CHECK(r.cl->publish(B("held"), B("x"), 1, false) == mc::Status::Ok);  // never acknowledged
    r.poll();
    auto sent = take_sent(r.t);
    LONGS_EQUAL(1, sent.size());
    const std::uint16_t held = sent[0].decode(Version::V3_1_1).publish.packet_id;
    LONGS_EQUAL(1, held);
    std::uint32_t expect = 2;
    for (int k = 0; k < 65540; ++k) {
        CHECK(r.cl->publish(B("t"), B("y"), 1, false) == mc::Status::Ok);
        r.cl->poll();
        sent = take_sent(r.t);
        LONGS_EQUAL(1, sent.size());
        const std::uint16_t id = sent[0].decode(Version::V3_1_1).publish.packet_id;
        LONGS_EQUAL(expect, id);
        r.t.push(ack(PacketType::Puback, Version::V3_1_1, id));
        r.cl->poll();
        expect = expect == 65535 ? 2 : expect + 1;  // 0 is never used, 1 is held
    }
    LONGS_EQUAL(1, r.cl->queued());
}

TEST(ClientPublishOut, InvalidArgumentsAreRefused) {
    Rig<> r(Version::V3_1_1);
    r.make();
    CHECK(r.cl->publish(B("a/+"), B("x"), 0, false) == mc::Status::InvalidTopic);  // [MQTT-3.3.2-2]
    CHECK(r.cl->publish(B(""), B("x"), 0, false) == mc::Status::InvalidTopic);
    CHECK(r.cl->publish(B("a"), B("x"), 3, false) == mc::Status::InvalidQos);
    std::string big(600, 'x');
    CHECK(r.cl->publish(B("a"), B(big.c_str()), 0, false) == mc::Status::TooLarge);
    LONGS_EQUAL(0, r.cl->queued());
}

TEST_GROUP(ClientPublishIn){};

TEST(ClientPublishIn, Qos0Qos1Qos2BothVersionsWithSubscriptionCallback) {
    for (Version v : kVersions) {
        Rig<> r(v);
        std::vector<Received> got;
        r.make();
        CHECK(r.cl->subscribe(B("s/+"), 2, &on_sub_msg, &got) == mc::Status::Ok);
        r.connect();
        auto sent = take_sent(r.t);
        LONGS_EQUAL(1, sent.size());
        const mq::Packet sp = sent[0].decode(v);
        CHECK(sp.type == PacketType::Subscribe);
        r.feed(suback(PacketType::Suback, v, sp.subscribe.packet_id, Buf{2}));
        LONGS_EQUAL(1, r.count(mc::EventType::Subscribed));
        r.feed(publish(v, 0, 0, "s/a", "zero"));
        r.feed(publish(v, 1, 7, "s/a", "one"));
        r.feed(publish(v, 2, 8, "s/a", "two"));
        r.feed(publish(v, 1, 9, "other", "unmatched"));
        LONGS_EQUAL(3, got.size());
        STRCMP_EQUAL("zero", got[0].payload.c_str());
        STRCMP_EQUAL("one", got[1].payload.c_str());
        STRCMP_EQUAL("two", got[2].payload.c_str());
        LONGS_EQUAL(1, r.msgs.size());  // the unmatched one went to on_unmatched
        sent = take_sent(r.t);
        LONGS_EQUAL(3, sent.size());
        CHECK(sent[0].type() == PacketType::Puback);
        LONGS_EQUAL(7, sent[0].decode(v).ack.packet_id);
        CHECK(sent[1].type() == PacketType::Pubrec);
        LONGS_EQUAL(8, sent[1].decode(v).ack.packet_id);
        CHECK(sent[2].type() == PacketType::Puback);
        // [C10] [MQTT-4.3.3-10] the re-sent QoS 2 PUBLISH is acknowledged, not delivered.
        r.feed(publish(v, 2, 8, "s/a", "two", true));
        LONGS_EQUAL(3, got.size());
        sent = take_sent(r.t);
        LONGS_EQUAL(1, sent.size());
        CHECK(sent[0].type() == PacketType::Pubrec);
        r.feed(ack(PacketType::Pubrel, v, 8));
        sent = take_sent(r.t);
        CHECK(sent.at(0).type() == PacketType::Pubcomp);
        LONGS_EQUAL(8, sent[0].decode(v).ack.packet_id);
        // After PUBREL the id is free: the same id is a new message.
        r.feed(publish(v, 2, 8, "s/a", "again"));
        LONGS_EQUAL(4, got.size());
        CHECK(r.cl->connected());
    }
}

TEST(ClientPublishIn, UnknownPubrelGetsPubcomp) {
    for (Version v : kVersions) {
        Rig<> r(v);
        r.connect();
        r.feed(ack(PacketType::Pubrel, v, 33));
        auto sent = take_sent(r.t);
        LONGS_EQUAL(1, sent.size());
        const mq::Packet p = sent[0].decode(v);
        CHECK(p.type == PacketType::Pubcomp);
        if (v == Version::V5) CHECK(p.ack.reason == mq::Reason::PacketIdentifierNotFound);
        CHECK(r.cl->connected());
    }
}

TEST(ClientPublishIn, UnsubscribeStopsDelivery) {
    for (Version v : kVersions) {
        Rig<> r(v);
        std::vector<Received> got;
        r.make();
        r.cl->subscribe(B("a/#"), 1, &on_sub_msg, &got);
        r.connect();
        auto sent = take_sent(r.t);
        r.feed(suback(PacketType::Suback, v, sent.at(0).decode(v).subscribe.packet_id, Buf{1}));
        CHECK(r.cl->unsubscribe(B("a/#")) == mc::Status::Ok);
        CHECK(r.cl->unsubscribe(B("zzz")) == mc::Status::NotFound);
        r.poll();
        sent = take_sent(r.t);
        const mq::Packet u = sent.at(0).decode(v);
        CHECK(u.type == PacketType::Unsubscribe);
        r.feed(v == Version::V5 ? suback(PacketType::Unsuback, v, u.unsubscribe.packet_id, Buf{0})
                                : suback(PacketType::Unsuback, v, u.unsubscribe.packet_id, Buf{}));
        LONGS_EQUAL(1, r.count(mc::EventType::Unsubscribed));
        r.feed(publish(v, 0, 0, "a/b", "late"));
        LONGS_EQUAL(0, got.size());
        CHECK(r.cl->idle());
    }
}

TEST_GROUP(ClientSession){};

namespace {
// Connection lost after `step` of a QoS 2 flow (0: PUBLISH sent, 1: PUBREC received
// and PUBREL sent), then a reconnect with Session Present = 1.
void qos2_loss_and_resume(Version v, int step) {
    Rig<> r(v);
    r.o.clean_start = false;
    r.connect();
    CHECK(r.cl->publish(B("q/2"), B("m1"), 2, false) == mc::Status::Ok);
    CHECK(r.cl->publish(B("q/1"), B("m2"), 1, false) == mc::Status::Ok);
    r.poll();
    auto sent = take_sent(r.t);
    LONGS_EQUAL(2, sent.size());
    const std::uint16_t id2 = sent[0].decode(v).publish.packet_id;
    const std::uint16_t id1 = sent[1].decode(v).publish.packet_id;
    if (step == 1) {
        r.feed(ack(PacketType::Pubrec, v, id2));
        LONGS_EQUAL(1, take_sent(r.t).size());  // PUBREL
    }
    r.t.broken = true;  // link lost
    r.poll();
    CHECK(r.cl->state() == mc::ConnState::Backoff);
    r.reopen();
    take_sent(r.t);  // CONNECT
    r.feed(connack(v, true, 0));
    sent = take_sent(r.t);
    LONGS_EQUAL(2, sent.size());
    // [MQTT-4.4.0-1] in the original order: the QoS 2 flow first, then the QoS 1.
    const mq::Packet a = sent[0].decode(v);
    if (step == 0) {
        CHECK(a.type == PacketType::Publish);
        CHECK(a.publish.dup);  // [MQTT-3.3.1-1]
        LONGS_EQUAL(id2, a.publish.packet_id);
    } else {
        CHECK(a.type == PacketType::Pubrel);
        LONGS_EQUAL(id2, a.ack.packet_id);
    }
    const mq::Packet b = sent[1].decode(v);
    CHECK(b.type == PacketType::Publish);
    CHECK(b.publish.dup);
    LONGS_EQUAL(id1, b.publish.packet_id);
    if (step == 0) {
        r.feed(ack(PacketType::Pubrec, v, id2));
        LONGS_EQUAL(1, take_sent(r.t).size());
    }
    r.feed(ack(PacketType::Pubcomp, v, id2));
    r.feed(ack(PacketType::Puback, v, id1));
    CHECK(r.cl->idle());
    LONGS_EQUAL(2, r.count(mc::EventType::Delivered));
}
}  // namespace

TEST(ClientSession, LossAfterPublishResumesWithDup) {
    for (Version v : kVersions) qos2_loss_and_resume(v, 0);
}

TEST(ClientSession, LossAfterPubrecResumesWithPubrel) {
    for (Version v : kVersions) qos2_loss_and_resume(v, 1);
}

TEST(ClientSession, SessionLostRestartsMessagesAndResubscribes) {
    for (Version v : kVersions) {
        Rig<> r(v);
        r.o.clean_start = false;
        std::vector<Received> got;
        r.make();
        r.cl->subscribe(B("cmd"), 1, &on_sub_msg, &got);
        r.connect();
        auto sent = take_sent(r.t);
        r.feed(suback(PacketType::Suback, v, sent.at(0).decode(v).subscribe.packet_id, Buf{1}));
        r.cl->publish(B("t"), B("m"), 1, false);
        r.poll();
        sent = take_sent(r.t);
        LONGS_EQUAL(1, sent.size());
        r.t.broken = true;
        r.poll();
        r.reopen();
        take_sent(r.t);
        r.feed(connack(v, false, 0));  // broker restarted without the session
        sent = take_sent(r.t);
        LONGS_EQUAL(2, sent.size());
        CHECK(sent[0].type() == PacketType::Subscribe);  // re-subscribed
        const mq::Packet p = sent[1].decode(v);
        CHECK(p.type == PacketType::Publish);
        CHECK(!p.publish.dup);  // a new message on a new session
    }
}

TEST(ClientSession, IncomingQos2StateSurvivesResume) {
    Rig<> r(kAnyVersion);
    r.o.clean_start = false;
    r.connect();
    r.feed(publish(r.v(), 2, 5, "x", "once"));
    LONGS_EQUAL(1, r.msgs.size());
    r.t.broken = true;
    r.poll();
    r.reopen();
    take_sent(r.t);
    r.feed(connack(r.v(), true, 0));
    r.feed(publish(r.v(), 2, 5, "x", "once", true));  // re-sent with DUP
    LONGS_EQUAL(1, r.msgs.size());  // [MQTT-4.3.3-10] still exactly once
}

TEST_GROUP(ClientKeepalive){};

TEST(ClientKeepalive, PingsAndDetectsDeadBroker) {
    for (Version v : kVersions) {
        Rig<> r(v);
        r.o.keep_alive_s = 10;
        r.o.ping_timeout_ms = 3000;
        r.connect();
        r.advance(9000);
        LONGS_EQUAL(0, take_sent(r.t).size());
        r.advance(1000);  // [MQTT-3.1.2-23]
        auto sent = take_sent(r.t);
        LONGS_EQUAL(1, sent.size());
        CHECK(sent[0].type() == PacketType::Pingreq);
        r.feed(pingresp());
        r.advance(9000);
        LONGS_EQUAL(0, take_sent(r.t).size());
        r.advance(1000);
        LONGS_EQUAL(1, take_sent(r.t).size());
        r.advance(2900);
        CHECK(r.cl->connected());
        r.advance(100);  // no PINGRESP within ping_timeout_ms
        CHECK(r.cl->state() == mc::ConnState::Backoff);
        CHECK(r.cl->stats().last_error == mq::Reason::KeepAliveTimeout);
        r.reopen();
        CHECK(r.cl->state() == mc::ConnState::WaitConnack);
    }
}

TEST(ClientKeepalive, TrafficDefersThePing) {
    Rig<> r(Version::V3_1_1);
    r.o.keep_alive_s = 10;
    r.connect();
    r.advance(8000);
    r.cl->publish(B("t"), B("x"), 0, false);
    r.poll();
    take_sent(r.t);
    r.advance(8000);
    LONGS_EQUAL(0, take_sent(r.t).size());
}

TEST_GROUP(ClientOffline){};

namespace {
struct SmallQueue : mc::DefaultLimits {
    static constexpr std::size_t inflight = 2;
    static constexpr std::size_t queue_messages = 3;
    static constexpr std::size_t queue_bytes = 64;
};
}  // namespace

TEST(ClientOffline, DropOldestKeepsTheNewestAndCounts) {
    Rig<SmallQueue> r(Version::V3_1_1);
    r.o.overflow = mc::OverflowPolicy::DropOldest;
    r.make();
    for (int i = 0; i < 5; ++i) {
        const std::string p = "m" + std::to_string(i);
        CHECK(r.cl->publish(B("t"), B(p.c_str()), 1, false) == mc::Status::Ok);
    }
    LONGS_EQUAL(3, r.cl->queued());
    LONGS_EQUAL(2, r.cl->stats().dropped);
    LONGS_EQUAL(2, r.count(mc::EventType::Dropped));
    r.connect();
    auto sent = take_sent(r.t);
    LONGS_EQUAL(2, sent.size());  // window of 2
    STRCMP_EQUAL("m2", S(sent[0].decode(Version::V3_1_1).publish.payload).c_str());
    STRCMP_EQUAL("m3", S(sent[1].decode(Version::V3_1_1).publish.payload).c_str());
    r.feed(ack(PacketType::Puback, Version::V3_1_1, sent[0].decode(Version::V3_1_1).publish.packet_id));
    sent = take_sent(r.t);
    LONGS_EQUAL(1, sent.size());
    STRCMP_EQUAL("m4", S(sent[0].decode(Version::V3_1_1).publish.payload).c_str());
}

TEST(ClientOffline, RefuseNewestKeepsTheQueue) {
    Rig<SmallQueue> r(kAnyVersion);
    r.o.overflow = mc::OverflowPolicy::RefuseNewest;
    r.make();
    for (int i = 0; i < 3; ++i) CHECK(r.cl->publish(B("t"), B("x"), 1, false) == mc::Status::Ok);
    CHECK(r.cl->publish(B("t"), B("y"), 1, false) == mc::Status::QueueFull);
    LONGS_EQUAL(1, r.cl->stats().refused);
    LONGS_EQUAL(0, r.cl->stats().dropped);
    // Byte limit too: 64 bytes of topic+payload.
    Rig<SmallQueue> q(kAnyVersion);
    q.o.overflow = mc::OverflowPolicy::RefuseNewest;
    q.make();
    std::string p(40, 'p');
    CHECK(q.cl->publish(B("t"), B(p.c_str()), 0, false) == mc::Status::Ok);
    CHECK(q.cl->publish(B("t"), B(p.c_str()), 0, false) == mc::Status::QueueFull);
}

TEST(ClientOffline, InFlightMessagesAreNeverDropped) {
    Rig<SmallQueue> r(Version::V3_1_1);
    r.connect();
    r.cl->publish(B("t"), B("a"), 1, false);
    r.cl->publish(B("t"), B("b"), 1, false);
    r.poll();
    LONGS_EQUAL(2, take_sent(r.t).size());
    r.cl->publish(B("t"), B("c"), 1, false);
    r.cl->publish(B("t"), B("d"), 1, false);  // drops "c", the only one not in flight
    LONGS_EQUAL(3, r.cl->queued());
    LONGS_EQUAL(1, r.cl->stats().dropped);
}

TEST_GROUP(ClientStop){};

TEST(ClientStop, DisconnectSendsDisconnectAndStaysDown) {
    for (Version v : kVersions) {
        Rig<> r(v);
        r.connect();
        r.cl->disconnect();
        r.poll();
        auto sent = take_sent(r.t);
        LONGS_EQUAL(1, sent.size());
        CHECK(sent[0].type() == PacketType::Disconnect);
        CHECK(r.cl->state() == mc::ConnState::Idle);
        LONGS_EQUAL(1, r.t.closes);
        r.advance(60000);
        LONGS_EQUAL(1, r.t.opens);
    }
}

#if MOTE_MQTT_V5  // Maximum QoS, Retain Available and ack reason codes are 5.0 only
TEST_GROUP(ClientV5Limits){};

TEST(ClientV5Limits, MaximumQosAndRetainAvailableAreApplied) {
    Rig<> r(Version::V5);
    std::uint8_t pb[16];
    mq::PropertyBuilder b(pb, sizeof pb);
    b.add_byte(mq::PropertyId::MaximumQos, 1).add_byte(mq::PropertyId::RetainAvailable, 0);
    r.connect(false, b.view());
    CHECK(r.cl->publish(B("t"), B("x"), 2, true) == mc::Status::Ok);
    r.poll();
    const auto sent = take_sent(r.t);
    LONGS_EQUAL(1, sent.size());
    const mq::Packet p = sent[0].decode(Version::V5);
    LONGS_EQUAL(1, p.publish.qos);  // [MQTT-3.2.2-11] no QoS above Maximum QoS
    CHECK(!p.publish.retain);       // [MQTT-3.2.2-14] no retain when not available
    r.feed(ack(PacketType::Puback, Version::V5, p.publish.packet_id));
    CHECK(r.cl->idle());
}

TEST(ClientV5Limits, PubackFailureCodeEndsTheFlowAndIsReported) {
    Rig<> r(Version::V5);
    r.connect();
    r.cl->publish(B("t"), B("x"), 1, false);
    r.poll();
    const std::uint16_t id = take_sent(r.t).at(0).decode(Version::V5).publish.packet_id;
    r.feed(ack(PacketType::Puback, Version::V5, id, mq::Reason::NotAuthorized));
    CHECK(r.cl->connected());
    CHECK(r.cl->idle());
    CHECK(r.events.back().type == mc::EventType::Delivered);
    CHECK(r.events.back().reason == mq::Reason::NotAuthorized);
}

TEST(ClientV5Limits, PubrecFailureCodeEndsTheQos2FlowWithoutPubrel) {
    Rig<> r(Version::V5);
    r.connect();
    r.cl->publish(B("t"), B("x"), 2, false);
    r.poll();
    const std::uint16_t id = take_sent(r.t).at(0).decode(Version::V5).publish.packet_id;
    r.feed(ack(PacketType::Pubrec, Version::V5, id, mq::Reason::QuotaExceeded));
    LONGS_EQUAL(0, take_sent(r.t).size());  // [MQTT-4.3.3-4]: no PUBREL
    CHECK(r.cl->idle());
}
#endif

TEST(ClientKeepalive, ZeroDisablesPings) {
    Rig<> r(Version::V3_1_1);
    r.o.keep_alive_s = 0;
    r.connect();
    r.advance(3600000);
    LONGS_EQUAL(0, take_sent(r.t).size());
    CHECK(r.cl->connected());
}

TEST(ClientConnect, BackoffGrowsAcrossFailedAttemptsAndResetsAfterConnack) {
    Rig<> r(Version::V3_1_1);
    r.t.open_result = -1;
    r.o.backoff_min_ms = 100;
    r.o.backoff_max_ms = 800;
    r.make().start();
    r.poll();
    // Gaps between attempts: each at least half the doubled delay, capped at 800.
    std::vector<std::uint32_t> gaps;
    std::uint32_t last = r.c.t;
    int opens = r.t.opens;
    while (gaps.size() < 6) {
        r.advance(10);
        if (r.t.opens != opens) {
            gaps.push_back(r.c.t - last);
            last = r.c.t;
            opens = r.t.opens;
        }
    }
    const std::uint32_t lo[] = {50, 100, 200, 400, 400, 400};
    const std::uint32_t hi[] = {110, 210, 410, 810, 810, 810};
    for (std::size_t i = 0; i < gaps.size(); ++i) {
        CHECK(gaps[i] >= lo[i]);
        CHECK(gaps[i] <= hi[i]);
    }
}

TEST(ClientStop, StuckLinkIsClosedAfterTheTimeout) {
    Rig<> r(kAnyVersion);
    r.o.connect_timeout_ms = 2000;
    r.connect();
    r.t.stall_send = true;  // the link takes nothing from now on
    r.cl->disconnect();
    r.advance(1000);
    CHECK(r.cl->state() == mc::ConnState::Closing);
    r.advance(1000);
    CHECK(r.cl->state() == mc::ConnState::Idle);
    LONGS_EQUAL(1, r.t.closes);
    CHECK(r.events.back().type == mc::EventType::Disconnected);
}

// Options a bridge needs of the client (broker/src/bridge uses it upstream).
TEST_GROUP(ClientBridgeOptions){};

TEST(ClientBridgeOptions, SubscribeOptionsGoOutIn5AndOnlyTheQosIn311) {
    for (Version v : kVersions) {
        Rig<> r(v);
        std::vector<Received> got;
        r.make();
        mq::SubscribeOptions so;
        so.qos = 1;
        so.no_local = true;
        so.retain_as_published = true;
        so.retain_handling = 1;
        CHECK(r.cl->subscribe(B("s/#"), so, &on_sub_msg, &got) == mc::Status::Ok);
        r.connect();
        auto sent = take_sent(r.t);
        LONGS_EQUAL(1, sent.size());
        // The options byte is the SUBSCRIBE's last byte (§3.8.3.1); 3.1.1 has only
        // the QoS there [MQTT-3.8.3-4].
        LONGS_EQUAL(v == Version::V5 ? 0x1D : 0x01, sent[0].body.back());
    }
    Rig<> bad(kAnyVersion);
    mq::SubscribeOptions rh3;
    rh3.retain_handling = 3;
    CHECK(bad.make().subscribe(B("s/#"), rh3, &on_sub_msg, nullptr) == mc::Status::InvalidQos);
}

TEST(ClientBridgeOptions, BridgeBitOn311Connect) {
    // mosquitto's try_private: Protocol Level 0x84 instead of 4.
    Rig<> r(Version::V3_1_1);
    r.o.bridge = true;
    r.make().start();
    r.poll();
    auto sent = take_sent(r.t);
    LONGS_EQUAL(1, sent.size());
    LONGS_EQUAL(0x84, sent[0].body[6]);  // body: 00 04 'M' 'Q' 'T' 'T', then the level
    CHECK(sent[0].decode(Version::V3_1_1).connect.bridge);
}

#if MOTE_MQTT_V5
TEST(ClientBridgeOptions, ReceiveMaximumOptionAnnouncesLessNeverMore) {
    for (std::uint16_t want : {std::uint16_t{2}, std::uint16_t{60000}}) {
        Rig<> r(Version::V5);
        r.o.receive_maximum = want;
        r.make().start();
        r.poll();
        auto sent = take_sent(r.t);
        const mq::Packet p = sent[0].decode(Version::V5);
        const std::uint32_t expect = want < mc::DefaultLimits::inflight ? want : mc::DefaultLimits::inflight;
        LONGS_EQUAL(expect, p.connect.props.number(mq::PropertyId::ReceiveMaximum, 0));
    }
}
#endif
