// Configuration loader: every option, every error path (file, line and option must
// be named in the message), include_dir ordering.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "mote/broker/config.hpp"

// CppUTest last: its leak-detector macros redefine new for what follows.
#include <CppUTest/TestHarness.h>

using mote::broker::BrokerConfig;
using mote::broker::ConfigError;
using mote::broker::ListenerProtocol;
using mote::broker::LogLevel;
using mote::broker::load_config_file;
using mote::broker::parse_config_text;

namespace {

BrokerConfig parse_ok(const std::string& text) {
    BrokerConfig cfg;
    ConfigError err;
    const bool ok = parse_config_text(text, "t.conf", cfg, err);
    if (!ok) {
        FAIL(("unexpected config error: " + err.to_string()).c_str());
    }
    return cfg;
}

// Parses `text`, which must fail at `line` on `option` with a message containing
// `fragment`; checks the fields and the rendered "file:line: option: message".
void expect_error(const std::string& text, int line, const std::string& option,
                  const std::string& fragment) {
    BrokerConfig cfg;
    ConfigError err;
    const bool ok = parse_config_text(text, "t.conf", cfg, err);
    CHECK_FALSE_TEXT(ok, ("accepted: " + text).c_str());
    STRCMP_EQUAL("t.conf", err.file.c_str());
    LONGS_EQUAL(line, err.line);
    STRCMP_EQUAL(option.c_str(), err.option.c_str());
    const std::string s = err.to_string();
    const std::string prefix = "t.conf:" + std::to_string(line) + ": " + option + ": ";
    CHECK_TEXT(s.compare(0, prefix.size(), prefix) == 0, s.c_str());
    CHECK_TEXT(err.message.find(fragment) != std::string::npos, s.c_str());
}

std::uint8_t bit(LogLevel l) { return static_cast<std::uint8_t>(1U << static_cast<unsigned>(l)); }

std::string make_temp_dir() {
    char tmpl[] = "/tmp/mote-config-test-XXXXXX";
    const char* d = mkdtemp(tmpl);
    CHECK(d != nullptr);
    return d;
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    CHECK(out.good());
}

void remove_tree(const std::string& dir) {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) {
        return;
    }
    std::vector<std::string> names;
    while (const dirent* e = readdir(d)) {
        const std::string n = e->d_name;
        if (n != "." && n != "..") {
            names.push_back(n);
        }
    }
    closedir(d);
    for (const std::string& n : names) {
        const std::string p = dir + "/" + n;
        struct stat st {};
        if (lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
            remove_tree(p);
        } else {
            unlink(p.c_str());
        }
    }
    rmdir(dir.c_str());
}

}  // namespace

TEST_GROUP(ConfigParse){};

TEST(ConfigParse, EmptyTextGivesDefaultsAndNoListener) {
    const BrokerConfig cfg = parse_ok("");
    BrokerConfig defaults;
    // No listener: the net layer listens on 127.0.0.1 only (see apply_cli).
    CHECK(cfg.listeners.empty());
    CHECK_EQUAL(defaults.allow_anonymous, cfg.allow_anonymous);
    LONGS_EQUAL(defaults.max_inflight_messages, cfg.max_inflight_messages);
    LONGS_EQUAL(defaults.max_queued_messages, cfg.max_queued_messages);
    LONGS_EQUAL(defaults.max_packet_size, cfg.max_packet_size);
    LONGS_EQUAL(defaults.max_keepalive, cfg.max_keepalive);
    LONGS_EQUAL(defaults.max_topic_alias, cfg.max_topic_alias);
    LONGS_EQUAL(0, cfg.log_mask);
    CHECK(cfg.log_dest.empty());
    STRCMP_EQUAL("t.conf", cfg.config_file.c_str());
}

TEST(ConfigParse, CommentsBlankLinesWhitespaceAndCrlf) {
    const BrokerConfig cfg = parse_ok(
        "# a comment\n"
        "\n"
        "   \t\n"
        "   # indented comment\n"
        "  max_keepalive \t 120  \r\n"
        "sys_interval 5\r\n");
    LONGS_EQUAL(120, cfg.max_keepalive);
    LONGS_EQUAL(5, cfg.sys_interval);
}

