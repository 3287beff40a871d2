// Bridge sections (broker/src/config/config_bridge.cpp): `connection NAME` and its
// options with mosquitto's names, syntax and defaults (mosquitto.conf(5), 2.0.11),
// the defaults that depend on other options, and every error naming file, line and
// option.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "mote/broker/config.hpp"

// CppUTest last: its leak-detector macros redefine new for what follows.
#include <CppUTest/TestHarness.h>

using mote::broker::BridgeConfig;
using mote::broker::BridgeDirection;
using mote::broker::BridgeDrain;
using mote::broker::BridgeTopic;
using mote::broker::BrokerConfig;
using mote::broker::ConfigError;
using mote::broker::load_config_file;
using mote::broker::parse_config_text;

namespace {

// A readable file standing in for a PEM file (the parser only checks access).
struct TempFile {
    std::string path;
    TempFile() {
        char tmpl[] = "/tmp/mote-bridge-config-XXXXXX";
        const int fd = mkstemp(tmpl);
        CHECK(fd >= 0);
        close(fd);
        path = tmpl;
    }
    ~TempFile() { std::remove(path.c_str()); }
};

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/mote-bridge-config-XXXXXX";
        const char* d = mkdtemp(tmpl);
        CHECK(d != nullptr);
        path = d;
    }
    ~TempDir() {
        DIR* d = opendir(path.c_str());
        if (d != nullptr) {
            while (const dirent* e = readdir(d)) {
                const std::string n = e->d_name;
                if (n != "." && n != "..") {
                    unlink((path + "/" + n).c_str());
                }
            }
            closedir(d);
        }
        rmdir(path.c_str());
    }
};

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    CHECK(out.good());
}

BrokerConfig parse_ok(const std::string& text) {
    BrokerConfig cfg;
    ConfigError err;
    CHECK_TEXT(parse_config_text(text, "t.conf", cfg, err), err.to_string().c_str());
    return cfg;
}

void expect_error(const std::string& text, int line, const std::string& option, const std::string& fragment) {
    BrokerConfig cfg;
    ConfigError err;
    CHECK_FALSE_TEXT(parse_config_text(text, "t.conf", cfg, err), ("accepted: " + text).c_str());
    const std::string s = err.to_string();
    STRCMP_EQUAL_TEXT("t.conf", err.file.c_str(), s.c_str());
    LONGS_EQUAL_TEXT(line, err.line, (s + "\nin:\n" + text).c_str());
    STRCMP_EQUAL_TEXT(option.c_str(), err.option.c_str(), s.c_str());
    const std::string prefix = "t.conf:" + std::to_string(line) + ": " + option + ": ";
    CHECK_TEXT(s.compare(0, prefix.size(), prefix) == 0, s.c_str());
    CHECK_TEXT(err.message.find(fragment) != std::string::npos, (s + "\nexpected: " + fragment).c_str());
}

// A valid section to which a test appends the line under test (line 4).
const std::string kSection = "connection b\naddress up.example\ntopic a/#\n";

std::string host_name() {
    char buf[HOST_NAME_MAX + 1] = {};
    CHECK(gethostname(buf, sizeof buf - 1) == 0);
    return buf;
}

}  // namespace

TEST_GROUP(ConfigBridge){};

TEST(ConfigBridge, NoConnectionNoBridges) {
    LONGS_EQUAL(0, parse_ok("max_keepalive 60\n").bridges.size());
}

TEST(ConfigBridge, MinimalSectionGetsMosquittoDefaults) {
    const BrokerConfig cfg = parse_ok("# gateway\nconnection cloud\naddress up.example\ntopic a/#\n");
    LONGS_EQUAL(1, cfg.bridges.size());
    const BridgeConfig& b = cfg.bridges[0];
    STRCMP_EQUAL("cloud", b.name.c_str());
    STRCMP_EQUAL("t.conf", b.at.file.c_str());
    LONGS_EQUAL(2, b.at.line);
    LONGS_EQUAL(1, b.addresses.size());
    STRCMP_EQUAL("up.example", b.addresses[0].first.c_str());
    LONGS_EQUAL(1883, b.addresses[0].second);
    CHECK_FALSE(b.round_robin);
    LONGS_EQUAL(1, b.topics.size());
    STRCMP_EQUAL("a/#", b.topics[0].pattern.c_str());
    CHECK(b.topics[0].direction == BridgeDirection::Out);
    LONGS_EQUAL(0, b.topics[0].qos);
    STRCMP_EQUAL("", b.topics[0].local_prefix.c_str());
    STRCMP_EQUAL("", b.topics[0].remote_prefix.c_str());
    LONGS_EQUAL(4, b.topics[0].at.line);
    LONGS_EQUAL(4, b.protocol_version);
    // mosquitto: remote_clientid "<hostname>.<name>", local_clientid "local.<remote>".
    const std::string remote = host_name() + ".cloud";
    STRCMP_EQUAL(remote.c_str(), b.remote_clientid.c_str());
    STRCMP_EQUAL(("local." + remote).c_str(), b.local_clientid.c_str());
    CHECK_FALSE(b.has_remote_username);
    CHECK_FALSE(b.has_remote_password);
    CHECK_FALSE(b.cleansession);
    CHECK_FALSE(b.local_cleansession);
    LONGS_EQUAL(60, b.keepalive_interval);
    LONGS_EQUAL(5, b.restart_timeout_base);
    LONGS_EQUAL(30, b.restart_timeout_cap);
    CHECK(b.try_private);
    CHECK(b.notifications);
    CHECK_FALSE(b.notifications_local_only);
    STRCMP_EQUAL(("$SYS/broker/connection/" + remote + "/state").c_str(), b.notification_topic.c_str());
    CHECK(b.outgoing_retain);
    LONGS_EQUAL(0, b.max_packet_size);
    LONGS_EQUAL(0, b.receive_maximum);
    LONGS_EQUAL(0, b.session_expiry_interval);
    CHECK_FALSE(b.tls_enabled());
    CHECK_FALSE(b.insecure);
    STRCMP_EQUAL("", b.tls_version.c_str());
    LONGS_EQUAL(100000, b.max_queued_messages);
    LONGS_EQUAL(0, b.max_queued_bytes);
    LONGS_EQUAL(0, b.outgoing_rate);
    CHECK(b.drain_policy == BridgeDrain::Fifo);
}

