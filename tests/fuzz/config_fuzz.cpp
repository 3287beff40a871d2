// libFuzzer target for the configuration parser (broker/src/config), aimed at the
// bridge sections (config_bridge.cpp): the input is a whole mote.conf.
//
// A file that parses must give bridges that keep the parser's promises (every
// bridge has an address and a topic, client identifiers and the notification topic
// are filled in, prefixes have no wildcard and make valid filters with their
// pattern, names are unique); a file that does not parse must name a line inside
// the file and say why. include_dir is skipped: it would read real directories.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "mote/broker/config.hpp"
#include "mote/common/topic.hpp"

using mote::broker::BridgeConfig;
using mote::broker::BridgeTopic;
using mote::broker::BrokerConfig;
using mote::broker::ConfigError;

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "config_fuzz: %s\n", what);
    std::abort();
}

bool valid_filter(const std::string& s) {
    return mote::mqtt::validate_topic_filter(mote::mqtt::Bytes::of(s.data(), s.size())).ok();
}

void check_topic(const BridgeTopic& t) {
    if (t.qos > 2) fail("qos above 2");
    for (const std::string* p : {&t.local_prefix, &t.remote_prefix}) {
        if (p->find_first_of("+#") != std::string::npos) fail("wildcard in a prefix");
        if (t.pattern.empty() && p->empty()) fail("empty pattern with an empty prefix");
        if (!t.pattern.empty() && !valid_filter(*p + t.pattern)) fail("prefix + pattern not a valid filter");
    }
    if (t.at.line < 1) fail("topic without its line");
}

void check_bridge(const BridgeConfig& b) {
    if (b.name.empty() || b.addresses.empty() || b.topics.empty()) fail("incomplete bridge accepted");
    for (const auto& a : b.addresses) {
        if (a.first.empty() || a.second == 0) fail("empty host or port 0");
    }
    for (const BridgeTopic& t : b.topics) check_topic(t);
    if (b.remote_clientid.empty() || b.local_clientid.empty()) fail("client identifier not filled in");
    if (b.protocol_version != 4 && b.protocol_version != 5) fail("protocol version not 4 or 5");
    if (b.keepalive_interval < 5) fail("keepalive below 5");
    if (b.restart_timeout_base < 1 || b.restart_timeout_cap < b.restart_timeout_base) fail("restart_timeout");
    const std::string& n = b.notification_topic;
    if (mote::mqtt::validate_topic_name(mote::mqtt::Bytes::of(n.data(), n.size()))) fail("bad notification topic");
    if (b.certfile.empty() != b.keyfile.empty()) fail("certfile without keyfile or the reverse");
    if (!b.certfile.empty() && !b.tls_enabled()) fail("client certificate without TLS");
    if (b.has_remote_password && !b.has_remote_username) fail("password without user name");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    if (text.find("include_dir") != std::string::npos) {
        return 0;
    }
    BrokerConfig cfg;
    ConfigError err;
    if (!mote::broker::parse_config_text(text, "f.conf", cfg, err)) {
        std::size_t lines = 1;
        for (char c : text) lines += c == '\n' ? 1 : 0;
        if (err.line < 0 || static_cast<std::size_t>(err.line) > lines) fail("error line outside the file");
        if (err.message.empty()) fail("error without a message");
        if (err.line > 0 && err.file != "f.conf") fail("error names another file");
        return 0;
    }
    for (std::size_t i = 0; i < cfg.bridges.size(); ++i) {
        check_bridge(cfg.bridges[i]);
        for (std::size_t j = 0; j < i; ++j) {
            if (cfg.bridges[j].name == cfg.bridges[i].name) fail("two bridges with one name");
            if (cfg.bridges[j].local_clientid == cfg.bridges[i].local_clientid) fail("two bridges, one local id");
        }
    }
    return 0;
}