TEST(ConfigParse, EveryScalarOption) {
    const BrokerConfig cfg = parse_ok(
        "allow_anonymous false\n"
        "max_inflight_messages 7\n"
        "max_queued_messages 0\n"
        "max_queued_bytes 1048576\n"
        "message_size_limit 4096\n"
        "max_packet_size 65536\n"
        "max_keepalive 300\n"
        "persistent_client_expiration 2d\n"
        "retain_available false\n"
        "max_topic_alias 0\n"
        "sys_interval 0\n"
        "connect_timeout 3\n");
    CHECK_FALSE(cfg.allow_anonymous);
    LONGS_EQUAL(7, cfg.max_inflight_messages);
    LONGS_EQUAL(0, cfg.max_queued_messages);
    CHECK_EQUAL(1048576U, cfg.max_queued_bytes);
    LONGS_EQUAL(4096, cfg.message_size_limit);
    LONGS_EQUAL(65536, cfg.max_packet_size);
    LONGS_EQUAL(300, cfg.max_keepalive);
    CHECK_EQUAL(2U * 86400U, cfg.persistent_client_expiration);
    CHECK_FALSE(cfg.retain_available);
    LONGS_EQUAL(0, cfg.max_topic_alias);
    LONGS_EQUAL(0, cfg.sys_interval);
    LONGS_EQUAL(3, cfg.connect_timeout);
}

TEST(ConfigParse, BooleansTrue) {
    const BrokerConfig cfg = parse_ok("allow_anonymous true\nretain_available true\n");
    CHECK_TRUE(cfg.allow_anonymous);
    CHECK_TRUE(cfg.retain_available);
}

TEST(ConfigParse, RangeLimitsAccepted) {
    const BrokerConfig lo = parse_ok(
        "max_keepalive 10\nmax_packet_size 20\nconnect_timeout 1\nmax_inflight_messages 0\n");
    LONGS_EQUAL(10, lo.max_keepalive);
    LONGS_EQUAL(20, lo.max_packet_size);
    LONGS_EQUAL(1, lo.connect_timeout);
    LONGS_EQUAL(0, lo.max_inflight_messages);
    const BrokerConfig hi = parse_ok(
        "max_keepalive 65535\nmax_packet_size 268435460\nconnect_timeout 3600\n"
        "max_inflight_messages 65535\nmax_topic_alias 65535\nsys_interval 65535\n"
        "message_size_limit 268435455\nmax_queued_messages 4294967295\n");
    LONGS_EQUAL(65535, hi.max_keepalive);
    CHECK_EQUAL(268435460U, hi.max_packet_size);
    LONGS_EQUAL(3600, hi.connect_timeout);
    LONGS_EQUAL(65535, hi.max_inflight_messages);
    LONGS_EQUAL(65535, hi.max_topic_alias);
    LONGS_EQUAL(65535, hi.sys_interval);
    CHECK_EQUAL(268435455U, hi.message_size_limit);
    CHECK_EQUAL(4294967295U, hi.max_queued_messages);
}

TEST(ConfigParse, MaxPacketSizeZeroMeansProtocolMaximum) {
    const BrokerConfig cfg = parse_ok("max_packet_size 0\n");
    CHECK_EQUAL(268435460U, cfg.max_packet_size);
}

TEST(ConfigParse, DurationUnits) {
    const struct {
        const char* text;
        std::uint64_t seconds;
    } cases[] = {{"1h", 3600U}, {"2d", 172800U}, {"3w", 1814400U}, {"4m", 4U * 30U * 86400U},
                 {"5y", 5U * 365U * 86400U}, {"36h", 36U * 3600U}};
    for (const auto& c : cases) {
        const BrokerConfig cfg =
            parse_ok(std::string("persistent_client_expiration ") + c.text + "\n");
        CHECK_EQUAL_TEXT(c.seconds, cfg.persistent_client_expiration, c.text);
    }
}