TEST(ConfigBridge, EveryOption) {
    TempFile ca, cert, key;
    TempDir capath;
    const std::string text = "connection cloud-1.eu_west\n"                       // 1
                             "addresses up1.example:8883 [::1]:1884 10.0.0.1\n"    // 2
                             "round_robin true\n"                                  // 3
                             "topic sensors/# out 1 site/ gw7/\n"                  // 4
                             "topic cmd/+ in 2 \"\" cloud/\n"                      // 5
                             "topic \"\" both 0 local/state remote/state\n"        // 6
                             "bridge_protocol_version mqttv50\n"                   // 7
                             "remote_clientid gw-7\n"                              // 8
                             "local_clientid gw-7-local\n"                         // 9
                             "remote_username gate way\n"                          // 10
                             "remote_password s3cret with blanks\n"                // 11
                             "cleansession true\n"                                 // 12
                             "local_cleansession false\n"                          // 13
                             "keepalive_interval 5\n"                              // 14
                             "restart_timeout 2 120\n"                             // 15
                             "try_private false\n"                                 // 16
                             "notifications false\n"                               // 17
                             "notifications_local_only true\n"                     // 18
                             "notification_topic gw/7/bridge state\n"              // 19
                             "bridge_outgoing_retain false\n"                      // 20
                             "bridge_max_packet_size 65536\n"                      // 21
                             "bridge_receive_maximum 100\n"                        // 22
                             "bridge_session_expiry_interval 4294967295\n"         // 23
                             "bridge_cafile " + ca.path + "\n"                     // 24
                             "bridge_capath " + capath.path + "\n"                 // 25
                             "bridge_certfile " + cert.path + "\n"                 // 26
                             "bridge_keyfile " + key.path + "\n"                   // 27
                             "bridge_insecure true\n"                              // 28
                             "bridge_tls_version tlsv1.2\n"                        // 29
                             "start_type automatic\n"                              // 30
                             "bridge_max_queued_messages 0\n"                      // 31
                             "bridge_max_queued_bytes 1073741824\n"                // 32
                             "bridge_outgoing_rate 200\n";                         // 33
    const BrokerConfig cfg = parse_ok(text);
    LONGS_EQUAL(1, cfg.bridges.size());
    const BridgeConfig& b = cfg.bridges[0];
    STRCMP_EQUAL("cloud-1.eu_west", b.name.c_str());
    LONGS_EQUAL(3, b.addresses.size());
    STRCMP_EQUAL("up1.example", b.addresses[0].first.c_str());
    LONGS_EQUAL(8883, b.addresses[0].second);
    STRCMP_EQUAL("::1", b.addresses[1].first.c_str());
    LONGS_EQUAL(1884, b.addresses[1].second);
    STRCMP_EQUAL("10.0.0.1", b.addresses[2].first.c_str());
    LONGS_EQUAL(1883, b.addresses[2].second);
    CHECK(b.round_robin);
    LONGS_EQUAL(3, b.topics.size());
    const BridgeTopic& t0 = b.topics[0];
    STRCMP_EQUAL("sensors/#", t0.pattern.c_str());
    CHECK(t0.direction == BridgeDirection::Out);
    LONGS_EQUAL(1, t0.qos);
    STRCMP_EQUAL("site/", t0.local_prefix.c_str());
    STRCMP_EQUAL("gw7/", t0.remote_prefix.c_str());
    const BridgeTopic& t1 = b.topics[1];
    STRCMP_EQUAL("cmd/+", t1.pattern.c_str());
    CHECK(t1.direction == BridgeDirection::In);
    LONGS_EQUAL(2, t1.qos);
    STRCMP_EQUAL("", t1.local_prefix.c_str());
    STRCMP_EQUAL("cloud/", t1.remote_prefix.c_str());
    const BridgeTopic& t2 = b.topics[2];
    STRCMP_EQUAL("", t2.pattern.c_str());
    CHECK(t2.direction == BridgeDirection::Both);
    LONGS_EQUAL(0, t2.qos);
    STRCMP_EQUAL("local/state", t2.local_prefix.c_str());
    STRCMP_EQUAL("remote/state", t2.remote_prefix.c_str());
    LONGS_EQUAL(6, t2.at.line);
    LONGS_EQUAL(5, b.protocol_version);
    STRCMP_EQUAL("gw-7", b.remote_clientid.c_str());
    STRCMP_EQUAL("gw-7-local", b.local_clientid.c_str());
    CHECK(b.has_remote_username);
    STRCMP_EQUAL("gate way", b.remote_username.c_str());
    CHECK(b.has_remote_password);
    STRCMP_EQUAL("s3cret with blanks", b.remote_password.c_str());
    CHECK(b.cleansession);
    CHECK_FALSE(b.local_cleansession);
    LONGS_EQUAL(5, b.keepalive_interval);
    LONGS_EQUAL(2, b.restart_timeout_base);
    LONGS_EQUAL(120, b.restart_timeout_cap);
    CHECK_FALSE(b.try_private);
    CHECK_FALSE(b.notifications);
    CHECK(b.notifications_local_only);
    STRCMP_EQUAL("gw/7/bridge state", b.notification_topic.c_str());
    CHECK_FALSE(b.outgoing_retain);
    LONGS_EQUAL(65536, b.max_packet_size);
    LONGS_EQUAL(100, b.receive_maximum);
    CHECK(b.session_expiry_interval == 4294967295U);
    CHECK(b.tls_enabled());
    STRCMP_EQUAL(ca.path.c_str(), b.cafile.c_str());
    STRCMP_EQUAL(capath.path.c_str(), b.capath.c_str());
    STRCMP_EQUAL(cert.path.c_str(), b.certfile.c_str());
    STRCMP_EQUAL(key.path.c_str(), b.keyfile.c_str());
    LONGS_EQUAL(24, b.cafile_at.line);
    LONGS_EQUAL(25, b.capath_at.line);
    LONGS_EQUAL(26, b.certfile_at.line);
    LONGS_EQUAL(27, b.keyfile_at.line);
    STRCMP_EQUAL("t.conf", b.keyfile_at.file.c_str());
    CHECK(b.insecure);
    STRCMP_EQUAL("tlsv1.2", b.tls_version.c_str());
    LONGS_EQUAL(0, b.max_queued_messages);
    CHECK(b.max_queued_bytes == 1073741824U);
    LONGS_EQUAL(200, b.outgoing_rate);
}

