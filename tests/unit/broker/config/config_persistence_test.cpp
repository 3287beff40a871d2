// The persistence options: mosquitto's names (persistence, persistence_location,
// persistence_file) and Mote's durability settings; bad values name file, line and
// option.
#include <string>

#include "mote/broker/config.hpp"

#include <CppUTest/TestHarness.h>

using mote::broker::BrokerConfig;
using mote::broker::ConfigError;
using mote::broker::Durability;
using mote::broker::parse_config_text;

namespace {

void expect_bad(const std::string& text, const std::string& option, const std::string& fragment) {
    BrokerConfig cfg;
    ConfigError err;
    CHECK_FALSE(parse_config_text(text, "p.conf", cfg, err));
    STRCMP_EQUAL(option.c_str(), err.option.c_str());
    LONGS_EQUAL(1, err.line);
    CHECK_TEXT(err.message.find(fragment) != std::string::npos, err.to_string().c_str());
}

}  // namespace

TEST_GROUP(ConfigPersistence){};

TEST(ConfigPersistence, DefaultsAreOffStrictAndOneSecond) {
    BrokerConfig cfg;
    CHECK_FALSE(cfg.persistence);
    STRCMP_EQUAL("mote.db", cfg.persistence_file.c_str());
    CHECK(cfg.persistence_durability == Durability::Strict);
    LONGS_EQUAL(1000, cfg.persistence_interval_ms);
}

TEST(ConfigPersistence, AllOptions) {
    BrokerConfig cfg;
    ConfigError err;
    CHECK_TEXT(parse_config_text("persistence true\npersistence_location /var/lib/my mote/\npersistence_file x.db\n"
                                 "persistence_durability relaxed\npersistence_interval_ms 250\n"
                                 "persistence_max_bytes 1048576\n",
                                 "p.conf", cfg, err),
               err.to_string().c_str());
    CHECK(cfg.persistence);
    STRCMP_EQUAL("/var/lib/my mote/", cfg.persistence_location.c_str());
    STRCMP_EQUAL("x.db", cfg.persistence_file.c_str());
    CHECK(cfg.persistence_durability == Durability::Relaxed);
    LONGS_EQUAL(250, cfg.persistence_interval_ms);
    LONGS_EQUAL(1048576, cfg.persistence_max_bytes);
}

TEST(ConfigPersistence, BadValues) {
    expect_bad("persistence yes\n", "persistence", "expected true or false");
    expect_bad("persistence_durability fast\n", "persistence_durability", "expected strict or relaxed");
    expect_bad("persistence_file a/b.db\n", "persistence_file", "without '/'");
    expect_bad("persistence_interval_ms 5\n", "persistence_interval_ms", "from 10 to 60000");
    expect_bad("persistence_max_bytes 100\n", "persistence_max_bytes", "at least 65536");
}

TEST(ConfigPersistence, AutosaveStaysUnsupported) {
    // mosquitto's snapshot interval has no meaning for a store written per commit.
    expect_bad("autosave_interval 60\n", "autosave_interval", "not supported yet");
}
