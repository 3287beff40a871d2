// A bridge's topic remapping (broker/src/bridge/topic_map.cpp), with mosquitto's
// rules for `topic PATTERN DIRECTION QOS LOCAL_PREFIX REMOTE_PREFIX`.
#include "bridge/topic_map.hpp"

#include <CppUTest/TestHarness.h>

using namespace mote::broker;
using namespace mote::broker::bridge;

namespace {

BridgeTopic line(const char* pattern, const char* local, const char* remote,
                 BridgeDirection d = BridgeDirection::Both) {
    BridgeTopic t;
    t.pattern = pattern;
    t.local_prefix = local;
    t.remote_prefix = remote;
    t.direction = d;
    return t;
}

}  // namespace

TEST_GROUP(BridgeTopicMap){};

TEST(BridgeTopicMap, WithoutPrefixesTopicsAreUnchanged) {
    const BridgeTopic t = line("sensors/#", "", "");
    STRCMP_EQUAL("sensors/#", local_filter(t).c_str());
    STRCMP_EQUAL("sensors/#", remote_filter(t).c_str());
    std::string out;
    CHECK_TRUE(to_remote(t, "sensors/a/b", out));
    STRCMP_EQUAL("sensors/a/b", out.c_str());
    CHECK_TRUE(to_local(t, "sensors/a/b", out));
    STRCMP_EQUAL("sensors/a/b", out.c_str());
}

TEST(BridgeTopicMap, PrefixesAreSwapped) {
    const BridgeTopic t = line("temp/#", "gw/", "site1/gw/");
    STRCMP_EQUAL("gw/temp/#", local_filter(t).c_str());
    STRCMP_EQUAL("site1/gw/temp/#", remote_filter(t).c_str());
    std::string out;
    CHECK_TRUE(to_remote(t, "gw/temp/1", out));
    STRCMP_EQUAL("site1/gw/temp/1", out.c_str());
    CHECK_TRUE(to_local(t, "site1/gw/temp/1", out));
    STRCMP_EQUAL("gw/temp/1", out.c_str());
}

TEST(BridgeTopicMap, EmptyPatternMakesThePrefixesWholeTopics) {
    const BridgeTopic t = line("", "local/status", "remote/gw7/status");
    STRCMP_EQUAL("local/status", local_filter(t).c_str());
    std::string out;
    CHECK_TRUE(to_remote(t, "local/status", out));
    STRCMP_EQUAL("remote/gw7/status", out.c_str());
}

TEST(BridgeTopicMap, ATopicWithoutTheSidesPrefixIsNotMapped) {
    const BridgeTopic t = line("#", "a/", "b/");
    std::string out;
    CHECK_FALSE(to_remote(t, "c/x", out));
    CHECK_FALSE(to_local(t, "a/x", out));
}

TEST(BridgeTopicMap, Directions) {
    CHECK_TRUE(goes_out(line("#", "", "", BridgeDirection::Out)));
    CHECK_FALSE(comes_in(line("#", "", "", BridgeDirection::Out)));
    CHECK_TRUE(comes_in(line("#", "", "", BridgeDirection::In)));
    CHECK_FALSE(goes_out(line("#", "", "", BridgeDirection::In)));
    CHECK_TRUE(goes_out(line("#", "", "", BridgeDirection::Both)));
    CHECK_TRUE(comes_in(line("#", "", "", BridgeDirection::Both)));
}
