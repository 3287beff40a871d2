// Authentication and ACL in the engine: the CONNECT waits for the Io's password
// check (the engine never hashes), packets sent before the answer are held and run
// in order, a close during the check is harmless; ACL on PUBLISH, SUBSCRIBE,
// delivery (retained messages and Wills included) and after a new snapshot.
#include "../../../../broker/src/auth/security.hpp"
#include "broker/engine/engine_support.hpp"

#include <CppUTest/TestHarness.h>

using namespace mote::broker;
using namespace mote::broker::test;
using mote::mqtt::Version;

namespace {

std::shared_ptr<const auth::AclFile> acl_of(const std::string& text) {
    auto acl = std::make_shared<auth::AclFile>();
    auth::ParseError err;
    CHECK_TEXT(auth::AclFile::parse(text, *acl, err), err.message.c_str());
    return acl;
}

std::shared_ptr<auth::Security> security(bool anonymous, bool with_passwords, const std::string& acl = "") {
    auto s = std::make_shared<auth::Security>();
    s->global_.allow_anonymous = anonymous;
    if (with_passwords) {
        // The engine never reads the hashes (the Io checks them), but the file must exist.
        auto pf = std::make_shared<auth::PasswordFile>();
        auth::ParseError err;
        CHECK(auth::PasswordFile::parse("alice:" + auth::make_hash_field(auth::HashKind::Sha512, 0, "pw") + "\n",
                                        *pf, err));
        s->global_.passwords = pf;
    }
    if (!acl.empty()) s->global_.acl = acl_of(acl);
    return s;
}

ConnectOpts user_co(std::uint8_t level, const char* id, const char* user, const char* pass) {
    ConnectOpts o = co(level, id);
    o.username = true;
    o.user = user;
    o.password = pass != nullptr;
    if (pass != nullptr) o.pass = pass;
    return o;
}

}  // namespace

TEST_GROUP(EngineAuth) {
    std::unique_ptr<Harness> h;
    void setup() override { h = std::make_unique<Harness>(); }
    void teardown() override { h.reset(); }
    void start_check(ConnectionId id, std::uint8_t level) {
        h->engine->set_security(security(false, true));
        h->open(id);
        h->feed(id, connect_pkt(user_co(level, "dev", "alice", "pw")));
    }
};

TEST(EngineAuth, ConnectWaitsForTheIoCheck) {
    start_check(1, 4);
    CHECK(h->sent(1).empty());  // no CONNACK before the answer
    LONGS_EQUAL(1, h->io.checks.size());
    STRCMP_EQUAL("alice", h->io.checks[0].username.c_str());
    STRCMP_EQUAL("pw", h->io.checks[0].password.c_str());
    CHECK(h->io.checks[0].passwords != nullptr);
    h->auth_result(1, true);
    STRCMP_EQUAL("20 02 00 00", to_hex(h->sent(1)[0]).c_str());
    LONGS_EQUAL(1, h->engine->stats().clients_connected);
}

TEST(EngineAuth, WrongPasswordV311IsNotAuthorized05) {
    // 3.1.1 §3.2.2.3; 0x05 as mosquitto sends it for a wrong password.
    start_check(1, 4);
    h->auth_result(1, false);
    STRCMP_EQUAL("20 02 00 05", to_hex(h->sent(1)[0]).c_str());
    CHECK(h->io.closed(1));
    LONGS_EQUAL(0, h->engine->stats().clients_connected);
}

TEST(EngineAuth, WrongPasswordV5IsBadUserNameOrPassword86) {
    start_check(1, 5);
    h->auth_result(1, false);
    STRCMP_EQUAL("20 03 00 86 00", to_hex(without_reason_string(h->sent(1)[0])).c_str());
    CHECK(h->io.closed(1));
}

TEST(EngineAuth, PacketsBeforeTheAnswerAreHeldAndRunInOrder) {
    start_check(1, 4);
    h->feed(1, subscribe_pkt(4, 7, {{"a/b", 1}}));
    h->feed(1, publish_pkt(4, 1, "a/b", "x", 9));
    CHECK(h->sent(1).empty());
    h->auth_result(1, true);
    auto s = h->sent(1);
    LONGS_EQUAL(4, s.size());
    STRCMP_EQUAL("20 02 00 00", to_hex(s[0]).c_str());  // CONNACK first
    STRCMP_EQUAL("90 03 00 07 01", to_hex(s[1]).c_str());  // then SUBACK
    CHECK_EQUAL(3, s[2][0] >> 4);                          // its own message comes back
    STRCMP_EQUAL("40 02 00 09", to_hex(s[3]).c_str());     // and the PUBACK
}

TEST(EngineAuth, HeldPacketsAreDroppedWithARefusedConnect) {
    // [MQTT-3.1.4-6]: nothing after a rejected CONNECT is processed.
    h->connect(2, 4, "watcher");
    h->subscribe(2, 4, "a/#", 0);
    start_check(1, 4);
    h->feed(1, publish_pkt(4, 0, "a/b", "x"));
    h->auth_result(1, false);
    CHECK(h->sent(2).empty());
    LONGS_EQUAL(1, h->sent(1).size());
}

