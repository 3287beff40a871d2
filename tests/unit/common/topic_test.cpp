// Topic names, filters, matching and shared subscriptions (§4.7, §4.8), with the
// HOSTILE_INPUTS rows 39, 40, 55, 57 and 58.
#include <CppUTest/TestHarness.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "mote/common/topic.hpp"

using namespace mote::mqtt;

namespace {

Bytes b(const std::string& s) { return Bytes::of(s.data(), s.size()); }

struct FilterCase {
    const char* filter;
    bool valid;
};

struct MatchCase {
    const char* filter;
    const char* topic;
    bool matches;
};

}  // namespace

TEST_GROUP(TopicName) {};

TEST(TopicName, Table) {
    const FilterCase table[] = {
        {"a", true},
        {"sport/tennis/player1", true},
        {"/", true},
        {"/finance", true},
        {"finance/", true},
        {"$SYS/broker/clients", true},
        {"a b/ c", true},
        // [MQTT-4.7.3-1] at least one character (HOSTILE row 40).
        {"", false},
        // [MQTT-3.3.2-2] no wildcards in a Topic Name (HOSTILE row 39).
        {"+opic", false},
        {"a/+", false},
        {"sport/#", false},
        {"#", false},
        {"a#b", false},
    };
    for (const FilterCase& c : table) {
        CHECK_TEXT(validate_topic_name(Bytes::of(c.filter)).ok() == c.valid, c.filter);
    }
    CHECK(validate_topic_name(Bytes::of("")).reason == Reason::TopicNameInvalid);
    CHECK(validate_topic_name(Bytes::of("a/#")).reason == Reason::TopicNameInvalid);
}

TEST(TopicName, Utf8RulesApply) {
    // [MQTT-1.5.4-2] no U+0000; [MQTT-1.5.4-1] no surrogates (HOSTILE row 41).
    const std::string nul("a\0b", 3);
    CHECK(validate_topic_name(b(nul)).reason == Reason::MalformedPacket);
    CHECK(validate_topic_name(Bytes::of("a\xED\xA0\x80")).reason == Reason::MalformedPacket);
    CHECK_FALSE(validate_topic_name(Bytes::of("a\x01"), true).ok());
    CHECK_TRUE(validate_topic_name(Bytes::of("a\x01"), false).ok());
    CHECK_TRUE(validate_topic_name(Bytes::of("\xF0\xAA\x9B\x94/x")).ok());
}

TEST_GROUP(TopicFilter) {};

TEST(TopicFilter, Table) {
    const FilterCase table[] = {
        {"#", true},
        {"+", true},
        {"sport/#", true},
        {"sport/tennis/#", true},
        {"+/tennis/#", true},
        {"sport/+/player1", true},
        {"+/+", true},
        {"/+", true},
        {"+/", true},
        {"//", true},
        {"$SYS/#", true},
        {"$share/g/a/#", true},
        {"$share/g/#", true},
        {"$share/g/+", true},
        {"$share", true},      // just a topic level named "$share"
        {"$shared/x", true},   // not the "$share/" prefix
        {"", false},           // [MQTT-4.7.3-1] (HOSTILE row 54)
        // [MQTT-4.7.1-1] '#' alone and last; [MQTT-4.7.1-2] '+' a whole level
        // (HOSTILE row 55).
        {"a/#/b", false},
        {"a#", false},
        {"sport+", false},
        {"#/x", false},
        {"+a", false},
        {"sport/tennis#", false},
        {"a/++", false},
        {"##", false},
        // [MQTT-4.8.2-1] [MQTT-4.8.2-2] bad shares (HOSTILE row 57).
        {"$share/p", false},
        {"$share/p/", false},
        {"$share//t", false},
        {"$share/a+b/t", false},
        {"$share/ab", false},
        {"$share/a#/t", false},
        {"$share/g/a/#/b", false},
        {"$share/", false},
    };
    for (const FilterCase& c : table) {
        const Error e = validate_topic_filter(Bytes::of(c.filter));
        CHECK_TEXT(e.ok() == c.valid, c.filter);
        if (!e.ok()) CHECK_TEXT(e.reason == Reason::TopicFilterInvalid, c.filter);
    }
}

TEST(TopicFilter, LevelCap) {
    CHECK_TRUE(validate_topic_filter(Bytes::of("a/b/c"), 3).ok());
    CHECK_FALSE(validate_topic_filter(Bytes::of("a/b/c/d"), 3).ok());
    CHECK_TRUE(validate_topic_filter(Bytes::of("a/b/c/d"), 0).ok());
    // The cap counts the filter after the share name.
    CHECK_TRUE(validate_topic_filter(Bytes::of("$share/g/a/b/c"), 3).ok());
    CHECK_FALSE(validate_topic_filter(Bytes::of("$share/g/a/b/c/d"), 3).ok());
    CHECK_TRUE(validate_topic_filter(Bytes::of("#"), 1).ok());
    CHECK_FALSE(validate_topic_filter(Bytes::of("/"), 1).ok());
    CHECK_TRUE(validate_topic_filter(Bytes::of("$share/g/+"), 1).ok());
    CHECK_FALSE(validate_topic_filter(Bytes::of("$share/g/+/"), 1).ok());
}

