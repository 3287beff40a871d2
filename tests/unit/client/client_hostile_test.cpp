// The hostile-broker bank: HOSTILE_INPUTS.md section 5, rows C1-C14, for the rows
// that apply to each protocol version; and every input delivered in every split.
// The 3.1.1-only build runs the 3.1.1 rows; the 5.0-only rows are compiled out.
#include <iterator>

#include <CppUTest/TestHarness.h>

#include "client_support.hpp"

using namespace client_test;
using mq::PacketType;
using mq::Reason;
using mq::Version;

namespace {

// The client closed the link and waits to reconnect; on 5.0 the last thing it wrote
// was DISCONNECT with `reason` (when `reason` is not Success).
template <class R>
void expect_closed(R& r, Reason reason, int line) {
    CHECK_TEXT(r.cl->state() == mc::ConnState::Backoff, StringFromFormat("line %d", line).asCharString());
    CHECK_TEXT(!r.t.is_open, StringFromFormat("line %d", line).asCharString());
    if (r.v() == Version::V5 && reason != Reason::Success) {
        const auto sent = take_sent(r.t);
        CHECK_TEXT(!sent.empty(), StringFromFormat("line %d: no DISCONNECT", line).asCharString());
        const mq::Packet p = sent.back().decode(Version::V5);
        CHECK_TEXT(p.type == PacketType::Disconnect, StringFromFormat("line %d", line).asCharString());
        LONGS_EQUAL_TEXT(static_cast<int>(reason), static_cast<int>(p.disconnect.reason),
                         StringFromFormat("line %d", line).asCharString());
    }
    // It comes back: backoff, then a new CONNECT.
    r.reopen();
    CHECK_TEXT(r.cl->state() == mc::ConnState::WaitConnack, StringFromFormat("line %d", line).asCharString());
}
#define EXPECT_CLOSED(r, reason) expect_closed(r, reason, __LINE__)

std::uint16_t subscribe_one(Rig<>& r, const char* filter) {
    r.cl->subscribe(B(filter), 1, nullptr, nullptr);
    r.poll();
    const auto sent = take_sent(r.t);
    return sent.at(0).decode(r.v()).subscribe.packet_id;
}

}  // namespace

TEST_GROUP(ClientHostile){};

// C1: Remaining Length in 5 bytes; Remaining Length above the receive buffer. Both
// are refused from the fixed header alone [MQTT-1.5.5-1].
TEST(ClientHostile, C1_RemainingLength) {
    for (Version v : kVersions) {
        Rig<> r(v);
        r.connect();
        r.feed(Buf{0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F});
        EXPECT_CLOSED(r, Reason::MalformedPacket);
        Rig<> q(v);
        q.connect();
        // 16383 bytes announced; only the header is sent: nothing is waited for.
        q.feed(Buf{0x30, 0xFF, 0x7F});
        EXPECT_CLOSED(q, Reason::PacketTooLarge);
    }
}

// C2: PUBLISH topic length beyond the packet; 5.0 property length beyond the packet.
TEST(ClientHostile, C2_PublishLengthsBeyondThePacket) {
    for (Version v : kVersions) {
        Rig<> r(v);
        r.connect();
        r.feed(Buf{0x30, 0x05, 0x00, 0x10, 'a', 'b', 'c'});
        EXPECT_CLOSED(r, Reason::MalformedPacket);
    }
#if MOTE_MQTT_V5  // PUBLISH properties exist in 5.0 only
    Rig<> r(Version::V5);
    r.connect();
    r.feed(Buf{0x30, 0x05, 0x00, 0x01, 'a', 0x05, 0x01});
    EXPECT_CLOSED(r, Reason::MalformedPacket);
#endif
    // QoS 1 PUBLISH too short for its packet id.
    Rig<> q(Version::V3_1_1);
    q.connect();
    q.feed(Buf{0x32, 0x04, 0x00, 0x01, 'a', 0x00});
    EXPECT_CLOSED(q, Reason::MalformedPacket);
}