TEST(ConfigParse, ListenerWithAndWithoutAddress) {
    const BrokerConfig cfg = parse_ok(
        "listener 1884\n"
        "listener 1885 127.0.0.1\n"
        "listener 1885 ::1\n");
    LONGS_EQUAL(3, cfg.listeners.size());
    LONGS_EQUAL(1884, cfg.listeners[0].port);
    STRCMP_EQUAL("", cfg.listeners[0].bind_address.c_str());
    LONGS_EQUAL(1885, cfg.listeners[1].port);
    STRCMP_EQUAL("127.0.0.1", cfg.listeners[1].bind_address.c_str());
    STRCMP_EQUAL("::1", cfg.listeners[2].bind_address.c_str());
    LONGS_EQUAL(3, cfg.listeners[2].line);
    STRCMP_EQUAL("t.conf", cfg.listeners[2].file.c_str());
    CHECK(cfg.listeners[0].protocol == ListenerProtocol::Mqtt);
}

TEST(ConfigParse, PortAndBindAddressMakeTheDefaultListenerFirst) {
    const BrokerConfig cfg = parse_ok(
        "listener 1884 127.0.0.1\n"
        "port 1999\n"
        "bind_address 10.0.0.1\n");
    LONGS_EQUAL(2, cfg.listeners.size());
    LONGS_EQUAL(1999, cfg.listeners[0].port);
    STRCMP_EQUAL("10.0.0.1", cfg.listeners[0].bind_address.c_str());
    LONGS_EQUAL(1884, cfg.listeners[1].port);
}

TEST(ConfigParse, PortAloneListensOnAllInterfaces) {
    const BrokerConfig cfg = parse_ok("port 1999\n");
    LONGS_EQUAL(1, cfg.listeners.size());
    STRCMP_EQUAL("", cfg.listeners[0].bind_address.c_str());
}

TEST(ConfigParse, BindAddressAloneUsesPort1883) {
    const BrokerConfig cfg = parse_ok("bind_address 127.0.0.2\n");
    LONGS_EQUAL(1, cfg.listeners.size());
    LONGS_EQUAL(1883, cfg.listeners[0].port);
    STRCMP_EQUAL("127.0.0.2", cfg.listeners[0].bind_address.c_str());
}

TEST(ConfigParse, MaxConnectionsGlobalAndPerListener) {
    const BrokerConfig cfg = parse_ok(
        "max_connections 50\n"
        "listener 1884\n"
        "listener 1885\n"
        "max_connections 7\n"
        "listener 1886\n"
        "max_connections -1\n");
    LONGS_EQUAL(3, cfg.listeners.size());
    LONGS_EQUAL(50, cfg.listeners[0].max_connections);
    LONGS_EQUAL(7, cfg.listeners[1].max_connections);
    LONGS_EQUAL(0, cfg.listeners[2].max_connections);  // -1: unlimited
}

TEST(ConfigParse, MaxConnectionsAppliesToTheDefaultListener) {
    const BrokerConfig cfg = parse_ok("max_connections 3\nport 1999\n");
    LONGS_EQUAL(1, cfg.listeners.size());
    LONGS_EQUAL(3, cfg.listeners[0].max_connections);
}

TEST(ConfigParse, ProtocolPerListener) {
    const BrokerConfig cfg = parse_ok(
        "listener 1884\nprotocol mqtt\nlistener 8080\nprotocol websockets\n");
    CHECK(cfg.listeners[0].protocol == ListenerProtocol::Mqtt);
    CHECK(cfg.listeners[1].protocol == ListenerProtocol::WebSockets);
}

TEST(ConfigParse, LogDestAccumulatesAndFilePathMayHaveSpaces) {
    const BrokerConfig cfg = parse_ok(
        "log_dest stderr\nlog_dest stdout\nlog_dest file /var/log/my mote.log\nlog_dest none\n");
    LONGS_EQUAL(4, cfg.log_dest.size());
    STRCMP_EQUAL("stderr", cfg.log_dest[0].c_str());
    STRCMP_EQUAL("stdout", cfg.log_dest[1].c_str());
    STRCMP_EQUAL("file /var/log/my mote.log", cfg.log_dest[2].c_str());
    STRCMP_EQUAL("none", cfg.log_dest[3].c_str());
}

TEST(ConfigParse, LogTypeAccumulates) {
    const BrokerConfig cfg = parse_ok("log_type error\nlog_type warning\n");
    CHECK(cfg.log_mask & bit(LogLevel::Error));
    CHECK(cfg.log_mask & bit(LogLevel::Warning));
    CHECK_FALSE(cfg.log_mask & bit(LogLevel::Info));
    CHECK_FALSE(cfg.log_mask & bit(LogLevel::Debug));
    CHECK_FALSE(cfg.log_mask & bit(LogLevel::Notice));
}

