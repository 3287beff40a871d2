// Logger: line format, levels (log_type and -v), destinations (log_dest).
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "mote/broker/config.hpp"
#include "mote/broker/log.hpp"

// CppUTest last: its leak-detector macros redefine new for what follows.
#include <CppUTest/TestHarness.h>

using mote::broker::BrokerConfig;
using mote::broker::Logger;
using mote::broker::LogLevel;

namespace {

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::uint8_t bit(LogLevel l) { return static_cast<std::uint8_t>(1U << static_cast<unsigned>(l)); }

}  // namespace

TEST_GROUP(Logger) {
    std::string dir;
    std::string path;
    void setup() override {
        char tmpl[] = "/tmp/mote-log-test-XXXXXX";
        const char* d = mkdtemp(tmpl);
        CHECK(d != nullptr);
        dir = d;
        path = dir + "/mote.log";
    }
    void teardown() override {
        unlink(path.c_str());
        rmdir(dir.c_str());
    }
    BrokerConfig file_config() {
        BrokerConfig cfg;
        cfg.log_dest.push_back("file " + path);
        return cfg;
    }
};

TEST(Logger, LineFormatIsTimestampLevelMessage) {
    {
        Logger log;
        std::string error;
        CHECK_TEXT(log.configure(file_config(), error), error.c_str());
        log.log(LogLevel::Info, "connect client=%s port=%d", "abc", 1883);
        log.log(LogLevel::Error, "bad %s", "thing");
    }
    const std::string text = read_all(path);
    const std::regex line(
        "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z info connect client=abc port=1883\n"
        "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z error bad thing\n");
    CHECK_TEXT(std::regex_match(text, line), text.c_str());
}

TEST(Logger, DefaultLevelsAreInfoAndAbove) {
    Logger log;
    CHECK_FALSE(log.enabled(LogLevel::Debug));
    CHECK_TRUE(log.enabled(LogLevel::Info));
    CHECK_TRUE(log.enabled(LogLevel::Notice));
    CHECK_TRUE(log.enabled(LogLevel::Warning));
    CHECK_TRUE(log.enabled(LogLevel::Error));
    {
        std::string error;
        CHECK(log.configure(file_config(), error));
        log.log(LogLevel::Debug, "hidden");
        log.log(LogLevel::Notice, "shown");
    }
    const std::string text = read_all(path);
    CHECK(text.find("hidden") == std::string::npos);
    CHECK(text.find(" notice shown\n") != std::string::npos);
}

TEST(Logger, LogTypeMaskSelectsLevels) {
    BrokerConfig cfg = file_config();
    cfg.log_mask = static_cast<std::uint8_t>(0x80 | bit(LogLevel::Error) | bit(LogLevel::Debug));
    Logger log;
    std::string error;
    CHECK(log.configure(cfg, error));
    CHECK_TRUE(log.enabled(LogLevel::Error));
    CHECK_TRUE(log.enabled(LogLevel::Debug));
    CHECK_FALSE(log.enabled(LogLevel::Info));
    CHECK_FALSE(log.enabled(LogLevel::Warning));
    log.log(LogLevel::Warning, "not me");
    log.log(LogLevel::Debug, "me");
    const std::string text = read_all(path);
    CHECK(text.find("not me") == std::string::npos);
    CHECK(text.find(" debug me\n") != std::string::npos);
}

TEST(Logger, LogTypeNoneDisablesEverything) {
    BrokerConfig cfg = file_config();
    cfg.log_mask = 0x80;  // "log_type none": given, no level
    Logger log;
    std::string error;
    CHECK(log.configure(cfg, error));
    CHECK_FALSE(log.enabled(LogLevel::Error));
    log.log(LogLevel::Error, "x");
    STRCMP_EQUAL("", read_all(path).c_str());
}

TEST(Logger, VerboseAddsDebugAndSurvivesReconfigure) {
    Logger log;
    log.set_verbose(true);
    CHECK_TRUE(log.enabled(LogLevel::Debug));
    std::string error;
    CHECK(log.configure(file_config(), error));
    CHECK_TRUE(log.enabled(LogLevel::Debug));
    log.set_verbose(false);
    CHECK_FALSE(log.enabled(LogLevel::Debug));
    CHECK_TRUE(log.enabled(LogLevel::Info));
}

TEST(Logger, LogDestNoneWritesNothing) {
    BrokerConfig cfg;
    cfg.log_dest.push_back("none");
    Logger log;
    std::string error;
    CHECK(log.configure(cfg, error));
    CHECK_FALSE(log.enabled(LogLevel::Error));
}

TEST(Logger, TwoDestinationsBothGetTheLine) {
    const std::string second = dir + "/second.log";
    BrokerConfig cfg = file_config();
    cfg.log_dest.push_back("file " + second);
    {
        Logger log;
        std::string error;
        CHECK(log.configure(cfg, error));
        log.log(LogLevel::Warning, "twice");
    }
    CHECK(read_all(path).find(" warning twice\n") != std::string::npos);
    CHECK(read_all(second).find(" warning twice\n") != std::string::npos);
    unlink(second.c_str());
}

TEST(Logger, UnopenableFileFailsAndKeepsPreviousSinks) {
    Logger log;
    std::string error;
    CHECK(log.configure(file_config(), error));
    BrokerConfig bad;
    bad.log_dest.push_back("file /nonexistent-dir/mote.log");
    CHECK_FALSE(log.configure(bad, error));
    CHECK(error.find("/nonexistent-dir/mote.log") != std::string::npos);
    log.log(LogLevel::Info, "still here");
    CHECK(read_all(path).find("still here") != std::string::npos);
}

TEST(Logger, LongMessageIsTruncatedToOneLine) {
    {
        Logger log;
        std::string error;
        CHECK(log.configure(file_config(), error));
        const std::string big(5000, 'x');
        log.log(LogLevel::Info, "%s", big.c_str());
    }
    const std::string text = read_all(path);
    CHECK(text.size() <= 1024);
    CHECK(text.size() > 900);
    LONGS_EQUAL('\n', text.back());
    LONGS_EQUAL(text.size() - 1, text.find('\n'));  // exactly one line
}