TEST(EngineAuth, FloodBeforeTheAnswerClosesTheConnection) {
    start_check(1, 4);
    const std::string big(60000, 'x');
    for (int i = 0; i < 20; ++i) h->feed(1, publish_pkt(4, 0, "a/b", big));
    CHECK(h->io.closed(1));
    h->auth_result(1, true);  // too late: ignored
    CHECK(h->sent(1).empty());
}

TEST(EngineAuth, CloseDuringTheCheckIsHarmless) {
    start_check(1, 5);
    h->close(1);
    h->auth_result(1, true);
    h->auth_result(1, false);
    h->auth_result(99, true);
    CHECK(h->sent(1).empty());
    LONGS_EQUAL(0, h->engine->stats().clients_connected);
}

TEST(EngineAuth, AnonymousRefusedAsMosquitto) {
    h->engine->set_security(security(false, true));
    h->open(1);
    h->feed(1, connect_pkt(co(4, "a")));
    STRCMP_EQUAL("20 02 00 05", to_hex(h->sent(1)[0]).c_str());
    h->open(2);
    h->feed(2, connect_pkt(co(5, "b")));
    STRCMP_EQUAL("20 03 00 87 00", to_hex(without_reason_string(h->sent(2)[0])).c_str());
    CHECK(h->io.checks.empty());
}

TEST(EngineAuth, UserNameWithoutPasswordIsCheckedToo) {
    start_check(1, 5);  // a CONNECT with a password, for comparison
    h->open(2);
    h->feed(2, connect_pkt(user_co(5, "x", "alice", nullptr)));
    LONGS_EQUAL(2, h->io.checks.size());
    STRCMP_EQUAL("", h->io.checks[1].password.c_str());
}

TEST(EngineAuth, IoWithoutChecksRefusesServerUnavailable) {
    h->io.accept_checks = false;
    start_check(1, 4);
    STRCMP_EQUAL("20 02 00 03", to_hex(h->sent(1)[0]).c_str());
    CHECK(h->io.closed(1));
}

TEST(EngineAuth, NoPasswordFileMeansNoCheck) {
    h->engine->set_security(security(true, false));
    h->open(1);
    h->feed(1, connect_pkt(user_co(4, "a", "anyone", "x")));
    STRCMP_EQUAL("20 02 00 00", to_hex(h->sent(1)[0]).c_str());
    CHECK(h->io.checks.empty());
}

TEST_GROUP(EngineAcl) {
    std::unique_ptr<Harness> h;
    const char* kAcl =
        "topic read pub/#\n"
        "topic readwrite open/#\n"
        "topic deny open/secret\n"
        "topic write in/#\n"
        "topic read will/#\n";
    void setup() override {
        h = std::make_unique<Harness>();
        h->engine->set_security(security(true, false, kAcl));
    }
    void teardown() override { h.reset(); }
};

TEST(EngineAcl, PublishDeniedV5GetsNotAuthorized87) {
    h->connect(1, 5, "p");
    h->feed(1, publish_pkt(5, 1, "pub/x", "m", 3));
    h->feed(1, publish_pkt(5, 2, "pub/x", "m", 4));
    auto s = h->sent(1);
    LONGS_EQUAL(2, s.size());
    STRCMP_EQUAL("40 03 00 03 87", to_hex(s[0]).c_str());
    STRCMP_EQUAL("50 03 00 04 87", to_hex(s[1]).c_str());
}

TEST(EngineAcl, PublishDeniedV311IsAckedAndDropped) {
    h->connect(2, 4, "watcher");
    h->subscribe(2, 4, "in/#", 1);  // not readable, but the SUBACK refusal is tested below
    h->connect(3, 4, "reader");
    h->subscribe(3, 4, "pub/#", 1);
    h->connect(1, 4, "p");
    h->feed(1, publish_pkt(4, 1, "pub/x", "m", 3));
    h->feed(1, publish_pkt(4, 2, "pub/x", "m", 4));
    h->feed(1, ack_pkt(mote::mqtt::PacketType::Pubrel, 4));
    auto s = h->sent(1);
    LONGS_EQUAL(3, s.size());
    STRCMP_EQUAL("40 02 00 03", to_hex(s[0]).c_str());
    STRCMP_EQUAL("50 02 00 04", to_hex(s[1]).c_str());
    STRCMP_EQUAL("70 02 00 04", to_hex(s[2]).c_str());
    CHECK(h->sent(3).empty());  // dropped silently
}

TEST(EngineAcl, SubscribeDeniedIs80InBothVersions) {
    for (int lv : {4, 5}) {
        const auto level = static_cast<std::uint8_t>(lv);
        const ConnectionId id = level;
        h->connect(id, level, "s" + std::to_string(level));
        h->feed(id, subscribe_pkt(level, 1, {{"open/secret", 0}, {"open/#", 1}, {"in/x", 0}, {"#", 0}}));
        auto s = h->sent(id);
        LONGS_EQUAL(1, s.size());
        STRCMP_EQUAL(level == 5 ? "90 07 00 01 00 80 01 80 80" : "90 06 00 01 80 01 80 80", to_hex(s[0]).c_str());
    }
}

