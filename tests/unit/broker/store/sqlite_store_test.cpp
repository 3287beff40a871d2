// The SQLite store across restarts: state written, engine and store destroyed (as
// by kill -9 after the last commit), a new engine restored from the same file
// behaves as the old one would have. Also strict durability's commit barrier, a
// full disk, and damaged databases at start-up.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include <sqlite3.h>

#include "broker/engine/engine_support.hpp"
#include "store/sqlite_store.hpp"

#include <CppUTest/TestHarness.h>

using namespace mote::broker;
using namespace mote::broker::test;
using mote::mqtt::PacketType;
using mote::mqtt::PropertyId;
using mote::mqtt::Version;

namespace {

std::string temp_db() {
    static int serial = 0;
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/mote-store-test-" +
           std::to_string(::getpid()) + "-" + std::to_string(++serial) + ".db";
}

void remove_db(const std::string& path) {
    for (const char* ext : {"", "-wal", "-shm"}) std::remove((path + ext).c_str());
}

// One broker "process": a store opened from `path` and an engine on it. The wall
// clock and the engine clock are the test's to move.
struct Node {
    Node(const std::string& path, const BrokerConfig& c, Millis now, std::int64_t* wall) : cfg(c) {
        std::string err;
        log.configure(cfg, err);
        store = std::make_unique<store::SqliteStore>();
        store->set_wall_clock([wall] { return *wall; });
        ok = store->open(path, cfg, now, error);
        if (ok) engine = std::make_unique<Engine>(cfg, log, io, now, store.get());
    }
    ~Node() {
        engine.reset();
        store.reset();
    }
    BrokerConfig cfg;
    Logger log;
    FakeIo io;
    std::unique_ptr<store::SqliteStore> store;
    std::unique_ptr<Engine> engine;
    bool ok = false;
    std::string error;
};

}  // namespace

TEST_GROUP(SqliteStore) {
    std::string path;
    std::int64_t wall = 1'800'000'000'000;  // ms since the epoch
    Millis now = 5'000'000;
    BrokerConfig cfg;
    std::unique_ptr<Node> n;

    void setup() override {
        path = temp_db();
        remove_db(path);
        cfg = Harness::default_config();
        cfg.persistence = true;
        start();
    }
    void teardown() override {
        n.reset();
        remove_db(path);
    }
    void start() {
        n = std::make_unique<Node>(path, cfg, now, &wall);
        CHECK_TEXT(n->ok, n->error.c_str());
    }
    // kill -9 after the last commit, then a new process: the engine clock starts
    // somewhere else (monotonic clocks do not survive a reboot), the wall clock
    // moves on by `down_ms`.
    void restart(std::int64_t down_ms = 1000) {
        n.reset();
        wall += down_ms;
        now = 77'000;
        start();
    }
    void commit() {
        const store::CommitResult r = n->store->commit(now);
        n->engine->on_commit(r.ok, r.failure, now);
    }
    void open(ConnectionId id) {
        PeerInfo peer;
        peer.address = "127.0.0.1:1";
        n->engine->on_open(id, peer, now);
    }
    // Feeds whole packets, committing after each one (one loop turn per packet).
    void feed(ConnectionId id, const Buf& bytes) {
        std::size_t off = 0;
        while (off < bytes.size()) {
            const mote::mqtt::Bytes rest(bytes.data() + off, bytes.size() - off);
            const mote::mqtt::FixedHeader h = mote::mqtt::parse_fixed_header(rest, 1u << 28);
            n->engine->on_packet(id, h.first_byte, rest.sub(h.header_size, h.remaining_length), h.total_size(), now);
            commit();
            off += h.total_size();
        }
    }
    // Connects; returns the CONNACK's Session Present flag.
    bool connect(ConnectionId id, const ConnectOpts& o) {
        open(id);
        feed(id, connect_pkt(o));
        const std::vector<Buf> s = n->io.sent(id);
        CHECK_TEXT(!s.empty() && s[0][0] == 0x20 && s[0][3] == 0x00, "CONNECT refused");
        return s[0][2] == 1;
    }
    void advance(Millis ms) {
        now += ms;
        wall += static_cast<std::int64_t>(ms);
        n->engine->tick(now);
        commit();
    }
    std::vector<std::unique_ptr<Decoded>> publishes(ConnectionId id, Version v) {
        std::vector<std::unique_ptr<Decoded>> out;
        for (const Buf& b : n->io.sent(id)) {
            if ((b[0] >> 4) == 3) out.push_back(decode_sent(b, v));
        }
        return out;
    }
};