TEST(TopicFilter, DepthAttackIsRejectedAboveTheCap) {
    // HOSTILE row 58: 65 400 '/' make 65 401 levels; no recursion on the depth.
    const std::string deep(65400, '/');
    const Error e = validate_topic_filter(b(deep), 200);
    CHECK(e.reason == Reason::TopicFilterInvalid);
    CHECK_TRUE(validate_topic_filter(b(deep), 0).ok());
    std::string wide(65535, 'x');
    CHECK_TRUE(validate_topic_filter(b(wide), 200).ok());
    // Matching such a filter is linear and does not overflow the stack.
    const std::string deep_plus = std::string("+") + std::string(32000, '/');
    std::string filter;
    std::string topic;
    for (int i = 0; i < 20000; ++i) {
        filter += "+/";
        topic += "x/";
    }
    filter += "#";
    topic += "end";
    CHECK_TRUE(topic_matches(b(filter), b(topic)));
    CHECK_FALSE(topic_matches(b(deep_plus), b("a")));
}

TEST(TopicFilter, Utf8InFilterIsInvalid) {
    CHECK(validate_topic_filter(Bytes::of("a/\xC0\x80")).reason == Reason::TopicFilterInvalid);
    CHECK(validate_topic_filter(Bytes::of("$share/\xED\xA0\x80/t")).reason == Reason::TopicFilterInvalid);
    CHECK_TRUE(validate_topic_filter(Bytes::of("a/\x01"), 0, false).ok());
    CHECK_FALSE(validate_topic_filter(Bytes::of("a/\x01"), 0, true).ok());
    // The share name and the inner filter are UTF-8 too, strict or not as asked.
    CHECK_TRUE(validate_topic_filter(Bytes::of("$share/\xC3\xA9/\xC3\xA9"), 0, true).ok());
    CHECK_FALSE(validate_topic_filter(Bytes::of("$share/\x01/t"), 0, true).ok());
    CHECK_TRUE(validate_topic_filter(Bytes::of("$share/\x01/t"), 0, false).ok());
    CHECK_FALSE(validate_topic_filter(Bytes::of("$share/g/\x01"), 0, true).ok());
    CHECK_TRUE(validate_topic_filter(Bytes::of("$share/g/\x01"), 0, false).ok());
    CHECK(validate_topic_filter(Bytes::of("$share/\xC3/t")).reason == Reason::TopicFilterInvalid);
    CHECK(validate_topic_filter(Bytes::of("$share/g/t\xC3")).reason == Reason::TopicFilterInvalid);
    const std::string nul("$share/g/a\0", 11);
    CHECK(validate_topic_filter(b(nul), 0, false).reason == Reason::TopicFilterInvalid);
}

TEST(TopicFilter, HasWildcard) {
    CHECK_TRUE(has_wildcard(Bytes::of("a/+/b")));
    CHECK_TRUE(has_wildcard(Bytes::of("#")));
    CHECK_FALSE(has_wildcard(Bytes::of("a/b")));
    CHECK_FALSE(has_wildcard(Bytes::of("")));
}

TEST_GROUP(TopicMatch) {};