TEST(ConfigParse, LogTypeEachName) {
    const struct {
        const char* name;
        std::uint8_t bits;
    } cases[] = {{"debug", bit(LogLevel::Debug)},     {"information", bit(LogLevel::Info)},
                 {"notice", bit(LogLevel::Notice)},   {"warning", bit(LogLevel::Warning)},
                 {"error", bit(LogLevel::Error)},     {"none", 0},
                 {"all", static_cast<std::uint8_t>(bit(LogLevel::Debug) | bit(LogLevel::Info) |
                                                   bit(LogLevel::Notice) | bit(LogLevel::Warning) |
                                                   bit(LogLevel::Error))}};
    for (const auto& c : cases) {
        const BrokerConfig cfg = parse_ok(std::string("log_type ") + c.name + "\n");
        LONGS_EQUAL_TEXT(c.bits, cfg.log_mask & 0x1F, c.name);
        // "log_type none" must differ from "no log_type" (0 = default levels).
        CHECK_TEXT(cfg.log_mask != 0, c.name);
    }
}

TEST(ConfigParse, FailureLeavesOutputUntouched) {
    BrokerConfig cfg;
    cfg.max_keepalive = 77;
    ConfigError err;
    CHECK_FALSE(parse_config_text("max_keepalive 100\nbogus 1\n", "t.conf", cfg, err));
    LONGS_EQUAL(77, cfg.max_keepalive);
    CHECK(cfg.listeners.empty());
}

TEST_GROUP(ConfigErrors){};

TEST(ConfigErrors, UnknownOption) {
    expect_error("max_keepalive 60\n\nfrobnicate 1\n", 3, "frobnicate", "unknown option");
}

TEST(ConfigErrors, UnknownOptionWithoutValue) {
    expect_error("frobnicate\n", 1, "frobnicate", "unknown option");
}

TEST(ConfigErrors, MosquittoOptionsNotSupportedYet) {
    const char* names[] = {"psk_hint",      "auth_plugin", "crlfile",  "dhparamfile",
                           "tls_engine",    "autosave_interval", "bridge_psk", "idle_timeout",
                           "bridge_bind_address", "auth_opt_db", "plugin_opt_x", "autosave_on_changes",
                           "memory_limit", "psk_file", "local_username"};
    for (const char* n : names) {
        expect_error(std::string("# x\n") + n + " something\n", 2, n, "not supported yet");
    }
}

TEST(ConfigErrors, MissingValues) {
    const char* names[] = {"listener", "port", "bind_address", "allow_anonymous",
                           "max_connections", "max_inflight_messages", "max_queued_messages",
                           "max_queued_bytes", "message_size_limit", "max_packet_size",
                           "max_keepalive", "persistent_client_expiration", "retain_available",
                           "max_topic_alias", "sys_interval", "connect_timeout", "log_dest",
                           "log_type", "include_dir", "protocol"};
    for (const char* n : names) {
        expect_error(std::string(n) + "\n", 1, n, "missing value");
        expect_error(std::string(n) + "   \t\n", 1, n, "missing value");
    }
}