TEST(SqliteStore, OfflineQueueAndSubscriptionsSurviveRestart) {
    ConnectOpts sub = co(5, "sub", false);
    sub.props = W().u8(0x11).u32(3600).b;  // Session Expiry 1 h
    connect(1, sub);
    // Subscription Identifier 7, QoS 2, No Local.
    feed(1, subscribe_pkt(5, 1, {{"t/#", 0x06}}, W().u8(0x0B).varint(7).b));
    feed(1, disconnect_pkt(5));
    connect(2, co(4, "pub"));
    feed(2, publish_pkt(4, 1, "t/1", "one", 1));
    feed(2, publish_pkt(4, 2, "t/2", "two", 2));
    feed(2, hex("62 02 00 02"));  // PUBREL: QoS 2 is passed on at its release
    feed(2, publish_pkt(4, 0, "t/3", "zero"));  // QoS 0: not queued for an offline session
    restart();
    sub.clean = false;
    CHECK(connect(3, sub));  // Session Present [MQTT-3.2.2-2]
    auto p = publishes(3, Version::V5);
    LONGS_EQUAL(2, p.size());
    STRCMP_EQUAL("t/1", topic_of(*p[0]).c_str());
    LONGS_EQUAL(1, p[0]->p.publish.qos);
    STRCMP_EQUAL("t/2", topic_of(*p[1]).c_str());
    LONGS_EQUAL(2, p[1]->p.publish.qos);
    LONGS_EQUAL(7, p[1]->p.publish.props.number(PropertyId::SubscriptionIdentifier, 0));
    // The restored subscription routes new messages, with its options.
    n->io.clear();
    feed(3, publish_pkt(5, 0, "t/own", "x"));  // No Local: not back to the publisher
    LONGS_EQUAL(0, publishes(3, Version::V5).size());
    connect(4, co(4, "pub2"));
    feed(4, publish_pkt(4, 1, "t/9", "nine", 5));
    p = publishes(3, Version::V5);
    LONGS_EQUAL(1, p.size());
    LONGS_EQUAL(7, p[0]->p.publish.props.number(PropertyId::SubscriptionIdentifier, 0));
}

TEST(SqliteStore, PartlyDrainedQueueResumesWithoutLossOrRepeat) {
    // Queued deliveries are rows of their own: popped ones are deleted from the
    // front, new ones appended; a restart sees exactly what was left.
    cfg.max_inflight_messages = 2;
    restart();
    connect(1, co(4, "sub", false));
    feed(1, subscribe_pkt(4, 1, {{"q", 1}}));
    feed(1, disconnect_pkt(4));
    connect(2, co(4, "pub"));
    for (int i = 0; i < 6; ++i) feed(2, publish_pkt(4, 1, "q", "m" + std::to_string(i), static_cast<std::uint16_t>(i + 1)));
    n->io.clear();
    CHECK(connect(3, co(4, "sub", false)));
    auto p = publishes(3, Version::V3_1_1);
    LONGS_EQUAL(2, p.size());  // m0, m1 in flight; m2..m5 queued
    feed(3, ack_pkt(PacketType::Puback, p[0]->p.publish.packet_id));  // m2 moves into flight
    feed(2, publish_pkt(4, 1, "q", "m6", 7));                           // appended to the queue
    restart();
    CHECK(connect(3, co(4, "sub", false)));
    std::vector<std::string> got;
    for (int round = 0; round < 8; ++round) {
        auto now_sent = publishes(3, Version::V3_1_1);
        n->io.clear();
        for (const auto& d : now_sent) {
            got.push_back(payload_of(*d));
            feed(3, ack_pkt(PacketType::Puback, d->p.publish.packet_id));
        }
    }
    // m1 and m2 again (in flight, DUP), then the queue in order.
    const std::vector<std::string> want = {"m1", "m2", "m3", "m4", "m5", "m6"};
    CHECK_TEXT(got == want, [&] {
        std::string t;
        for (const auto& g : got) t += g + " ";
        return t;
    }().c_str());
}