TEST(EngineAcl, SharedSubscriptionIsCheckedOnItsFilter) {
    h->connect(1, 5, "s");
    h->feed(1, subscribe_pkt(5, 1, {{"$share/g/open/#", 0}, {"$share/g/in/#", 0}}));
    STRCMP_EQUAL("90 05 00 01 00 00 80", to_hex(h->sent(1)[0]).c_str());
}

TEST(EngineAcl, DeliveryNeedsReadAccess) {
    h->connect(1, 4, "reader");
    h->subscribe(1, 4, "open/#", 0);
    h->connect(2, 4, "writer");
    h->feed(2, publish_pkt(4, 0, "open/a", "1"));
    h->feed(2, publish_pkt(4, 0, "open/secret", "2"));  // denied for writing too
    auto p = h->publishes(1, Version::V3_1_1);
    LONGS_EQUAL(1, p.size());
    STRCMP_EQUAL("open/a", topic_of(*p[0]).c_str());
}

TEST(EngineAcl, NewSnapshotAppliesToExistingSubscriptions) {
    h->connect(1, 4, "reader");
    h->subscribe(1, 4, "open/#", 0);
    h->connect(2, 4, "writer");
    h->feed(2, publish_pkt(4, 0, "open/a", "1"));
    LONGS_EQUAL(1, h->publishes(1, Version::V3_1_1).size());
    // SIGHUP: reading open/ is no longer allowed; writing still is.
    h->engine->set_security(security(true, false, "topic write open/#\n"));
    h->io.clear();
    h->feed(2, publish_pkt(4, 0, "open/a", "2"));
    CHECK(h->publishes(1, Version::V3_1_1).empty());
}

TEST(EngineAcl, QueuedMessagesAreCheckedWithTheAclInForceWhenSent) {
    // A persistent 3.1.1 session queues QoS 1 messages while offline; the ACL then
    // loses read access; on reconnect the queued messages are not sent.
    ConnectOpts o = co(4, "sleepy", false);
    h->connect(1, o);
    h->subscribe(1, 4, "open/#", 1);
    h->close(1);
    h->connect(2, 4, "writer");
    h->feed(2, publish_pkt(4, 1, "open/a", "1", 7));
    h->engine->set_security(security(true, false, "topic write open/#\ntopic read other/#\n"));
    h->open(3);
    h->feed(3, connect_pkt(o));
    auto s = h->sent(3);
    LONGS_EQUAL(1, s.size());  // the CONNACK (session present) only
    STRCMP_EQUAL("20 02 01 00", to_hex(s[0]).c_str());
}

TEST(EngineAcl, RetainedMessagesNeedReadAccess) {
    // Published before the ACL allowed less: the retained store keeps both.
    h->engine->set_security(nullptr);
    h->connect(2, 4, "writer");
    h->feed(2, publish_pkt(4, 0, "open/a", "1", 0, true));
    h->feed(2, publish_pkt(4, 0, "open/secret", "2", 0, true));
    h->engine->set_security(security(true, false, kAcl));
    h->connect(1, 4, "reader");
    h->feed(1, subscribe_pkt(4, 1, {{"open/#", 0}}));
    auto p = h->publishes(1, Version::V3_1_1);
    LONGS_EQUAL(1, p.size());
    STRCMP_EQUAL("open/a", topic_of(*p[0]).c_str());
}

TEST(EngineAcl, WillNeedsWriteAccess) {
    h->connect(100, 4, "watcher");
    h->subscribe(100, 4, "will/#", 0);
    h->subscribe(100, 4, "open/#", 0);
    ConnectOpts denied = co(4, "w1");
    denied.will = true;
    denied.will_topic = "will/x";  // read-only for everyone
    h->connect(1, denied);
    ConnectOpts allowed = co(4, "w2");
    allowed.will = true;
    allowed.will_topic = "open/gone";
    h->connect(2, allowed);
    h->close(1);
    h->close(2);
    auto p = h->publishes(100, Version::V3_1_1);
    LONGS_EQUAL(1, p.size());
    STRCMP_EQUAL("open/gone", topic_of(*p[0]).c_str());
}

TEST(EngineAcl, UserSectionsAndPatternsUseTheConnectIdentity) {
    h->engine->set_security(security(true, false, "user bob\ntopic read b/#\npattern read c/%c/#\npattern read u/%u\n"));
    ConnectOpts bob = co(4, "dev1");
    bob.username = true;
    bob.user = "bob";
    h->connect(1, bob);
    h->feed(1, subscribe_pkt(4, 1, {{"b/#", 0}, {"c/dev1/#", 0}, {"c/dev2/#", 0}, {"u/bob", 0}, {"u/eve", 0}}));
    STRCMP_EQUAL("90 07 00 01 00 00 80 00 80", to_hex(h->sent(1)[0]).c_str());
}
