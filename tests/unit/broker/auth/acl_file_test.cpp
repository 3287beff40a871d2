// The ACL file: mosquitto's format and mosquitto 2.0's matching order (checked
// against Debian's mosquitto 2.0.11: deny before allow, the anonymous section, %c
// and %u patterns, the '$' rule), plus Mote's SUBSCRIBE check and parse errors.
#include "../../../../broker/src/auth/acl_file.hpp"

#include <CppUTest/TestHarness.h>

#include <string>

using namespace mote::broker::auth;

namespace {

AclFile parse_ok(const std::string& text) {
    AclFile acl;
    ParseError err;
    CHECK_TEXT(AclFile::parse(text, acl, err), err.message.c_str());
    return acl;
}

void expect_error(const std::string& text, int line, const char* fragment) {
    AclFile acl;
    ParseError err;
    CHECK_FALSE_TEXT(AclFile::parse(text, acl, err), text.c_str());
    LONGS_EQUAL(line, err.line);
    CHECK_TEXT(err.message.find(fragment) != std::string::npos, err.message.c_str());
}

AclIdentity anon(const char* id) { return AclIdentity{id, {}, false}; }
AclIdentity user(const char* id, const char* name) { return AclIdentity{id, name, true}; }

const char* kExample =
    "# anonymous clients\n"
    "topic read public/#\n"
    "topic deny test/nosubscribe\n"
    "topic readwrite test/#\n"
    "\n"
    "user alice\n"
    "topic readwrite test/#\n"
    "topic deny test/nosubscribe\n"
    "topic read $SYS/#\n"
    "topic write sensors/+/cmd\n"
    "topic sensors/alice/#\n"
    "pattern readwrite clients/%c/#\n"
    "pattern read users/%u/inbox\n";

}  // namespace

TEST_GROUP(AclMatch){};

TEST(AclMatch, TopicMatchesSubLikeMosquitto) {
    CHECK(acl_topic_matches("a/b", "a/b"));
    CHECK_FALSE(acl_topic_matches("a/b", "a/c"));
    CHECK(acl_topic_matches("a/+", "a/b"));
    CHECK_FALSE(acl_topic_matches("a/+", "a/b/c"));
    CHECK(acl_topic_matches("a/#", "a/b/c"));
    CHECK(acl_topic_matches("a/#", "a"));  // '#' also matches the parent level
    CHECK(acl_topic_matches("#", "a"));
    CHECK(acl_topic_matches("+/+", "/x"));
    CHECK(acl_topic_matches("a//b", "a//b"));
    CHECK_FALSE(acl_topic_matches("a/b", "a/b/"));
    CHECK(acl_topic_matches("a/+", "a/"));
    // A filter as the topic (SUBSCRIBE check): '+' and '#' are literal there.
    CHECK(acl_topic_matches("a/#", "a/+"));
    CHECK(acl_topic_matches("a/+", "a/#"));
    CHECK_FALSE(acl_topic_matches("a/b", "a/+"));
    CHECK_FALSE(acl_topic_matches("a/#", "#"));
}

TEST_GROUP(AclFile){};

TEST(AclFile, AnonymousSectionAppliesToClientsWithoutUserName) {
    AclFile acl = parse_ok(kExample);
    CHECK(acl.allowed(anon("x"), "public/a", kRead));
    CHECK_FALSE(acl.allowed(anon("x"), "public/a", kWrite));
    CHECK(acl.allowed(anon("x"), "test/a", kWrite));
    // A user with no section of its own gets the patterns only, not the anonymous rules.
    CHECK_FALSE(acl.allowed(user("x", "bob"), "public/a", kRead));
}

TEST(AclFile, DenyRulesWinWhereverTheyAre) {
    AclFile acl = parse_ok(kExample);
    // mosquitto 2.0.11 answers alice's QoS 1 PUBLISH to test/nosubscribe with 0x87
    // although "readwrite test/#" comes first in her section.
    CHECK_FALSE(acl.allowed(user("c", "alice"), "test/nosubscribe", kWrite));
    CHECK_FALSE(acl.allowed(user("c", "alice"), "test/nosubscribe", kRead));
    CHECK(acl.allowed(user("c", "alice"), "test/other", kWrite));
    CHECK_FALSE(acl.allowed(anon("c"), "test/nosubscribe", kRead));
}