TEST(SqliteStore, QueueDropInTheMiddleIsRewritten) {
    // The drop policy evicts a queued QoS 0 message from the middle of the queue:
    // the rows are rewritten, and the restart sees the queue as it was.
    cfg.max_queued_messages = 3;
    restart();
    connect(1, co(4, "sub", false));
    feed(1, subscribe_pkt(4, 1, {{"d", 1}}));
    connect(2, co(4, "pub"));
    n->io.result = SendResult::Backpressure;  // the subscriber stops reading: its queue fills
    feed(2, publish_pkt(4, 1, "d", "m0", 1));  // sent (in flight), then backpressure
    feed(2, publish_pkt(4, 0, "d", "m1"));
    feed(2, publish_pkt(4, 1, "d", "m2", 2));
    feed(2, publish_pkt(4, 0, "d", "m3"));
    feed(2, publish_pkt(4, 1, "d", "m4", 3));  // evicts m1 (the front)
    feed(2, publish_pkt(4, 1, "d", "m5", 4));  // evicts m3 (the middle)
    n->io.result = SendResult::Ok;
    restart();
    CHECK(connect(3, co(4, "sub", false)));
    std::vector<std::string> got;
    for (const auto& d : publishes(3, Version::V3_1_1)) got.push_back(payload_of(*d));
    const std::vector<std::string> want = {"m0", "m2", "m4", "m5"};
    CHECK_TEXT(got == want, [&] {
        std::string t;
        for (const auto& g : got) t += g + " ";
        return t;
    }().c_str());
}

TEST(SqliteStore, InflightFlowsResumeWithTheirIdsAndStates) {
    connect(1, co(4, "sub", false));
    feed(1, subscribe_pkt(4, 1, {{"a", 2}, {"b", 1}}));
    connect(2, co(4, "pub"));
    feed(2, publish_pkt(4, 2, "a", "q2", 1));
    feed(2, hex("62 02 00 01"));  // PUBREL: QoS 2 is passed on at its release
    feed(2, publish_pkt(4, 1, "b", "q1", 2));
    auto p = publishes(1, Version::V3_1_1);
    LONGS_EQUAL(2, p.size());
    const std::uint16_t id2 = p[0]->p.publish.packet_id;
    const std::uint16_t id1 = p[1]->p.publish.packet_id;
    feed(1, ack_pkt(PacketType::Pubrec, id2));  // QoS 2 flow now waits for PUBCOMP
    restart();
    CHECK(connect(3, co(4, "sub", false)));
    // [MQTT-4.4.0-1]: PUBREL for the QoS 2 flow, the QoS 1 PUBLISH again with DUP
    // and its original id, in the original order.
    const std::vector<Buf> s = n->io.sent(3);
    LONGS_EQUAL(3, s.size());
    Buf pubrel = hex("62 02 00 00");
    pubrel[2] = static_cast<std::uint8_t>(id2 >> 8);
    pubrel[3] = static_cast<std::uint8_t>(id2);
    STRCMP_EQUAL(to_hex(pubrel).c_str(), to_hex(s[1]).c_str());
    auto again = decode_sent(s[2], Version::V3_1_1);
    CHECK(again->p.publish.dup);
    LONGS_EQUAL(id1, again->p.publish.packet_id);
    STRCMP_EQUAL("q1", payload_of(*again).c_str());
}