TEST(ConfigBridge, OldAliasesOfRemoteOptions) {
    // mosquitto still accepts clientid, username and password for the remote side.
    const BrokerConfig cfg = parse_ok(kSection + "clientid old-id\nusername u\npassword p\n");
    const BridgeConfig& b = cfg.bridges[0];
    STRCMP_EQUAL("old-id", b.remote_clientid.c_str());
    STRCMP_EQUAL("local.old-id", b.local_clientid.c_str());
    STRCMP_EQUAL("$SYS/broker/connection/old-id/state", b.notification_topic.c_str());
    STRCMP_EQUAL("u", b.remote_username.c_str());
    STRCMP_EQUAL("p", b.remote_password.c_str());
}

TEST(ConfigBridge, LocalCleansessionDefaultsToCleansession) {
    CHECK(parse_ok(kSection + "cleansession true\n").bridges[0].local_cleansession);
    CHECK_FALSE(parse_ok(kSection + "cleansession true\nlocal_cleansession false\n").bridges[0].local_cleansession);
    CHECK(parse_ok(kSection + "local_cleansession true\n").bridges[0].local_cleansession);
    CHECK_FALSE(parse_ok(kSection + "cleansession false\n").bridges[0].local_cleansession);
}

TEST(ConfigBridge, RestartTimeoutWithOneNumberIsConstant) {
    const BridgeConfig b = parse_ok(kSection + "restart_timeout 20\n").bridges[0];
    LONGS_EQUAL(20, b.restart_timeout_base);
    LONGS_EQUAL(20, b.restart_timeout_cap);
    const BridgeConfig c = parse_ok(kSection + "restart_timeout 7 7\n").bridges[0];
    LONGS_EQUAL(7, c.restart_timeout_base);
    LONGS_EQUAL(7, c.restart_timeout_cap);
}

TEST(ConfigBridge, AddressForms) {
    const BridgeConfig b =
        parse_ok("connection b\naddress h1 h2:1 [fe80::1] [2001:db8::2]:65535 2001:db8::3:8883\ntopic t\n").bridges[0];
    LONGS_EQUAL(5, b.addresses.size());
    STRCMP_EQUAL("h1", b.addresses[0].first.c_str());
    LONGS_EQUAL(1883, b.addresses[0].second);
    STRCMP_EQUAL("h2", b.addresses[1].first.c_str());
    LONGS_EQUAL(1, b.addresses[1].second);
    STRCMP_EQUAL("fe80::1", b.addresses[2].first.c_str());
    LONGS_EQUAL(1883, b.addresses[2].second);
    STRCMP_EQUAL("2001:db8::2", b.addresses[3].first.c_str());
    LONGS_EQUAL(65535, b.addresses[3].second);
    // mosquitto's unbracketed IPv6: the last ':' separates the (then mandatory) port.
    STRCMP_EQUAL("2001:db8::3", b.addresses[4].first.c_str());
    LONGS_EQUAL(8883, b.addresses[4].second);
}