TEST(ConfigErrors, BadAndOutOfRangeIntegers) {
    const struct {
        const char* option;
        const char* value;
        const char* range;
    } cases[] = {
        {"max_keepalive", "9", "from 10 to 65535"},
        {"max_keepalive", "65536", "from 10 to 65535"},
        {"max_keepalive", "x", "from 10 to 65535"},
        {"max_keepalive", "-5", "from 10 to 65535"},
        {"max_keepalive", "+5", "from 10 to 65535"},
        {"max_keepalive", "60s", "from 10 to 65535"},
        {"max_inflight_messages", "65536", "from 0 to 65535"},
        {"max_queued_messages", "4294967296", "from 0 to 4294967295"},
        {"max_queued_bytes", "99999999999999999999999", "from 0 to"},
        {"message_size_limit", "268435456", "from 0 to 268435455"},
        {"max_packet_size", "19", "20 to 268435460"},
        {"max_packet_size", "268435461", "20 to 268435460"},
        {"max_topic_alias", "65536", "from 0 to 65535"},
        {"sys_interval", "65536", "from 0 to 65535"},
        {"connect_timeout", "0", "from 1 to 3600"},
        {"connect_timeout", "3601", "from 1 to 3600"},
        {"port", "0", "from 1 to 65535"},
        {"port", "65536", "from 1 to 65535"},
        {"max_connections", "0", "-1 (unlimited) or an integer from 1"},
        {"max_connections", "-2", "-1 (unlimited) or an integer from 1"},
        {"max_connections", "4294967296", "-1 (unlimited) or an integer from 1"},
    };
    for (const auto& c : cases) {
        expect_error(std::string("\n") + c.option + " " + c.value + "\n", 2, c.option, c.range);
        // The offending value is quoted back to the operator.
        BrokerConfig cfg;
        ConfigError err;
        CHECK_FALSE(parse_config_text(std::string(c.option) + " " + c.value, "t.conf", cfg, err));
        CHECK_TEXT(err.message.find(std::string("'") + c.value + "'") != std::string::npos,
                   err.to_string().c_str());
    }
}

TEST(ConfigErrors, ExtraTokens) {
    expect_error("max_keepalive 60 120\n", 1, "max_keepalive", "got '60 120'");
    expect_error("port 1883 # trailing comment\n", 1, "port", "got '1883 # trailing comment'");
    expect_error("allow_anonymous true false\n", 1, "allow_anonymous", "true or false");
    expect_error("log_dest stderr stdout\n", 1, "log_dest", "stderr, stdout, none or file PATH");
    expect_error("listener 1884 127.0.0.1 extra\n", 1, "listener", "listener PORT [BIND_ADDRESS]");
    expect_error("log_type error warning\n", 1, "log_type", "debug, information");
}

TEST(ConfigErrors, BadBooleans) {
    expect_error("allow_anonymous yes\n", 1, "allow_anonymous", "expected true or false, got 'yes'");
    expect_error("retain_available 1\n", 1, "retain_available", "expected true or false, got '1'");
    expect_error("retain_available TRUE\n", 1, "retain_available", "got 'TRUE'");
}

TEST(ConfigErrors, BadDurations) {
    const char* bad[] = {"10", "h", "0h", "1s", "1H", "-1d", "1.5d", "99999999999999999999y",
                         "1hd"};
    for (const char* b : bad) {
        expect_error(std::string("persistent_client_expiration ") + b + "\n", 1,
                     "persistent_client_expiration", "duration");
    }
}

TEST(ConfigErrors, DuplicatesOfSingleValuedOptions) {
    expect_error("max_keepalive 60\n# c\nmax_keepalive 60\n", 3, "max_keepalive",
                 "given more than once (first at t.conf:1)");
    expect_error("port 1\nport 2\n", 2, "port", "more than once");
    expect_error("bind_address a\nbind_address b\n", 2, "bind_address", "more than once");
    expect_error("allow_anonymous true\nallow_anonymous true\n", 2, "allow_anonymous",
                 "more than once");
    expect_error("listener 1884\nmax_connections 1\nmax_connections 2\n", 3, "max_connections",
                 "first at t.conf:2");
    expect_error("max_connections 1\nmax_connections 2\n", 2, "max_connections", "more than once");
    expect_error("listener 1884\nprotocol mqtt\nprotocol mqtt\n", 3, "protocol", "more than once");
    expect_error("log_dest stderr\nlog_dest stderr\n", 2, "log_dest", "more than once");
    expect_error("log_dest file /tmp/a\nlog_dest file /tmp/a\n", 2, "log_dest", "more than once");
}

TEST(ConfigErrors, PerListenerOptionsMayRepeatAcrossSections) {
    const BrokerConfig cfg = parse_ok(
        "max_connections 9\nlistener 1884\nmax_connections 1\nlistener 1885\nmax_connections 2\n");
    LONGS_EQUAL(1, cfg.listeners[0].max_connections);
    LONGS_EQUAL(2, cfg.listeners[1].max_connections);
}