TEST(SqliteStore, HeldQos2MessageSurvivesRestartAndIsPassedOnOnceAtPubrel) {
    connect(1, co(4, "sub", false));
    feed(1, subscribe_pkt(4, 1, {{"x", 0}}));
    connect(2, co(4, "pub", false));
    n->io.clear();
    feed(2, publish_pkt(4, 2, "x", "once", 9));
    // PUBREC: from here the publisher will not send the PUBLISH again, only PUBREL
    // [MQTT-4.3.3-3]; the message is held for it (as mosquitto does) and must be on disk.
    STRCMP_EQUAL("50 02 00 09", to_hex(n->io.sent(2)[0]).c_str());
    LONGS_EQUAL(0, publishes(1, Version::V3_1_1).size());
    restart();
    connect(1, co(4, "sub", false));
    connect(2, co(4, "pub", false));
    n->io.clear();
    // A publisher that did not see the PUBREC retries [MQTT-4.3.3-10]: PUBREC again,
    // no delivery yet.
    feed(2, publish_pkt(4, 2, "x", "once", 9, false, {}, true));
    STRCMP_EQUAL("50 02 00 09", to_hex(n->io.sent(2)[0]).c_str());
    LONGS_EQUAL(0, publishes(1, Version::V3_1_1).size());
    // PUBREL: the held message goes out exactly once, then PUBCOMP.
    feed(2, ack_pkt(PacketType::Pubrel, 9));
    STRCMP_EQUAL("70 02 00 09", to_hex(n->io.sent(2)[1]).c_str());
    auto p = publishes(1, Version::V3_1_1);
    LONGS_EQUAL(1, p.size());
    STRCMP_EQUAL("once", payload_of(*p[0]).c_str());
}

TEST(SqliteStore, HeldQos2MessageIsReleasedByAPubrelAfterRestartAlone) {
    // The usual case after a crash between PUBREC and PUBREL: the publisher resumes
    // with the PUBREL only [MQTT-4.4.0-1]; the held message must come from the disk.
    connect(1, co(4, "sub", false));
    feed(1, subscribe_pkt(4, 1, {{"x", 1}}));
    connect(2, co(4, "pub", false));
    feed(2, publish_pkt(4, 2, "x", "kept", 4));
    restart();
    connect(1, co(4, "sub", false));
    connect(2, co(4, "pub", false));
    n->io.clear();
    feed(2, ack_pkt(PacketType::Pubrel, 4));
    STRCMP_EQUAL("70 02 00 04", to_hex(n->io.sent(2)[0]).c_str());
    auto p = publishes(1, Version::V3_1_1);
    LONGS_EQUAL(1, p.size());
    STRCMP_EQUAL("kept", payload_of(*p[0]).c_str());
    // A second PUBREL finds nothing: PUBCOMP, no second delivery.
    n->io.clear();
    feed(2, ack_pkt(PacketType::Pubrel, 4));
    LONGS_EQUAL(0, publishes(1, Version::V3_1_1).size());
}

TEST(SqliteStore, RetainedMessagesAndTheirClearingSurvive) {
    connect(1, co(4, "pub"));
    feed(1, publish_pkt(4, 1, "r/1", "keep", 1, true));
    feed(1, publish_pkt(4, 0, "r/2", "gone", 0, true));
    feed(1, publish_pkt(4, 0, "r/2", "", 0, true));  // clears r/2 [MQTT-3.3.1-10]
    restart();
    connect(2, co(4, "s"));
    feed(2, subscribe_pkt(4, 1, {{"r/#", 1}}));
    auto p = publishes(2, Version::V3_1_1);
    LONGS_EQUAL(1, p.size());
    STRCMP_EQUAL("r/1", topic_of(*p[0]).c_str());
    STRCMP_EQUAL("keep", payload_of(*p[0]).c_str());
    CHECK(p[0]->p.publish.retain);
}