// C3: SUBACK with no reason code, or more than requested [MQTT-3.8.4-6].
TEST(ClientHostile, C3_SubackCount) {
    for (Version v : kVersions) {
        Rig<> r(v);
        r.connect();
        const std::uint16_t id = subscribe_one(r, "a/b");
        const auto hi = static_cast<std::uint8_t>(id >> 8), lo = static_cast<std::uint8_t>(id & 0xFF);
        if (v == Version::V5) {
            r.feed(Buf{0x90, 0x03, hi, lo, 0x00});  // no codes
        } else {
            r.feed(Buf{0x90, 0x02, hi, lo});
        }
        CHECK(r.cl->state() == mc::ConnState::Backoff);
        CHECK(!r.t.is_open);
        CHECK(r.count(mc::EventType::Subscribed) == 0);

        Rig<> q(v);
        q.connect();
        const std::uint16_t id2 = subscribe_one(q, "a/b");
        q.feed(suback(PacketType::Suback, v, id2, Buf{1, 1}));
        EXPECT_CLOSED(q, Reason::ProtocolError);
        CHECK(q.count(mc::EventType::Subscribed) == 0);
    }
}

#if MOTE_MQTT_V5  // SUBACK properties exist in 5.0 only
// C4: SUBACK/UNSUBACK Property Length beyond the end.
TEST(ClientHostile, C4_SubackPropertyLength) {
    Rig<> r(Version::V5);
    r.connect();
    const std::uint16_t id = subscribe_one(r, "x");
    r.feed(Buf{0x90, 0x04, static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id), 0x09, 0x00});
    EXPECT_CLOSED(r, Reason::MalformedPacket);
}
#endif

// C5: CONNACK short, long, reserved flags, unknown code.
TEST(ClientHostile, C5_ConnackOddities) {
    struct Row {
        Version v;
        Buf bytes;
    };
    const Row rows[] = {
        {Version::V3_1_1, {0x20, 0x01, 0x00}},
        {Version::V3_1_1, {0x20, 0x03, 0x00, 0x00, 0x00}},
        {Version::V3_1_1, {0x20, 0x02, 0x02, 0x00}},        // [MQTT-3.2.2-1] reserved flags
        {Version::V3_1_1, {0x20, 0x02, 0x00, 0x06}},        // return code 6 is reserved
        {Version::V3_1_1, {0x21, 0x02, 0x00, 0x00}},        // reserved fixed-header flags
#if MOTE_MQTT_V5  // the 5.0 CONNACK rows
        {Version::V5, {0x20, 0x01, 0x00}},
        {Version::V5, {0x20, 0x03, 0x02, 0x00, 0x00}},
        {Version::V5, {0x20, 0x03, 0x00, 0x01, 0x00}},      // [MQTT-3.2.2-8] unknown code
        {Version::V5, {0x20, 0x03, 0x00, 0xFF, 0x00}},
        {Version::V5, {0x20, 0x04, 0x00, 0x00, 0x00, 0x00}},  // long
#endif
    };
    for (const Row& row : rows) {
        Rig<> r(row.v);
        r.make().start();
        r.poll();
        take_sent(r.t);
        r.feed(row.bytes);
        CHECK(!r.cl->connected());
        CHECK(r.cl->state() == mc::ConnState::Backoff);
        CHECK(r.count(mc::EventType::Connected) == 0);
        CHECK(mq::is_error(r.cl->stats().last_error));
    }
}

// C6: Session Present with Clean Start [MQTT-3.2.2-1] (3.1.1) / [MQTT-3.2.2-2] (5.0).
TEST(ClientHostile, C6_SessionPresentWithCleanStart) {
    for (Version v : kVersions) {
        Rig<> r(v);
        r.o.clean_start = true;
        r.make().start();
        r.poll();
        take_sent(r.t);
        r.feed(connack(v, true, 0));
        CHECK(r.count(mc::EventType::Connected) == 0);
        EXPECT_CLOSED(r, Reason::ProtocolError);
    }
}

#if MOTE_MQTT_V5  // C7, C8, C9: Maximum Packet Size, Topic Alias, Receive Maximum are 5.0 only
// C7: PUBLISH larger than our Maximum Packet Size [MQTT-3.1.2-24] -> DISCONNECT 0x95.
TEST(ClientHostile, C7_PublishAboveMaximumPacketSize) {
    Rig<> r(Version::V5);
    r.connect();
    std::string payload(600, 'x');
    r.feed(publish(Version::V5, 0, 0, "big", payload.c_str()));
    LONGS_EQUAL(0, r.msgs.size());
    EXPECT_CLOSED(r, Reason::PacketTooLarge);
}