TEST(ConfigBridge, TopicForms) {
    const BridgeConfig b =
        parse_ok("connection b\naddress h\ntopic a\ntopic b/+ in\ntopic c/# both 2\ntopic # out 1 \"\" \"\"\n")
            .bridges[0];
    LONGS_EQUAL(4, b.topics.size());
    CHECK(b.topics[0].direction == BridgeDirection::Out);
    LONGS_EQUAL(0, b.topics[0].qos);
    CHECK(b.topics[1].direction == BridgeDirection::In);
    LONGS_EQUAL(0, b.topics[1].qos);
    CHECK(b.topics[2].direction == BridgeDirection::Both);
    LONGS_EQUAL(2, b.topics[2].qos);
    STRCMP_EQUAL("#", b.topics[3].pattern.c_str());
    LONGS_EQUAL(1, b.topics[3].qos);
    STRCMP_EQUAL("", b.topics[3].local_prefix.c_str());
    STRCMP_EQUAL("", b.topics[3].remote_prefix.c_str());
}

TEST(ConfigBridge, TwoBridgesKeepTheirOwnOptions) {
    const BrokerConfig cfg = parse_ok("connection one\naddress a.example\ntopic x/# out 1\nkeepalive_interval 30\n"
                                      "cleansession true\nremote_clientid r1\n"
                                      "connection two\naddress b.example:1884\ntopic y/# in 2\n"
                                      "bridge_protocol_version mqttv50\n");
    LONGS_EQUAL(2, cfg.bridges.size());
    const BridgeConfig& one = cfg.bridges[0];
    const BridgeConfig& two = cfg.bridges[1];
    STRCMP_EQUAL("one", one.name.c_str());
    STRCMP_EQUAL("two", two.name.c_str());
    LONGS_EQUAL(7, two.at.line);
    LONGS_EQUAL(30, one.keepalive_interval);
    LONGS_EQUAL(60, two.keepalive_interval);
    CHECK(one.cleansession);
    CHECK_FALSE(two.cleansession);
    LONGS_EQUAL(4, one.protocol_version);
    LONGS_EQUAL(5, two.protocol_version);
    STRCMP_EQUAL("r1", one.remote_clientid.c_str());
    STRCMP_EQUAL((host_name() + ".two").c_str(), two.remote_clientid.c_str());
    LONGS_EQUAL(1, one.topics.size());
    LONGS_EQUAL(1, two.topics.size());
    STRCMP_EQUAL("y/#", two.topics[0].pattern.c_str());
    LONGS_EQUAL(1884, two.addresses[0].second);
}

TEST(ConfigBridge, SingleOptionsOncePerSectionButAgainInTheNextSection) {
    const BrokerConfig cfg = parse_ok("connection one\naddress a\ntopic x\nkeepalive_interval 30\ntry_private false\n"
                                      "connection two\naddress b\ntopic x\nkeepalive_interval 40\ntry_private false\n");
    LONGS_EQUAL(30, cfg.bridges[0].keepalive_interval);
    LONGS_EQUAL(40, cfg.bridges[1].keepalive_interval);
}

TEST(ConfigBridge, ListenerLineDoesNotEndTheSection) {
    // As in mosquitto: bridge options keep applying to the current bridge and
    // listener options to the current listener, in any interleaving.
    const BrokerConfig cfg = parse_ok("connection b\naddress h\nlistener 1884\ntopic a/#\nmax_connections 5\n"
                                      "cleansession true\nprotocol websockets\nmax_keepalive 100\n");
    LONGS_EQUAL(1, cfg.listeners.size());
    LONGS_EQUAL(1884, cfg.listeners[0].port);
    LONGS_EQUAL(5, cfg.listeners[0].max_connections);
    CHECK(cfg.listeners[0].protocol == mote::broker::ListenerProtocol::WebSockets);
    LONGS_EQUAL(100, cfg.max_keepalive);
    LONGS_EQUAL(1, cfg.bridges.size());
    LONGS_EQUAL(1, cfg.bridges[0].topics.size());
    CHECK(cfg.bridges[0].cleansession);
}

TEST(ConfigBridge, GlobalOptionsInsideSectionKeepTheirMeaning) {
    const BrokerConfig cfg = parse_ok(kSection + "max_queued_messages 7\nallow_anonymous false\n");
    LONGS_EQUAL(7, cfg.max_queued_messages);
    CHECK_FALSE(cfg.allow_anonymous);
    LONGS_EQUAL(100000, cfg.bridges[0].max_queued_messages);
}