TEST(SqliteStore, SessionExpiryCountsTheDowntime) {
    ConnectOpts a = co(5, "a", false);
    a.props = W().u8(0x11).u32(60).b;  // 60 s
    ConnectOpts b = co(5, "b", false);
    b.props = W().u8(0x11).u32(60).b;
    connect(1, a);
    connect(2, b);
    feed(1, disconnect_pkt(5));
    advance(20'000);
    feed(2, disconnect_pkt(5));  // b's 60 s start 20 s after a's
    restart(30'000);             // 50 s after a left, 30 s after b left
    advance(15'000);             // a: 65 s, expired; b: 45 s
    a.clean = false;
    b.clean = false;
    CHECK_FALSE(connect(3, a));
    CHECK(connect(4, b));
}

TEST(SqliteStore, DelayedWillFiresAfterRestartCountingTheDowntime) {
    connect(100, co(4, "spy"));
    feed(100, subscribe_pkt(4, 1, {{"will/#", 1}}));
    ConnectOpts o = co(5, "w", false);
    o.props = W().u8(0x11).u32(600).b;
    o.will = true;
    o.will_topic = "will/w";
    o.will_props = W().u8(0x18).u32(30).b;  // Will Delay 30 s
    connect(1, o);
    n->engine->on_closed(1, now);  // abnormal: the Will waits 30 s
    commit();
    restart(10'000);
    connect(100, co(4, "spy", true));
    feed(100, subscribe_pkt(4, 1, {{"will/#", 1}}));
    advance(19'000);
    LONGS_EQUAL(0, publishes(100, Version::V3_1_1).size());
    advance(2'000);
    auto p = publishes(100, Version::V3_1_1);
    LONGS_EQUAL(1, p.size());
    STRCMP_EQUAL("will/w", topic_of(*p[0]).c_str());
}

TEST(SqliteStore, AClientConnectedAtTheCrashGetsItsWillPublished) {
    connect(100, co(4, "spy", false));
    feed(100, subscribe_pkt(4, 1, {{"will/#", 1}}));
    ConnectOpts o = co(4, "w", false);
    o.will = true;
    o.will_topic = "will/w";
    o.will_qos = 1;
    connect(1, o);
    restart();  // kill -9 while "w" (and "spy") are connected
    CHECK(connect(100, co(4, "spy", false)));
    auto p = publishes(100, Version::V3_1_1);
    LONGS_EQUAL(1, p.size());
    STRCMP_EQUAL("will/w", topic_of(*p[0]).c_str());
}

TEST(SqliteStore, MessageExpiryCountsTheDowntime) {
    ConnectOpts sub = co(5, "sub", false);
    sub.props = W().u8(0x11).u32(3600).b;
    connect(1, sub);
    feed(1, subscribe_pkt(5, 1, {{"e/#", 1}}));
    feed(1, disconnect_pkt(5));
    connect(2, co(5, "pub"));
    feed(2, publish_pkt(5, 1, "e/short", "s", 1, false, W().u8(0x02).u32(10).b));  // expires in 10 s
    feed(2, publish_pkt(5, 1, "e/long", "l", 2, false, W().u8(0x02).u32(100).b));
    restart(20'000);
    sub.clean = false;
    connect(3, sub);
    auto p = publishes(3, Version::V5);
    LONGS_EQUAL(1, p.size());
    STRCMP_EQUAL("e/long", topic_of(*p[0]).c_str());
    // 100 s less the 20 s of downtime, rounded up [MQTT-3.3.2-6].
    LONGS_EQUAL(80, p[0]->p.publish.props.number(PropertyId::MessageExpiryInterval, 0));
}

TEST(SqliteStore, SharedSubscriptionsAreRestored) {
    // $share/g/f survives with its group: one member gets each message (5.0 §4.8.2).
    connect(1, co(5, "m1", false));
    feed(1, subscribe_pkt(5, 1, {{"$share/g/s/#", 1}}));
    connect(2, co(5, "m2", false));
    feed(2, subscribe_pkt(5, 1, {{"$share/g/s/#", 1}}));
    restart();
    // 5.0 without a Session Expiry Interval: those sessions ended with their
    // connections and were never written.
    CHECK_FALSE(connect(1, co(5, "m1", false)));
    const ConnectOpts p1 = co(4, "p1", false);
    connect(3, co(4, "x1", false));
    feed(3, subscribe_pkt(4, 1, {{"$share/h/t/#", 1}}));
    connect(4, co(4, "x2", false));
    feed(4, subscribe_pkt(4, 1, {{"$share/h/t/#", 1}}));
    restart();
    CHECK(connect(3, co(4, "x1", false)));
    CHECK(connect(4, co(4, "x2", false)));
    connect(5, p1);
    for (int i = 0; i < 4; ++i) feed(5, publish_pkt(4, 1, "t/" + std::to_string(i), "v", static_cast<std::uint16_t>(i + 1)));
    const std::size_t a = publishes(3, Version::V3_1_1).size();
    const std::size_t b = publishes(4, Version::V3_1_1).size();
    LONGS_EQUAL(4, a + b);  // each message once, to one member of the group
    LONGS_EQUAL(2, a);      // round robin over both restored members
}

TEST(SqliteStore, CleanSessionsAreNotWritten) {
    connect(1, co(4, "clean", true));
    feed(1, subscribe_pkt(4, 1, {{"c", 1}}));
    restart();
    CHECK_FALSE(connect(1, co(4, "clean", false)));
}

TEST(SqliteStore, StrictAcksWaitForTheCommit) {
    // The engine alone, without the per-packet commit of feed().
    connect(1, co(4, "pub"));
    n->io.clear();
    const Buf pub = publish_pkt(4, 1, "s", "x", 3);
    n->engine->on_packet(1, pub[0], mote::mqtt::Bytes(pub.data() + 2, pub.size() - 2), pub.size(), now);
    CHECK(n->engine->acks_held());
    LONGS_EQUAL(0, n->io.sent(1).size());
    commit();
    LONGS_EQUAL(1, n->io.sent(1).size());
    STRCMP_EQUAL("40 02 00 03", to_hex(n->io.sent(1)[0]).c_str());
}

TEST(SqliteStore, RelaxedAcksAtOnce) {
    cfg.persistence_durability = Durability::Relaxed;
    restart();
    connect(1, co(4, "pub"));
    n->io.clear();
    const Buf pub = publish_pkt(4, 1, "s", "x", 3);
    n->engine->on_packet(1, pub[0], mote::mqtt::Bytes(pub.data() + 2, pub.size() - 2), pub.size(), now);
    CHECK_FALSE(n->engine->acks_held());
    STRCMP_EQUAL("40 02 00 03", to_hex(n->io.sent(1)[0]).c_str());
}

TEST(SqliteStore, FullDiskRefusesWhatItCannotKeepAndKeepsServing) {
    cfg.persistence_max_bytes = 65536;  // 16 pages of 4 KiB
    restart();
    connect(1, co(5, "p5"));
    connect(2, co(4, "p4"));
    const std::string big(6000, 'x');
    std::size_t refused = 0;
    std::uint16_t id = 1;
    for (; id < 40 && refused == 0; ++id) {
        n->io.clear();
        feed(1, publish_pkt(5, 1, "big/" + std::to_string(id), big, id, true));
        const std::vector<Buf> s = n->io.sent(1);
        LONGS_EQUAL(1, s.size());
        if (s[0].size() > 4 && s[0][4] == 0x97) ++refused;  // PUBACK 0x97 Quota exceeded
    }
    LONGS_EQUAL(1, refused);
    // 3.1.1 has no way to say it: the connection is closed without PUBACK.
    n->io.clear();
    feed(2, publish_pkt(4, 1, "big/311", big, 1, true));
    CHECK(n->io.closed(2));
    LONGS_EQUAL(0, n->io.sent(2).size());
    // The broker keeps serving: QoS 0 without store changes, and ping.
    n->io.clear();
    feed(1, hex("C0 00"));
    STRCMP_EQUAL("D0 00", to_hex(n->io.sent(1)[0]).c_str());
    // Once the retained messages are cleared, commits succeed again.
    for (std::uint16_t k = 1; k < id; ++k) feed(1, publish_pkt(5, 0, "big/" + std::to_string(k), "", 0, true));
    n->io.clear();
    feed(1, publish_pkt(5, 1, "small", "s", 200));
    // Accepted again: 0x10 No matching subscribers, as mosquitto answers (issue 9).
    STRCMP_EQUAL("40 03 00 C8 10", to_hex(n->io.sent(1)[0]).c_str());
}

TEST_GROUP(SqliteStoreOpen) {
    std::string path;
    std::int64_t wall = 1'800'000'000'000;
    BrokerConfig cfg;
    void setup() override {
        path = temp_db();
        remove_db(path);
        cfg = Harness::default_config();
        cfg.persistence = true;
    }
    void teardown() override { remove_db(path); }
    std::string open_error() {
        Node node(path, cfg, 1000, &wall);
        CHECK_FALSE(node.ok);
        return node.error;
    }
    // A database with a few sessions and retained messages, closed cleanly.
    void fill() {
        Node node(path, cfg, 1000, &wall);
        CHECK(node.ok);
        for (int i = 0; i < 200; ++i) {
            MessageFields f;
            const std::string topic = "t/" + std::to_string(i);
            const std::string payload(300, 'p');
            f.topic = topic;
            f.payload = reinterpret_cast<const std::uint8_t*>(payload.data());
            f.payload_size = payload.size();
            f.retain = true;
            node.store->retained().set(topic, Message::make(f));
        }
        CHECK(node.store->commit(1000).ok);
    }
    void write_bytes(const std::string& p, const std::string& bytes) {
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out << bytes;
    }
};

TEST(SqliteStoreOpen, GarbageIsRefusedWithWhatToDo) {
    write_bytes(path, std::string(8192, '\x5a'));
    const std::string e = open_error();
    CHECK_TEXT(e.find(path) != std::string::npos, e.c_str());
    CHECK_TEXT(e.find("not an SQLite database") != std::string::npos || e.find("corrupt") != std::string::npos,
               e.c_str());
    CHECK_TEXT(e.find("Move it aside") != std::string::npos, e.c_str());
}

TEST(SqliteStoreOpen, TruncatedFileIsRefused) {
    fill();
    // Checkpointed into the main file by the clean close; cut it in half.
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(bytes.size() > 40000);
    write_bytes(path, bytes.substr(0, bytes.size() / 2));
    const std::string e = open_error();
    CHECK_TEXT(e.find("corrupt") != std::string::npos || e.find("malformed") != std::string::npos, e.c_str());
    CHECK_TEXT(e.find("Move it aside") != std::string::npos, e.c_str());
}

TEST(SqliteStoreOpen, NewerSchemaIsRefused) {
    fill();
    sqlite3* db = nullptr;
    LONGS_EQUAL(SQLITE_OK, sqlite3_open(path.c_str(), &db));
    const std::string bump = "PRAGMA user_version=" + std::to_string(store::kSchemaVersion + 1);
    LONGS_EQUAL(SQLITE_OK, sqlite3_exec(db, bump.c_str(), nullptr, nullptr, nullptr));
    sqlite3_close(db);
    const std::string e = open_error();
    CHECK_TEXT(e.find("newer Mote") != std::string::npos, e.c_str());
}

TEST(SqliteStoreOpen, ForeignSqliteDatabaseIsRefused) {
    sqlite3* db = nullptr;
    LONGS_EQUAL(SQLITE_OK, sqlite3_open(path.c_str(), &db));
    LONGS_EQUAL(SQLITE_OK, sqlite3_exec(db, "CREATE TABLE x(a)", nullptr, nullptr, nullptr));
    sqlite3_close(db);
    const std::string e = open_error();
    CHECK_TEXT(e.find("not one written by Mote") != std::string::npos, e.c_str());
}

TEST(SqliteStoreOpen, DamagedRecordIsRefused) {
    fill();
    sqlite3* db = nullptr;
    LONGS_EQUAL(SQLITE_OK, sqlite3_open(path.c_str(), &db));
    LONGS_EQUAL(SQLITE_OK, sqlite3_exec(db, "UPDATE retained SET data = x'01FFFF' WHERE topic = 't/7'", nullptr,
                                        nullptr, nullptr));
    sqlite3_close(db);
    const std::string e = open_error();
    CHECK_TEXT(e.find("'t/7' is damaged") != std::string::npos, e.c_str());
}

TEST(SqliteStoreOpen, MissingDirectoryIsNamed) {
    path = "/nonexistent-mote-dir/mote.db";
    const std::string e = open_error();
    CHECK_TEXT(e.find("/nonexistent-mote-dir is not a directory") != std::string::npos, e.c_str());
}