// C8: Topic Alias 0, or above our Topic Alias Maximum (0: we accept none).
TEST(ClientHostile, C8_TopicAlias) {
    for (int a : {0, 1, 65535}) {
        const auto alias = static_cast<std::uint16_t>(a);
        Rig<> r(Version::V5);
        r.connect();
        std::uint8_t pb[8];
        // The builder writes alias 0 as asked; the decoder must refuse it.
        mq::PropertyBuilder b(pb, sizeof pb);
        b.add_u16(mq::PropertyId::TopicAlias, alias);
        r.feed(publish(Version::V5, 0, 0, "t", "x", false, b.view()));
        LONGS_EQUAL(0, r.msgs.size());
        EXPECT_CLOSED(r, Reason::TopicAliasInvalid);
    }
}

// C9: more QoS 2 PUBLISH unacknowledged than our Receive Maximum [MQTT-3.3.4-9].
TEST(ClientHostile, C9_ReceiveMaximumExceeded) {
    Rig<> r(Version::V5);
    r.connect();
    for (std::uint16_t id = 1; id <= mc::DefaultLimits::inflight; ++id) r.feed(publish(Version::V5, 2, id, "t", "x"));
    CHECK(r.cl->connected());
    r.feed(publish(Version::V5, 2, 100, "t", "x"));
    LONGS_EQUAL(mc::DefaultLimits::inflight, r.msgs.size());
    // The PUBRECs went out before; DISCONNECT 0x93 is last.
    EXPECT_CLOSED(r, Reason::ReceiveMaximumExceeded);
}
#endif

// C9 on 3.1.1, which has no Receive Maximum to announce: a QoS 2 PUBLISH beyond the
// incoming table still closes the link rather than being delivered without the state
// that keeps it exactly once.
TEST(ClientHostile, C9_Qos2TableFull311) {
    Rig<> r(Version::V3_1_1);
    r.connect();
    for (std::uint16_t id = 1; id <= mc::DefaultLimits::inflight; ++id) {
        r.feed(publish(Version::V3_1_1, 2, id, "t", "x"));
    }
    CHECK(r.cl->connected());
    r.feed(publish(Version::V3_1_1, 2, 100, "t", "x"));
    LONGS_EQUAL(mc::DefaultLimits::inflight, r.msgs.size());
    CHECK(r.cl->stats().last_error == Reason::ImplementationSpecificError);
    EXPECT_CLOSED(r, Reason::ImplementationSpecificError);
}

// C10 is in client_flows_test.cpp (QoS 2 duplicate delivered once).

// C11: unsolicited and unknown-id acks are ignored; the flows are untouched.
TEST(ClientHostile, C11_UnknownIdAcksIgnored) {
    for (Version v : kVersions) {
        Rig<> r(v);
        r.connect();
        r.cl->publish(B("t"), B("x"), 1, false);
        r.poll();
        const auto sent = take_sent(r.t);
        const std::uint16_t id = sent.at(0).decode(v).publish.packet_id;
        const std::uint16_t other = static_cast<std::uint16_t>(id + 100);
        r.feed(ack(PacketType::Puback, v, other));
        r.feed(ack(PacketType::Pubcomp, v, other));
        r.feed(ack(PacketType::Pubrec, v, other));
        r.feed(suback(PacketType::Suback, v, other, Buf{0}));
        r.feed(v == Version::V5 ? suback(PacketType::Unsuback, v, other, Buf{0})
                                : suback(PacketType::Unsuback, v, other, Buf{}));
        CHECK(r.cl->connected());
        LONGS_EQUAL(5, r.cl->stats().ignored_acks);
        LONGS_EQUAL(1, r.cl->queued());  // still in flight
        r.feed(ack(PacketType::Puback, v, id));
        CHECK(r.cl->idle());
        LONGS_EQUAL(1, r.count(mc::EventType::Delivered));
    }
}

// C11, wrong-type flow: PUBREC or PUBCOMP for a QoS 1 id -> 0x82.
TEST(ClientHostile, C11_WrongFlowAck) {
    for (PacketType t : {PacketType::Pubrec, PacketType::Pubcomp}) {
        for (Version v : kVersions) {
            Rig<> r(v);
            r.connect();
            r.cl->publish(B("t"), B("x"), 1, false);
            r.poll();
            const std::uint16_t id = take_sent(r.t).at(0).decode(v).publish.packet_id;
            r.feed(ack(t, v, id));
            EXPECT_CLOSED(r, Reason::ProtocolError);
            LONGS_EQUAL(1, r.cl->queued());  // the message is kept for the next connection
        }
    }
}