// The example of mosquitto.conf(5) ("Example Bridge Topic Remapping"), as is, and a
// typical mosquitto 2.0 gateway bridge file with comments and blank lines.
TEST(ConfigBridge, MosquittoExampleFilesParseAsIs) {
    const BrokerConfig ex = parse_ok("connection test-mosquitto-org\n"
                                     "address test.mosquitto.org\n"
                                     "cleansession true\n"
                                     "topic clients/total in 0 test/mosquitto/org/ $SYS/broker/\n");
    const BridgeConfig& b = ex.bridges[0];
    STRCMP_EQUAL("test.mosquitto.org", b.addresses[0].first.c_str());
    CHECK(b.cleansession);
    CHECK(b.local_cleansession);
    STRCMP_EQUAL("clients/total", b.topics[0].pattern.c_str());
    STRCMP_EQUAL("test/mosquitto/org/", b.topics[0].local_prefix.c_str());
    STRCMP_EQUAL("$SYS/broker/", b.topics[0].remote_prefix.c_str());
    CHECK(b.topics[0].direction == BridgeDirection::In);

    const BrokerConfig gw = parse_ok("# mosquitto.conf on the gateway\n"
                                     "listener 1883 127.0.0.1\n"
                                     "allow_anonymous true\n"
                                     "\n"
                                     "# =================================================================\n"
                                     "# Bridges\n"
                                     "# =================================================================\n"
                                     "connection cloud\n"
                                     "address broker.example.com:1883\n"
                                     "bridge_protocol_version mqttv311\n"
                                     "remote_clientid gateway-42\n"
                                     "remote_username gateway-42\n"
                                     "remote_password changeme\n"
                                     "cleansession false\n"
                                     "keepalive_interval 60\n"
                                     "restart_timeout 5 30\n"
                                     "try_private true\n"
                                     "notifications true\n"
                                     "start_type automatic\n"
                                     "topic telemetry/# out 1 \"\" site42/\n"
                                     "topic commands/# in 1 \"\" site42/\n"
                                     "bridge_outgoing_retain true\n");
    const BridgeConfig& c = gw.bridges[0];
    LONGS_EQUAL(8, c.at.line);
    STRCMP_EQUAL("gateway-42", c.remote_clientid.c_str());
    STRCMP_EQUAL("local.gateway-42", c.local_clientid.c_str());
    LONGS_EQUAL(2, c.topics.size());
    STRCMP_EQUAL("site42/", c.topics[1].remote_prefix.c_str());
}

TEST(ConfigBridge, SectionEndsWithItsFileAsInMosquitto) {
    TempDir dir;
    TempDir inc;
    write_file(inc.path + "/b.conf", "connection inner\naddress i\ntopic i/#\n");
    const std::string path = dir.path + "/mote.conf";
    // After the include_dir line the outer bridge continues: topic o/# is its own.
    write_file(path, "connection outer\naddress o\ninclude_dir " + inc.path + "\ntopic o/#\n");
    BrokerConfig cfg;
    ConfigError err;
    CHECK_TEXT(load_config_file(path, cfg, err), err.to_string().c_str());
    LONGS_EQUAL(2, cfg.bridges.size());
    STRCMP_EQUAL("outer", cfg.bridges[0].name.c_str());
    STRCMP_EQUAL("o/#", cfg.bridges[0].topics[0].pattern.c_str());
    LONGS_EQUAL(1, cfg.bridges[0].topics.size());
    STRCMP_EQUAL("inner", cfg.bridges[1].name.c_str());
    STRCMP_EQUAL((inc.path + "/b.conf").c_str(), cfg.bridges[1].at.file.c_str());

    // An included file cannot add options to the including file's bridge.
    write_file(inc.path + "/b.conf", "# more\ntopic x/#\n");
    BrokerConfig cfg2;
    CHECK_FALSE(load_config_file(path, cfg2, err));
    STRCMP_EQUAL((inc.path + "/b.conf").c_str(), err.file.c_str());
    LONGS_EQUAL(2, err.line);
    STRCMP_EQUAL("topic", err.option.c_str());
    CHECK_TEXT(err.message.find("connection") != std::string::npos, err.to_string().c_str());
}

TEST_GROUP(ConfigBridgeErrors){};

TEST(ConfigBridgeErrors, EveryBridgeOptionOutsideASection) {
    const char* lines[] = {"address h",          "addresses h",
                           "round_robin true",   "topic a",
                           "bridge_protocol_version mqttv50", "remote_clientid x",
                           "clientid x",         "local_clientid x",
                           "remote_username u",  "username u",
                           "remote_password p",  "password p",
                           "cleansession true",  "local_cleansession true",
                           "keepalive_interval 60", "restart_timeout 5",
                           "try_private true",   "notifications true",
                           "notifications_local_only true", "notification_topic t",
                           "bridge_outgoing_retain true", "bridge_max_packet_size 0",
                           "bridge_receive_maximum 1", "bridge_session_expiry_interval 0",
                           "bridge_cafile /etc/hostname", "bridge_capath /etc",
                           "bridge_certfile /etc/hostname", "bridge_keyfile /etc/hostname",
                           "bridge_insecure false", "bridge_tls_version tlsv1.2",
                           "start_type automatic", "bridge_max_queued_messages 1",
                           "bridge_max_queued_bytes 1", "bridge_outgoing_rate 1"};
    for (const char* l : lines) {
        const std::string line = l;
        const std::string option = line.substr(0, line.find(' '));
        expect_error("listener 1883\n" + line + "\n", 2, option, "must follow a 'connection NAME' line");
    }
}