TEST(AclFile, AccessWordsAndDefault) {
    AclFile acl = parse_ok(kExample);
    CHECK(acl.allowed(user("c", "alice"), "sensors/x/cmd", kWrite));
    CHECK_FALSE(acl.allowed(user("c", "alice"), "sensors/x/cmd", kRead));
    // No access word: readwrite.
    CHECK(acl.allowed(user("c", "alice"), "sensors/alice/t", kRead));
    CHECK(acl.allowed(user("c", "alice"), "sensors/alice/t", kWrite));
    CHECK_FALSE(acl.allowed(user("c", "alice"), "elsewhere", kRead));
}

TEST(AclFile, DollarTopicsNeedADollarRule) {
    AclFile acl = parse_ok("topic read #\nuser alice\ntopic read $SYS/#\ntopic read #\n");
    CHECK(acl.allowed(anon("c"), "a/b", kRead));
    CHECK_FALSE(acl.allowed(anon("c"), "$SYS/broker/uptime", kRead));  // `#` does not open $SYS
    CHECK(acl.allowed(user("c", "alice"), "$SYS/broker/uptime", kRead));
}

TEST(AclFile, PatternsSubstituteClientIdAndUserName) {
    AclFile acl = parse_ok(kExample);
    CHECK(acl.allowed(anon("dev1"), "clients/dev1/up", kWrite));
    CHECK_FALSE(acl.allowed(anon("dev1"), "clients/dev2/up", kWrite));
    CHECK(acl.allowed(user("dev1", "bob"), "users/bob/inbox", kRead));
    CHECK_FALSE(acl.allowed(user("dev1", "bob"), "users/alice/inbox", kRead));
    // %u never matches a client without a user name.
    CHECK_FALSE(acl.allowed(anon("dev1"), "users//inbox", kRead));
}

TEST(AclFile, PatternsRefuseWildcardOrSlashInIdentity) {
    AclFile acl = parse_ok(kExample);
    CHECK_FALSE(acl.allowed(anon("a/b"), "clients/a/b/x", kWrite));
    CHECK_FALSE(acl.allowed(anon("+"), "clients/+/x", kWrite));
    CHECK_FALSE(acl.allowed(user("c", "#"), "users/#/inbox", kRead));
}

TEST(AclFile, SubscribeMatchesTheFilterLiterally) {
    AclFile acl = parse_ok(kExample);
    CHECK(acl.may_subscribe(user("c", "alice"), "test/#"));
    CHECK(acl.may_subscribe(user("c", "alice"), "test/+"));
    CHECK(acl.may_subscribe(user("c", "alice"), "test/x"));
    CHECK_FALSE(acl.may_subscribe(user("c", "alice"), "test/nosubscribe"));
    CHECK_FALSE(acl.may_subscribe(user("c", "alice"), "#"));
    CHECK_FALSE(acl.may_subscribe(user("c", "alice"), "sensors/x/cmd"));  // write only
    CHECK(acl.may_subscribe(user("c", "alice"), "$SYS/#"));
    CHECK_FALSE(acl.may_subscribe(anon("c"), "$SYS/#"));
}

TEST(AclFile, EmptyFileDeniesEverything) {
    AclFile acl = parse_ok("# nothing\n");
    CHECK_FALSE(acl.allowed(anon("c"), "a", kRead));
    CHECK_FALSE(acl.allowed(user("c", "u"), "a", kWrite));
}

TEST(AclFile, ParseErrorsNameTheLine) {
    expect_error("topic read a\nfrobnicate x\n", 2, "unknown keyword");
    expect_error("topic\n", 1, "missing topic");
    expect_error("user\n", 1, "missing user name");
    expect_error("\n\ntopic rwx a/b\n", 3, "unknown access");
    expect_error("pattern read a/#/b\n", 1, "'#' must be the last");
    expect_error("topic read a/b+\n", 1, "'+' must be a whole");
    expect_error(std::string("topic read a") + '\0' + "b\n", 1, "NUL");
    expect_error("topic read " + std::string(70000, 'a') + "\n", 1, "longer than");
}

TEST(AclFile, TopicIsTheRestOfTheLine) {
    // mosquitto: the topic is everything after the access word (spaces included).
    AclFile acl = parse_ok("topic read my topic/#\n  topic   write   x\r\n");
    CHECK(acl.allowed(anon("c"), "my topic/a", kRead));
    CHECK(acl.allowed(anon("c"), "x", kWrite));
}