#if MOTE_MQTT_V5  // Request Problem Information and Reason String are 5.0 only
// C12: Reason String / User Property on an ack after Request Problem Information 0.
TEST(ClientHostile, C12_ProblemInformationRefused) {
    std::uint8_t pb[32];
    mq::PropertyBuilder b(pb, sizeof pb);
    b.add_string(mq::PropertyId::ReasonString, B("why"));
    for (bool rpi : {true, false}) {
        Rig<> r(Version::V5);
        r.o.request_problem_info = rpi;
        r.connect();
        r.cl->publish(B("t"), B("x"), 1, false);
        r.poll();
        const std::uint16_t id = take_sent(r.t).at(0).decode(Version::V5).publish.packet_id;
        r.feed(ack(PacketType::Puback, Version::V5, id, Reason::Success, b.view()));
        if (rpi) {
            CHECK(r.cl->connected());
            CHECK(r.cl->idle());
        } else {
            EXPECT_CLOSED(r, Reason::ProtocolError);
        }
    }
}
#endif

// C13: the broker drips one byte per second and CONNACK never completes: the
// connect times out; once connected, a missing PINGRESP ends the connection even if
// bytes keep dripping.
TEST(ClientHostile, C13_DripFeed) {
    Rig<> r(Version::V3_1_1);
    r.o.connect_timeout_ms = 5000;
    r.make().start();
    r.poll();
    const Buf slow{0x20, 0x7F};  // a CONNACK announcing 127 bytes
    for (int s = 0; s < 4; ++s) {
        if (static_cast<std::size_t>(s) < slow.size()) r.t.push(Buf{slow[static_cast<std::size_t>(s)]});
        else r.t.push(Buf{0x00});
        r.advance(1000);
        CHECK(r.cl->state() == mc::ConnState::WaitConnack);
    }
    r.advance(1000);
    CHECK(r.cl->state() == mc::ConnState::Backoff);

    Rig<> k(kAnyVersion);
    k.o.keep_alive_s = 5;
    k.o.ping_timeout_ms = 4000;
    k.connect();
    k.t.push(Buf{0x30, 0x7F});
    for (int s = 0; s < 9 && k.cl->connected(); ++s) {
        k.t.push(Buf{0x00});
        k.advance(1000);
    }
    CHECK(k.cl->state() == mc::ConnState::Backoff);
    CHECK(k.cl->stats().last_error == Reason::KeepAliveTimeout);
}

#if MOTE_MQTT_V5  // properties exist in 5.0 only
// C14: unknown property id; property not allowed in that packet.
TEST(ClientHostile, C14_BadProperties) {
    struct Row {
        Buf bytes;
        Reason reason;
    };
    const Row rows[] = {
        {{0x40, 0x06, 0x00, 0x01, 0x00, 0x02, 0x7F, 0x00}, Reason::MalformedPacket},
        {{0x40, 0x06, 0x00, 0x01, 0x00, 0x02, 0x29, 0x01}, Reason::ProtocolError},
    };
    for (const Row& row : rows) {
        Rig<> r(Version::V5);
        r.connect();
        r.feed(row.bytes);
        CHECK(r.cl->state() == mc::ConnState::Backoff);
        CHECK(r.cl->stats().last_error == Reason::MalformedPacket || r.cl->stats().last_error == Reason::ProtocolError);
        r.reopen();
        CHECK(r.cl->state() == mc::ConnState::WaitConnack);
    }
}
#endif

// Packets a server never sends, a second CONNACK, and a first packet that is not
// CONNACK [MQTT-3.2.0-1] close the connection.
TEST(ClientHostile, PacketsAServerNeverSends) {
    const Buf rows[] = {
        {0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00},  // SUBSCRIBE
        {0xC0, 0x00},                                      // PINGREQ
        {0x00, 0x00},                                      // reserved type 0
        {0x20, 0x02, 0x00, 0x00},                          // second CONNACK (3.1.1 form)
        {0xE0, 0x00},                                      // DISCONNECT (not in 3.1.1)
    };
    for (const Buf& b : rows) {
        Rig<> r(Version::V3_1_1);
        r.connect();
        r.feed(b);
        CHECK(r.cl->state() == mc::ConnState::Backoff);
    }
    Rig<> r(kAnyVersion);
    r.make().start();
    r.poll();
    take_sent(r.t);
    r.feed(publish(r.v(), 0, 0, "t", "before connack"));
    LONGS_EQUAL(0, r.msgs.size());
    CHECK(r.cl->state() == mc::ConnState::Backoff);
}