TEST(ConfigBridgeErrors, EveryBridgeOptionMissingValue) {
    const char* names[] = {"connection", "address", "addresses", "round_robin", "topic", "bridge_protocol_version",
                           "remote_clientid", "clientid", "local_clientid", "remote_username", "username",
                           "remote_password", "password", "cleansession", "local_cleansession",
                           "keepalive_interval", "restart_timeout", "try_private", "notifications",
                           "notifications_local_only", "notification_topic", "bridge_outgoing_retain",
                           "bridge_max_packet_size", "bridge_receive_maximum", "bridge_session_expiry_interval",
                           "bridge_cafile", "bridge_capath", "bridge_certfile", "bridge_keyfile",
                           "bridge_insecure", "bridge_tls_version", "start_type", "bridge_max_queued_messages",
                           "bridge_max_queued_bytes", "bridge_outgoing_rate"};
    for (const char* n : names) {
        expect_error(kSection + n + "\n", 4, n, "missing value");
    }
}

TEST(ConfigBridgeErrors, ConnectionNames) {
    expect_error("connection a/b\n", 1, "connection", "may only contain");
    expect_error("connection a+b\n", 1, "connection", "may only contain");
    expect_error("connection two words\n", 1, "connection", "expected a bridge name");
    expect_error(kSection + "connection b\n", 4, "connection", "already used by the bridge at t.conf:1");
}

TEST(ConfigBridgeErrors, SectionWithoutAddressOrTopic) {
    expect_error("connection b\ntopic a\n", 1, "connection", "no address");
    expect_error("max_keepalive 60\nconnection b\naddress h\n", 2, "connection", "no topic");
    // The first incomplete section is reported, at its own line.
    expect_error(kSection + "connection c\naddress h\n", 4, "connection", "bridge 'c': no topic");
}

TEST(ConfigBridgeErrors, SingleOptionsTwiceInOneSection) {
    const char* lines[] = {"address h2",          "round_robin true",  "bridge_protocol_version mqttv50",
                           "remote_clientid x",   "local_clientid y",  "remote_username u",
                           "remote_password p",   "cleansession true", "local_cleansession true",
                           "keepalive_interval 9", "restart_timeout 9", "try_private true",
                           "notifications true",  "notifications_local_only true", "notification_topic t",
                           "bridge_outgoing_retain true", "bridge_max_packet_size 0", "bridge_receive_maximum 1",
                           "bridge_session_expiry_interval 0", "bridge_insecure false",
                           "bridge_tls_version tlsv1.2", "start_type automatic", "bridge_max_queued_messages 1",
                           "bridge_max_queued_bytes 1", "bridge_outgoing_rate 1"};
    for (const char* l : lines) {
        const std::string line = l;
        const std::string option = line.substr(0, line.find(' '));
        const int first = option == "address" ? 2 : 4;
        const std::string text = option == "address" ? kSection + line + "\n" : kSection + line + "\n" + line + "\n";
        expect_error(text, first == 2 ? 4 : 5, option, "given more than once in bridge 'b' (first at t.conf:" +
                                                           std::to_string(first) + ")");
    }
}

TEST(ConfigBridgeErrors, AnAliasCountsAsItsOption) {
    expect_error(kSection + "remote_clientid x\nclientid y\n", 5, "clientid", "(first as remote_clientid at t.conf:4)");
    expect_error(kSection + "username x\nremote_username y\n", 5, "remote_username", "(first as username at t.conf:4)");
    expect_error(kSection + "password x\npassword y\n", 5, "password", "(first at t.conf:4)");
    expect_error(kSection + "addresses h2\n", 4, "addresses", "(first as address at t.conf:2)");
}

TEST(ConfigBridgeErrors, TlsFilesTwiceInOneSection) {
    TempFile f;
    for (const char* option : {"bridge_cafile", "bridge_certfile", "bridge_keyfile"}) {
        const std::string line = std::string(option) + " " + f.path + "\n";
        expect_error(kSection + line + line, 5, option, "more than once");
    }
}

TEST(ConfigBridgeErrors, BadAddresses) {
    expect_error(kSection + "connection c\naddress h:0\n", 5, "address", "expected a port from 1 to 65535");
    expect_error(kSection + "connection c\naddress h:65536\n", 5, "address", "got '65536'");
    expect_error(kSection + "connection c\naddress h:\n", 5, "address", "expected a port");
    expect_error(kSection + "connection c\naddress h:x1\n", 5, "address", "got 'x1'");
    expect_error(kSection + "connection c\naddress :1883\n", 5, "address", "missing host");
    expect_error(kSection + "connection c\naddress []:1883\n", 5, "address", "missing host");
    expect_error(kSection + "connection c\naddress [::1\n", 5, "address", "expected [IPv6]:PORT");
    expect_error(kSection + "connection c\naddress [::1]1883\n", 5, "address", "expected [IPv6]:PORT");
    expect_error(kSection + "connection c\naddress [::1]:\n", 5, "address", "expected a port");
    expect_error(kSection + "connection c\naddress h1 #backup\n", 5, "address", "comment");
}