TEST(TopicMatch, Table) {
    const MatchCase table[] = {
        // §4.7.1.2 multi-level wildcard.
        {"sport/tennis/player1/#", "sport/tennis/player1", true},
        {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
        {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
        {"sport/#", "sport", true},  // '#' includes the parent level
        {"#", "sport/tennis", true},
        {"#", "/", true},
        {"sport/tennis/#", "sport/tennisx", false},
        {"sport/#", "sports", false},
        // §4.7.1.3 single-level wildcard.
        {"sport/tennis/+", "sport/tennis/player1", true},
        {"sport/tennis/+", "sport/tennis/player2", true},
        {"sport/tennis/+", "sport/tennis/player1/ranking", false},
        {"sport/+", "sport", false},
        {"sport/+", "sport/", true},
        {"+", "sport", true},
        {"+", "/sport", false},
        {"+/+", "/finance", true},
        {"/+", "/finance", true},
        {"+", "/finance", false},
        {"+/+/+", "a/b", false},
        {"a/+/c", "a//c", true},
        {"+/tennis/#", "sport/tennis/player1", true},
        {"+/tennis/#", "sport/tennis", true},
        // Exact match and case sensitivity (§4.7.3).
        {"ACCOUNTS", "ACCOUNTS", true},
        {"ACCOUNTS", "Accounts", false},
        {"a/b", "a/b/", false},
        {"a/b/", "a/b", false},
        {"a/b", "a/bc", false},
        {"a/bc", "a/b", false},
        {"/", "/", true},
        {"//", "/", false},
        // [MQTT-4.7.2-1] '$' topics are not matched by a leading wildcard.
        {"#", "$SYS/x", false},
        {"+/x", "$SYS/x", false},
        {"+/monitor/Clients", "$SYS/monitor/Clients", false},
        {"$SYS/#", "$SYS/monitor/Clients", true},
        {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
        {"$SYS/#", "$SYS", true},
        {"a/#", "a/$b", true},  // only the first character of the topic counts
        {"$SYS", "$SYS", true},
        {"a/#", "a/", true},
        {"+/#", "a", true},
        {"sport/+/#", "sport/x", true},
        {"sport/+/#", "sport", false},
        {"a/#", "ab", false},
        {"a//#", "a", false},
        {"/#", "/", true},
        {"+/+", "a/b/c", false},
    };
    for (const MatchCase& c : table) {
        std::string msg = std::string(c.filter) + " vs " + c.topic;
        CHECK_TEXT(topic_matches(Bytes::of(c.filter), Bytes::of(c.topic)) == c.matches, msg.c_str());
    }
}

TEST_GROUP(SharedFilter) {};

TEST(SharedFilter, SplitsGroupAndFilter) {
    SharedFilter sf;
    CHECK_TRUE(parse_shared(Bytes::of("$share/consumer1/sport/tennis/+"), sf).ok());
    CHECK_TRUE(sf.is_shared);
    CHECK_TRUE(sf.group == Bytes::of("consumer1"));
    CHECK_TRUE(sf.filter == Bytes::of("sport/tennis/+"));
    CHECK_TRUE(parse_shared(Bytes::of("$share/g/#"), sf).ok());
    CHECK_TRUE(sf.filter == Bytes::of("#"));
}

TEST(SharedFilter, NonSharedPassesThrough) {
    SharedFilter sf;
    sf.is_shared = true;
    CHECK_TRUE(parse_shared(Bytes::of("sport/+"), sf).ok());
    CHECK_FALSE(sf.is_shared);
    CHECK_TRUE(sf.group.empty());
    CHECK_TRUE(sf.filter == Bytes::of("sport/+"));
}

TEST(SharedFilter, MalformedSharesAreInvalid) {
    // [MQTT-4.8.2-1] ShareName at least one character, no '/', '+', '#';
    // [MQTT-4.8.2-2] followed by '/' and a Topic Filter (HOSTILE row 57).
    const char* bad[] = {"$share/p", "$share/p/", "$share//t", "$share/a+b/t", "$share/ab", "$share/g#/t", "$share/g/a#"};
    for (const char* f : bad) {
        SharedFilter sf;
        const Error e = parse_shared(Bytes::of(f), sf);
        CHECK_TEXT(e.reason == Reason::TopicFilterInvalid, f);
        CHECK_TEXT(!sf.is_shared && sf.group.empty(), f);  // nothing half-parsed
    }
}

TEST(SharedFilter, InnerOfAValidFilter) {
    // The view parse_shared() gives as `filter`, found without its checks.
    const char* filters[] = {"$share/consumer1/sport/tennis/+", "$share/g/#", "$share/g//", "$share/g/$share/h/x",
                             "sport/+", "#", "$share", "$shared/x", "$SYS/#", "/$share/g/x"};
    for (const char* f : filters) {
        CHECK_TEXT(validate_topic_filter(Bytes::of(f)).ok(), f);
        SharedFilter sf;
        CHECK_TEXT(parse_shared(Bytes::of(f), sf).ok(), f);
        const Bytes inner = shared_filter_inner(Bytes::of(f));
        CHECK_TEXT(inner.data == sf.filter.data && inner.size == sf.filter.size, f);
        CHECK_EQUAL_TEXT(static_cast<std::size_t>(sf.filter.data - Bytes::of(f).data), shared_filter_offset(Bytes::of(f)), f);
    }
    CHECK_TRUE(shared_filter_inner(Bytes::of("$share/g/a/b")) == Bytes::of("a/b"));
    CHECK_EQUAL(9U, shared_filter_offset(Bytes::of("$share/g/a/b")));
    CHECK_EQUAL(0U, shared_filter_offset(Bytes::of("a/b")));
}

TEST(SharedFilter, InnerOfAnInvalidFilterStaysInsideIt) {
    // Unspecified, but never past the view: a malformed share is returned whole.
    const char* bad[] = {"$share/", "$share/p", "$share//t", "$share/a+b/t", "$share/a#/t", "$share/g/"};
    for (const char* f : bad) {
        CHECK_TEXT(shared_filter_offset(Bytes::of(f)) <= Bytes::of(f).size, f);
    }
    // The prefix is compared within the view only.
    const Bytes cut = Bytes::of("$share/g/x", 4);
    CHECK_EQUAL(0U, shared_filter_offset(cut));
    CHECK_EQUAL(0U, shared_filter_offset(Bytes{}));
}