#if MOTE_MQTT_V5  // a server sends DISCONNECT in 5.0 only (3.1.1: PacketsAServerNeverSends)
TEST(ClientHostile, V5ServerDisconnectReconnects) {
    Rig<> r(Version::V5);
    r.connect();
    r.feed(Buf{0xE0, 0x01, 0x8B});  // Server shutting down
    CHECK(r.cl->state() == mc::ConnState::Backoff);
    CHECK(r.cl->stats().last_error == Reason::ServerShuttingDown);
    LONGS_EQUAL(0, take_sent(r.t).size());  // no DISCONNECT back
    r.reopen();
    CHECK(r.cl->state() == mc::ConnState::WaitConnack);
}
#endif

// Random garbage after CONNACK, in random splits: the client never reads or writes
// out of bounds (ASan build), never loops, and ends connected or backing off.
TEST(ClientHostile, RandomGarbageNeverBreaksTheClient) {
    std::uint32_t seed = 7;
    for (int round = 0; round < 300; ++round) {
        Rig<> r(kVersions[static_cast<std::size_t>(round) % std::size(kVersions)]);
        r.t.random_split = true;
        r.t.rng = seed;
        r.connect();
        Buf junk(static_cast<std::size_t>(1 + round % 64));
        for (auto& x : junk) {
            seed = seed * 1664525u + 1013904223u;
            x = static_cast<std::uint8_t>(seed >> 24);
        }
        r.feed(junk);
        r.advance(100);
        CHECK(r.cl->state() == mc::ConnState::Connected || r.cl->state() == mc::ConnState::Backoff ||
              r.cl->state() == mc::ConnState::WaitConnack || r.cl->state() == mc::ConnState::Opening);
    }
}

TEST_GROUP(ClientSplits){};

namespace {
// One whole conversation; the broker's bytes arrive in the given split.
void conversation(Version v, std::size_t split, bool random_split) {
    Rig<> r(v);
    r.t.split = split;
    r.t.random_split = random_split;
    std::vector<Received> got;
    r.make();
    r.cl->subscribe(B("in/#"), 2, [](void* u, const mc::Message& m) {
        static_cast<std::vector<Received>*>(u)->push_back({S(m.topic), S(m.payload), m.qos, m.dup});
    }, &got);
    r.cl->publish(B("out"), B("o2"), 2, false);
    r.connect();
    const auto first = take_sent(r.t);
    LONGS_EQUAL(2, first.size());
    const std::uint16_t sub_id = first[0].decode(v).subscribe.packet_id;
    const std::uint16_t out_id = first[1].decode(v).publish.packet_id;
    Buf stream;
    auto add = [&](const Buf& b) { stream.insert(stream.end(), b.begin(), b.end()); };
    add(suback(PacketType::Suback, v, sub_id, Buf{2}));
    add(publish(v, 0, 0, "in/a", "zero"));
    add(publish(v, 1, 10, "in/b", "one"));
    add(publish(v, 2, 11, "in/c", std::string(300, 'z').c_str()));
    add(ack(PacketType::Pubrel, v, 11));
    add(ack(PacketType::Pubrec, v, out_id));
    add(ack(PacketType::Pubcomp, v, out_id));
    add(pingresp());
    r.feed(stream);
    CHECK(r.cl->connected());
    LONGS_EQUAL(3, got.size());
    STRCMP_EQUAL("zero", got[0].payload.c_str());
    STRCMP_EQUAL("one", got[1].payload.c_str());
    LONGS_EQUAL(300, got[2].payload.size());
    const auto replies = take_sent(r.t);
    LONGS_EQUAL(4, replies.size());
    CHECK(replies[0].type() == PacketType::Puback);
    CHECK(replies[1].type() == PacketType::Pubrec);
    CHECK(replies[2].type() == PacketType::Pubcomp);
    CHECK(replies[3].type() == PacketType::Pubrel);
    CHECK(r.cl->idle());
    LONGS_EQUAL(1, r.count(mc::EventType::Delivered));
}
}  // namespace

TEST(ClientSplits, EverySplitSize) {
    for (Version v : kVersions) {
        for (std::size_t split = 1; split <= 40; ++split) conversation(v, split, false);
        conversation(v, 0, false);
    }
}

TEST(ClientSplits, RandomChunks) {
    for (Version v : kVersions) {
        for (int i = 0; i < 20; ++i) conversation(v, 0, true);
    }
}