TEST(ConfigBridgeErrors, BadTopics) {
    const struct {
        const char* line;
        const char* fragment;
    } cases[] = {
        {"topic a/# sideways", "expected the direction out, in or both, got 'sideways'"},
        {"topic a/# out 3", "expected the QoS 0, 1 or 2, got '3'"},
        {"topic a/# out 01", "expected the QoS 0, 1 or 2"},
        {"topic a/# out -1", "expected the QoS 0, 1 or 2"},
        {"topic a/# out 1 l/", "a local prefix needs a remote prefix"},
        {"topic a/# out 1 l/ r/ extra", "expected 'topic PATTERN"},
        {"topic a/#/b", "'a/#/b' is not a valid topic filter"},
        {"topic a+", "'a+' is not a valid topic filter"},
        {"topic $share/g/a", "shared subscription"},
        {"topic a/# out 1 l/+/ r/", "local prefix 'l/+/' must not contain the wildcards"},
        {"topic a/# out 1 l/ r/#", "remote prefix 'r/#' must not contain the wildcards"},
        {"topic # both 0 l r/", "prefix + pattern = 'l#' is not a valid topic filter"},
        {"topic \"\"", "an empty pattern (\"\") needs a local and a remote prefix"},
        {"topic \"\" out 0", "needs a local and a remote prefix"},
        {"topic \"\" out 0 \"\" r/t", "needs a non-empty local and remote prefix"},
        {"topic \"\" out 0 l/t \"\"", "needs a non-empty local and remote prefix"},
        {"topic \"\" out 0 \"\" \"\"", "needs a non-empty local and remote prefix"},
        {"topic \"a/#\"", "only \"\" (an empty pattern or prefix) is quoted"},
        {"topic a out 0 \"l/\" r/", "only \"\" (an empty pattern or prefix) is quoted"},
    };
    for (const auto& c : cases) {
        expect_error(kSection + c.line + "\n", 4, "topic", c.fragment);
    }
}

TEST(ConfigBridgeErrors, ProtocolVersion) {
    expect_error(kSection + "bridge_protocol_version mqttv31\n", 4, "bridge_protocol_version",
                 "MQTT 3.1 bridges are not supported");
    expect_error(kSection + "bridge_protocol_version mqttv5\n", 4, "bridge_protocol_version",
                 "expected mqttv311 or mqttv50, got 'mqttv5'");
    expect_error(kSection + "bridge_protocol_version mqttv311 x\n", 4, "bridge_protocol_version", "expected");
}

TEST(ConfigBridgeErrors, NumbersOutOfRange) {
    const struct {
        const char* line;
        const char* fragment;
    } cases[] = {
        {"keepalive_interval 4", "from 5 to 65535, got '4'"},
        {"keepalive_interval 65536", "from 5 to 65535"},
        {"keepalive_interval 1m", "from 5 to 65535"},
        {"restart_timeout 0", "'restart_timeout BASE [CAP]'"},
        {"restart_timeout 10 5", "CAP not below BASE, got '10 5'"},
        {"restart_timeout 1 2 3", "'restart_timeout BASE [CAP]'"},
        {"restart_timeout x", "'restart_timeout BASE [CAP]'"},
        {"restart_timeout 86401", "from 1 to 86400"},
        {"restart_timeout 5 86401", "from 1 to 86400"},
        {"bridge_max_packet_size 19", "0 or an integer from 20 to 268435460"},
        {"bridge_max_packet_size 268435461", "0 or an integer from 20 to 268435460"},
        {"bridge_receive_maximum 0", "from 1 to 65535"},
        {"bridge_receive_maximum 65536", "from 1 to 65535"},
        {"bridge_session_expiry_interval 4294967296", "from 0 to 4294967295"},
        {"bridge_session_expiry_interval -1", "from 0 to 4294967295"},
        {"bridge_max_queued_messages -1", "an integer from 0 to"},
        {"bridge_max_queued_bytes 1k", "an integer from 0 to"},
        {"bridge_outgoing_rate 4294967296", "from 0 to 4294967295"},
        {"bridge_outgoing_rate 1.5", "from 0 to 4294967295"},
    };
    for (const auto& c : cases) {
        const std::string line = c.line;
        expect_error(kSection + line + "\n", 4, line.substr(0, line.find(' ')), c.fragment);
    }
}

TEST(ConfigBridgeErrors, Booleans) {
    for (const char* option : {"round_robin", "cleansession", "local_cleansession", "try_private", "notifications",
                               "notifications_local_only", "bridge_outgoing_retain", "bridge_insecure"}) {
        expect_error(kSection + option + " yes\n", 4, option, "expected true or false, got 'yes'");
        expect_error(kSection + option + " true false\n", 4, option, "expected true or false");
    }
}

TEST(ConfigBridgeErrors, Strings) {
    expect_error(kSection + "notification_topic a/+/state\n", 4, "notification_topic", "not a valid topic name");
    expect_error(kSection + "remote_clientid " + std::string(65536, 'x') + "\n", 4, "remote_clientid",
                 "longer than 65535 bytes");
    expect_error(kSection + "remote_username \xff\xfe\n", 4, "remote_username", "not valid UTF-8");
    expect_error(kSection + "local_clientid \xc0\x80\n", 4, "local_clientid", "not valid UTF-8");
    expect_error(kSection + "remote_password " + std::string(65536, 'x') + "\n", 4, "remote_password",
                 "longer than 65535 bytes");
}