TEST(ConfigErrors, BadListeners) {
    expect_error("listener abc\n", 1, "listener", "expected a port from 1 to 65535, got 'abc'");
    expect_error("listener 70000\n", 1, "listener", "got '70000'");
    expect_error("listener 0 /tmp/mote.sock\n", 1, "listener", "not supported yet");
    expect_error("listener 1884\nlistener 1884\n", 2, "listener",
                 "port 1884 is already used by the listener at t.conf:1");
    expect_error("listener 1884 127.0.0.1\nlistener 1884\n", 2, "listener", "already used");
    expect_error("port 1884\nlistener 1884 127.0.0.1\n", 2, "listener", "already used");
}

TEST(ConfigErrors, MaxConnectionsWithoutAnyListener) {
    expect_error("# c\nmax_connections 3\n", 2, "max_connections", "no listener is configured");
}

TEST(ConfigErrors, ProtocolNeedsAListener) {
    expect_error("protocol mqtt\n", 1, "protocol", "must follow a 'listener' line");
    expect_error("listener 1884\nprotocol http\n", 2, "protocol", "got 'http'");
}

TEST(ConfigErrors, LogDestAndLogTypeValues) {
    expect_error("log_dest syslog\n", 1, "log_dest", "not supported yet");
    expect_error("log_dest topic\n", 1, "log_dest", "not supported yet");
    expect_error("log_dest dlt\n", 1, "log_dest", "not supported yet");
    expect_error("log_dest console\n", 1, "log_dest", "got 'console'");
    expect_error("log_dest file\n", 1, "log_dest", "missing value: expected 'file PATH'");
    expect_error("log_type subscribe\n", 1, "log_type", "not supported yet");
    expect_error("log_type websockets\n", 1, "log_type", "not supported yet");
    expect_error("log_type info\n", 1, "log_type", "got 'info'");
}

TEST(ConfigErrors, IncludeDirMissing) {
    expect_error("include_dir /nonexistent/mote-conf.d\n", 1, "include_dir",
                 "cannot open directory '/nonexistent/mote-conf.d'");
}

TEST(ConfigErrors, ErrorMessageFormat) {
    ConfigError err;
    err.file = "mote.conf";
    err.line = 12;
    err.option = "max_keepalive";
    err.message = "expected an integer from 10 to 65535, got 'x'";
    STRCMP_EQUAL("mote.conf:12: max_keepalive: expected an integer from 10 to 65535, got 'x'",
                 err.to_string().c_str());
    err.line = 0;
    err.option.clear();
    err.message = "cannot read";
    STRCMP_EQUAL("mote.conf: cannot read", err.to_string().c_str());
}

TEST_GROUP(ConfigFiles) {
    std::string dir;
    void setup() override { dir = make_temp_dir(); }
    void teardown() override { remove_tree(dir); }
};

TEST(ConfigFiles, LoadsAFile) {
    const std::string path = dir + "/mote.conf";
    write_file(path, "listener 1884 127.0.0.1\nmax_keepalive 100\n");
    BrokerConfig cfg;
    ConfigError err;
    CHECK_TEXT(load_config_file(path, cfg, err), err.to_string().c_str());
    LONGS_EQUAL(100, cfg.max_keepalive);
    STRCMP_EQUAL(path.c_str(), cfg.config_file.c_str());
    STRCMP_EQUAL(path.c_str(), cfg.listeners[0].file.c_str());
}

TEST(ConfigFiles, UnreadableFileNamesTheFileWithoutLine) {
    BrokerConfig cfg;
    ConfigError err;
    const std::string path = dir + "/missing.conf";
    CHECK_FALSE(load_config_file(path, cfg, err));
    STRCMP_EQUAL(path.c_str(), err.file.c_str());
    LONGS_EQUAL(0, err.line);
    CHECK(err.message.find("cannot read configuration file") != std::string::npos);
    CHECK(err.message.find("No such file") != std::string::npos);
}

TEST(ConfigFiles, DirectoryIsNotAConfigFile) {
    BrokerConfig cfg;
    ConfigError err;
    CHECK_FALSE(load_config_file(dir, cfg, err));
    STRCMP_EQUAL(dir.c_str(), err.file.c_str());
    CHECK(err.message.find("not a regular file") != std::string::npos);
}

