// Broker -> client Topic Aliases (MQTT 5.0 §3.3.2.3.4), from delivery.cpp: given
// only to clients that announced a Topic Alias Maximum, within that maximum, and
// per network connection.
#include "broker/engine/engine_support.hpp"

#include <CppUTest/TestHarness.h>

using namespace mote::broker;
using namespace mote::broker::test;
using mote::mqtt::Property;
using mote::mqtt::PropertyId;
using mote::mqtt::Version;

namespace {

// The Topic Alias of a decoded PUBLISH; 0 when it carries none.
std::uint32_t alias_of(const Decoded& d) {
    Property p;
    return d.p.publish.props.find(PropertyId::TopicAlias, p) ? p.number : 0;
}

ConnectOpts with_alias_max(const std::string& id, std::uint16_t max, bool clean = true) {
    ConnectOpts o = co(5, id, clean);
    W props;
    props.u8(0x22).u16(max);  // Topic Alias Maximum
    if (!clean) props.u8(0x11).u32(600);  // Session Expiry Interval: the session outlives the link
    o.props = props.b;
    return o;
}

}  // namespace

TEST_GROUP(EngineOutboundAlias) {
    std::unique_ptr<Harness> h;
    void setup() override { h = std::make_unique<Harness>(); }
    void teardown() override { h.reset(); }
    void pub(const std::string& topic, const std::string& payload) {
        h->feed(9, publish_pkt(5, 0, topic, payload));
    }
};

TEST(EngineOutboundAlias, TopicSentOnceThenReplacedByItsAlias) {
    h->connect(1, with_alias_max("sub", 2));
    h->connect(9, 5, "pub");
    h->subscribe(1, 5, "s/#", 0);
    pub("s/one", "1");
    pub("s/one", "2");
    pub("s/two", "3");
    pub("s/three", "4");  // the client's table (2) is full: the topic goes out in full
    pub("s/two", "5");
    pub("s/three", "6");
    auto p = h->publishes(1, Version::V5);
    LONGS_EQUAL(6, p.size());
    for (const auto& d : p) CHECK_FALSE(d->error);
    // First use: topic and alias together; the alias numbers start at 1 and stay
    // within the client's maximum [MQTT-3.3.2-9] [MQTT-3.3.2-10].
    STRCMP_EQUAL("s/one", topic_of(*p[0]).c_str());
    LONGS_EQUAL(1, alias_of(*p[0]));
    // Later uses: an empty Topic Name with the alias.
    STRCMP_EQUAL("", topic_of(*p[1]).c_str());
    LONGS_EQUAL(1, alias_of(*p[1]));
    STRCMP_EQUAL("2", payload_of(*p[1]).c_str());
    STRCMP_EQUAL("s/two", topic_of(*p[2]).c_str());
    LONGS_EQUAL(2, alias_of(*p[2]));
    STRCMP_EQUAL("s/three", topic_of(*p[3]).c_str());
    LONGS_EQUAL(0, alias_of(*p[3]));
    STRCMP_EQUAL("", topic_of(*p[4]).c_str());
    LONGS_EQUAL(2, alias_of(*p[4]));
    STRCMP_EQUAL("s/three", topic_of(*p[5]).c_str());
    LONGS_EQUAL(0, alias_of(*p[5]));
}

TEST(EngineOutboundAlias, ExactBytesOfTheAliasedForm) {
    h->connect(1, with_alias_max("sub", 1));
    h->connect(9, 5, "pub");
    h->subscribe(1, 5, "a/b", 0);
    pub("a/b", "x");
    pub("a/b", "y");
    auto s = h->sent(1);
    LONGS_EQUAL(2, s.size());
    // 30 RL, topic "a/b", properties (3): Topic Alias 1, payload.
    STRCMP_EQUAL("30 0A 00 03 61 2F 62 03 23 00 01 78", to_hex(s[0]).c_str());
    // 30 RL, empty topic, properties (3): Topic Alias 1, payload.
    STRCMP_EQUAL("30 07 00 00 03 23 00 01 79", to_hex(s[1]).c_str());
}

TEST(EngineOutboundAlias, NoAliasWithoutTopicAliasMaximum) {
    // [MQTT-3.3.2-9]: without a Topic Alias Maximum the client accepts none.
    h->connect(1, 5, "v5");
    h->connect(2, with_alias_max("zero", 0));
    h->connect(3, 4, "v311");
    h->connect(9, 5, "pub");
    h->subscribe(1, 5, "t", 0);
    h->subscribe(2, 5, "t", 0);
    h->subscribe(3, 4, "t", 0);
    pub("t", "1");
    pub("t", "2");
    for (ConnectionId id : {ConnectionId{1}, ConnectionId{2}}) {
        auto p = h->publishes(id, Version::V5);
        LONGS_EQUAL(2, p.size());
        for (const auto& d : p) {
            STRCMP_EQUAL("t", topic_of(*d).c_str());
            LONGS_EQUAL(0, alias_of(*d));
        }
    }
    auto p = h->publishes(3, Version::V3_1_1);
    LONGS_EQUAL(2, p.size());
    for (const auto& d : p) STRCMP_EQUAL("t", topic_of(*d).c_str());
}

TEST(EngineOutboundAlias, AliasesArePerConnection) {
    // [MQTT-3.3.2-7]: mappings do not survive the network connection, so a
    // resumed session starts with topics in full again, redelivery included.
    h->connect(1, with_alias_max("sub", 4, false));
    h->connect(9, 5, "pub");
    h->subscribe(1, 5, "t", 1);
    pub("t", "1");
    h->feed(9, publish_pkt(5, 1, "t", "2", 5));  // QoS 1, left unacknowledged
    auto before = h->publishes(1, Version::V5);
    LONGS_EQUAL(2, before.size());
    STRCMP_EQUAL("", topic_of(*before[1]).c_str());
    h->close(1);
    h->io.clear();
    ConnectOpts again = with_alias_max("sub", 4, false);
    h->open(1);
    h->feed(1, connect_pkt(again));
    auto p = h->publishes(1, Version::V5);
    LONGS_EQUAL(1, p.size());  // the redelivered QoS 1 message
    CHECK(p[0]->p.publish.dup);
    STRCMP_EQUAL("t", topic_of(*p[0]).c_str());
    LONGS_EQUAL(1, alias_of(*p[0]));
    STRCMP_EQUAL("2", payload_of(*p[0]).c_str());
}

TEST(EngineOutboundAlias, MessageTooLargeForTheClientTakesNoAlias) {
    // A PUBLISH dropped for the subscriber's Maximum Packet Size [MQTT-3.1.2-25]
    // must not claim an alias the client never heard of.
    ConnectOpts o = with_alias_max("sub", 2);
    o.props = W().u8(0x22).u16(2).u8(0x27).u32(20).b;  // + Maximum Packet Size 20
    h->connect(1, o);
    h->connect(9, 5, "pub");
    h->subscribe(1, 5, "big/#", 0);
    pub("big/a", std::string(40, 'x'));  // dropped for the client
    pub("big/a", "ok");
    auto p = h->publishes(1, Version::V5);
    LONGS_EQUAL(1, p.size());
    STRCMP_EQUAL("big/a", topic_of(*p[0]).c_str());
    LONGS_EQUAL(1, alias_of(*p[0]));
}