TEST(ConfigBridgeErrors, PasswordNeedsUsername) {
    // mosquitto.conf(5): remote_password "is only valid if a remote_username is also
    // supplied".
    expect_error(kSection + "remote_password p\n", 1, "remote_password", "remote_password (t.conf:4) needs remote_username");
}

TEST(ConfigBridgeErrors, TlsFiles) {
    TempFile f;
    TempDir d;
    expect_error(kSection + "bridge_cafile /nonexistent/ca.pem\n", 4, "bridge_cafile",
                 "cannot read '/nonexistent/ca.pem'");
    expect_error(kSection + "bridge_capath " + f.path + "\n", 4, "bridge_capath", "is not a directory");
    expect_error(kSection + "bridge_certfile " + d.path + "\n", 4, "bridge_certfile", "is not a regular file");
    expect_error(kSection + "bridge_keyfile /nonexistent/k.pem\n", 4, "bridge_keyfile", "cannot read");
    expect_error(kSection + "bridge_cafile a b\n", 4, "bridge_cafile", "a path (without blanks)");
}

TEST(ConfigBridgeErrors, TlsCombinations) {
    TempFile ca, cert, key;
    expect_error(kSection + "bridge_cafile " + ca.path + "\nbridge_certfile " + cert.path + "\n", 1, "bridge_keyfile",
                 "bridge_certfile (t.conf:5) is set but bridge_keyfile is missing");
    expect_error(kSection + "bridge_cafile " + ca.path + "\nbridge_keyfile " + key.path + "\n", 1, "bridge_certfile",
                 "bridge_keyfile (t.conf:5) is set but bridge_certfile is missing");
    expect_error(kSection + "bridge_certfile " + cert.path + "\nbridge_keyfile " + key.path + "\n", 1,
                 "bridge_certfile", "TLS to the upstream broker needs bridge_cafile or bridge_capath");
    expect_error(kSection + "bridge_insecure true\n", 1, "bridge_insecure", "given (t.conf:4) but TLS is off");
    expect_error(kSection + "bridge_tls_version tlsv1.2\n", 1, "bridge_tls_version", "but TLS is off");
    // With a cafile alone, or a capath, TLS is on and nothing else is needed.
    CHECK(parse_ok(kSection + "bridge_cafile " + ca.path + "\nbridge_insecure true\n").bridges[0].tls_enabled());
    TempDir d;
    CHECK(parse_ok(kSection + "bridge_capath " + d.path + "\n").bridges[0].tls_enabled());
}

TEST(ConfigBridgeErrors, TlsVersion) {
    expect_error(kSection + "bridge_tls_version tlsv1.3\n", 4, "bridge_tls_version", "TLS 1.2 only");
    expect_error(kSection + "bridge_tls_version tlsv1.1\n", 4, "bridge_tls_version", "obsolete");
    expect_error(kSection + "bridge_tls_version ssl3\n", 4, "bridge_tls_version", "expected tlsv1.2, got 'ssl3'");
}

TEST(ConfigBridgeErrors, StartType) {
    expect_error(kSection + "start_type lazy\n", 4, "start_type", "mosquitto option not supported yet by Mote");
    expect_error(kSection + "start_type once\n", 4, "start_type", "not supported yet");
    expect_error(kSection + "start_type manual\n", 4, "start_type", "expected automatic");
}

TEST(ConfigBridgeErrors, UnsupportedMosquittoBridgeOptions) {
    const char* names[] = {"bridge_attempt_unsubscribe", "bridge_bind_address", "bridge_identity", "bridge_psk",
                           "bridge_alpn", "bridge_require_ocsp", "idle_timeout", "threshold", "local_username",
                           "local_password", "bridge_ciphers", "bridge_max_topic_alias"};
    for (const char* n : names) {
        expect_error(kSection + n + " x\n", 4, n, "mosquitto option not supported yet by Mote (bridges: ");
    }
}

TEST(ConfigBridgeErrors, TwoBridgesWithOneLocalClientId) {
    expect_error(kSection + "remote_clientid same\nconnection c\naddress h\ntopic t\nremote_clientid same\n", 5,
                 "local_clientid", "local client identifier 'local.same' is also that of bridge 'b' (t.conf:1)");
    // Distinct local identifiers are fine even with one remote identifier (two
    // upstream brokers).
    const BrokerConfig cfg = parse_ok(kSection + "remote_clientid same\nconnection c\naddress h\ntopic t\n"
                                                 "remote_clientid same\nlocal_clientid other\n");
    LONGS_EQUAL(2, cfg.bridges.size());
}

TEST(ConfigBridge, DrainPolicy) {
    CHECK(parse_ok(kSection + "bridge_drain_policy live_first\n").bridges[0].drain_policy == BridgeDrain::LiveFirst);
    CHECK(parse_ok(kSection + "bridge_drain_policy fifo\n").bridges[0].drain_policy == BridgeDrain::Fifo);
}

TEST(ConfigBridgeErrors, DrainPolicyValue) {
    expect_error(kSection + "bridge_drain_policy newest\n", 4, "bridge_drain_policy", "expected fifo or live_first");
    expect_error(kSection + "bridge_drain_policy fifo\nbridge_drain_policy fifo\n", 5, "bridge_drain_policy",
                 "given more than once");
}