TEST(ConfigFiles, IncludeDirReadsConfFilesInAlphabeticalOrder) {
    const std::string inc = dir + "/conf.d";
    mkdir(inc.c_str(), 0700);
    // Byte order: "B" < "a" < "b"; files not ending in .conf are skipped.
    write_file(inc + "/b.conf", "log_dest file /tmp/b\n");
    write_file(inc + "/a.conf", "log_dest file /tmp/a\n");
    write_file(inc + "/B.conf", "log_dest file /tmp/B\n");
    write_file(inc + "/c.conf.bak", "this would be an error\n");
    write_file(inc + "/README", "neither is this\n");
    mkdir((inc + "/sub").c_str(), 0700);
    const std::string path = dir + "/mote.conf";
    write_file(path, "log_dest stderr\ninclude_dir " + inc + "\nlog_dest stdout\n");
    BrokerConfig cfg;
    ConfigError err;
    CHECK_TEXT(load_config_file(path, cfg, err), err.to_string().c_str());
    LONGS_EQUAL(5, cfg.log_dest.size());
    STRCMP_EQUAL("stderr", cfg.log_dest[0].c_str());
    STRCMP_EQUAL("file /tmp/B", cfg.log_dest[1].c_str());
    STRCMP_EQUAL("file /tmp/a", cfg.log_dest[2].c_str());
    STRCMP_EQUAL("file /tmp/b", cfg.log_dest[3].c_str());
    STRCMP_EQUAL("stdout", cfg.log_dest[4].c_str());
}

TEST(ConfigFiles, ErrorInIncludedFileNamesThatFileAndLine) {
    const std::string inc = dir + "/conf.d";
    mkdir(inc.c_str(), 0700);
    write_file(inc + "/10-ok.conf", "max_keepalive 60\n");
    write_file(inc + "/20-bad.conf", "# comment\nsys_interval 5\npsk_file /etc/pw\n");
    const std::string path = dir + "/mote.conf";
    write_file(path, "include_dir " + inc + "\n");
    BrokerConfig cfg;
    ConfigError err;
    CHECK_FALSE(load_config_file(path, cfg, err));
    STRCMP_EQUAL((inc + "/20-bad.conf").c_str(), err.file.c_str());
    LONGS_EQUAL(3, err.line);
    STRCMP_EQUAL("psk_file", err.option.c_str());
    CHECK(err.message.find("not supported yet") != std::string::npos);
}

TEST(ConfigFiles, DuplicateAcrossIncludedFileNamesBothPlaces) {
    const std::string inc = dir + "/conf.d";
    mkdir(inc.c_str(), 0700);
    write_file(inc + "/x.conf", "\nmax_keepalive 60\n");
    const std::string path = dir + "/mote.conf";
    write_file(path, "max_keepalive 30\ninclude_dir " + inc + "/\n");
    BrokerConfig cfg;
    ConfigError err;
    CHECK_FALSE(load_config_file(path, cfg, err));
    STRCMP_EQUAL((inc + "/x.conf").c_str(), err.file.c_str());
    LONGS_EQUAL(2, err.line);
    CHECK(err.message.find("first at " + path + ":1") != std::string::npos);
}

TEST(ConfigFiles, SelfIncludingDirectoryIsAnError) {
    const std::string path = dir + "/loop.conf";
    write_file(path, "include_dir " + dir + "\n");
    BrokerConfig cfg;
    ConfigError err;
    CHECK_FALSE(load_config_file(path, cfg, err));
    STRCMP_EQUAL("include_dir", err.option.c_str());
    CHECK(err.message.find("nested more than") != std::string::npos);
}

TEST(ConfigParse, MosquittoCompatOptions) {
    // Issue 9: Mote options; the defaults behave like mosquitto 2.0.
    const BrokerConfig def = parse_ok("");
    CHECK_FALSE(def.reason_strings);
    LONGS_EQUAL(201, def.max_topic_levels);
    const BrokerConfig cfg = parse_ok("reason_strings true\nmax_topic_levels 0\n");
    CHECK_TRUE(cfg.reason_strings);
    LONGS_EQUAL(0, cfg.max_topic_levels);
    LONGS_EQUAL(65536, parse_ok("max_topic_levels 65536\n").max_topic_levels);
    expect_error("max_topic_levels 65537\n", 1, "max_topic_levels", "65536");
    expect_error("reason_strings yes\n", 1, "reason_strings", "true or false");
}
