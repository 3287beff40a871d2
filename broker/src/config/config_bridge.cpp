// Bridge sections (mosquitto.conf(5) "Configuring Bridges"; docs/configuration.md):
// `connection NAME` starts a section and every bridge option after it applies to
// that bridge, whatever listener lines come in between (as in mosquitto, where the
// current bridge and the current listener are independent). A bridge option before
// any `connection` line of its file is an error: as in mosquitto, a section ends with
// its file, so an include_dir file cannot add to the including file's bridge, and
// after the include_dir line the including file's bridge continues. Options given once per section are checked
// here rather than in dispatch(), whose scopes are global and per listener.
//
// Defaults that depend on other options (client identifiers, notification topic,
// local_cleansession) are filled in finish_bridges(), once every file has been read.
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <limits>
#include <utility>

#include "config/config_options.hpp"
#include "mote/common/topic.hpp"
#include "mote/common/utf8.hpp"

namespace mote::broker::config_detail {

namespace {

// mosquitto writes an empty prefix or pattern as the two characters "".
constexpr const char* kEmptyMarker = "\"\"";

// The largest MQTT UTF-8 string (a two-byte length, v5 §1.5.4, 3.1.1 §1.5.3).
constexpr std::size_t kMaxMqttString = 65535;

mqtt::Bytes view(const std::string& s) { return mqtt::Bytes::of(s.data(), s.size()); }

bool valid_name_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

// Why `s` cannot be sent as an MQTT UTF-8 string (client identifier, user name,
// topic), or empty.
std::string mqtt_string_problem(const std::string& s) {
    if (s.size() > kMaxMqttString) {
        return "longer than 65535 bytes";
    }
    if (mqtt::validate_utf8(view(s))) {
        return "not valid UTF-8 for MQTT (or contains a control character such as NUL)";
    }
    return {};
}

}  // namespace

BridgeConfig* Parser::bridge_section(const Line& ln, const char* once_key) {
    if (current_bridge_ < 0) {
        fail(ln, "bridge option outside a bridge: it must follow a 'connection NAME' line in the same file");
        return nullptr;
    }
    const auto index = static_cast<std::size_t>(current_bridge_);
    BridgeConfig& b = bridges_[index];
    if (once_key != nullptr) {
        auto& seen = bridge_seen_[index];
        const auto it = seen.find(once_key);
        if (it != seen.end()) {
            // An alias (clientid, username, password, addresses) names the first one.
            const std::string& first = it->second.first;
            const std::string what = first == ln.option ? std::string() : " as " + first;
            fail(ln, "given more than once in bridge '" + b.name + "' (first" + what + " at " + it->second.second + ")");
            return nullptr;
        }
        seen.emplace(once_key, std::make_pair(ln.option, where(ln)));
    }
    return &b;
}

bool Parser::on_connection(const Line& ln) {
    if (!one_arg(ln, "a bridge name")) {
        return false;
    }
    const std::string& name = ln.args[0];
    for (char c : name) {
        if (!valid_name_char(c)) {
            return fail(ln, "bridge name '" + name + "' may only contain A-Z, a-z, 0-9, '_', '.' and '-'");
        }
    }
    for (const BridgeConfig& b : bridges_) {
        if (b.name == name) {
            return fail(ln, "bridge name '" + name + "' is already used by the bridge at " + b.at.file + ":" +
                                std::to_string(b.at.line));
        }
    }
    BridgeConfig b;
    b.name = name;
    b.at.file = ln.file;
    b.at.line = ln.number;
    bridges_.push_back(b);
    bridge_seen_.emplace_back();
    current_bridge_ = static_cast<int>(bridges_.size()) - 1;
    return true;
}

// "host", "host:port", "[v6]", "[v6]:port", or mosquitto's unbracketed "v6:port"
// (the last ':' separates the port, so mosquitto requires the port with IPv6).
bool Parser::parse_bridge_address(const Line& ln, const std::string& token,
                                  std::pair<std::string, std::uint16_t>& out) {
    std::string host = token;
    std::string port;
    bool has_port = false;
    if (!token.empty() && token[0] == '[') {
        const std::size_t close = token.find(']');
        if (close == std::string::npos || (close + 1 < token.size() && token[close + 1] != ':')) {
            return fail(ln, "expected [IPv6]:PORT or [IPv6], got '" + token + "'");
        }
        host = token.substr(1, close - 1);
        has_port = close + 1 < token.size();
        port = has_port ? token.substr(close + 2) : std::string();
    } else if (token[0] == '#') {
        return fail(ln, "'" + token + "' is not an address (a comment must be on a line of its own)");
    } else {
        const std::size_t colon = token.rfind(':');
        if (colon != std::string::npos) {
            host = token.substr(0, colon);
            port = token.substr(colon + 1);
            has_port = true;
        }
    }
    if (host.empty()) {
        return fail(ln, "missing host in address '" + token + "'");
    }
    std::uint64_t p = 1883;
    if (has_port && (!parse_u64(port, p) || p < 1 || p > 65535)) {
        return fail(ln, "expected a port from 1 to 65535 in address '" + token + "', got '" + port + "'");
    }
    out = {host, static_cast<std::uint16_t>(p)};
    return true;
}

bool Parser::on_bridge_address(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "address");
    if (b == nullptr) {
        return false;
    }
    for (const std::string& token : ln.args) {
        std::pair<std::string, std::uint16_t> a;
        if (!parse_bridge_address(ln, token, a)) {
            return false;
        }
        b->addresses.push_back(a);
    }
    return true;
}

bool Parser::on_bridge_round_robin(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "round_robin");
    return b != nullptr && boolean(ln, b->round_robin);
}

// A pattern or prefix token: "" is the empty string; other quotes are refused,
// since mosquitto would take them literally as part of the topic.
bool Parser::bridge_topic_part(const Line& ln, const std::string& token, std::string& out) {
    if (token == kEmptyMarker) {
        out.clear();
        return true;
    }
    if (token.find('"') != std::string::npos) {
        return fail(ln, "unexpected '\"' in '" + token + "': only \"\" (an empty pattern or prefix) is quoted");
    }
    out = token;
    return true;
}

bool Parser::check_bridge_prefix(const Line& ln, const std::string& prefix, const char* which) {
    if (prefix.empty()) {
        return true;
    }
    if (prefix.find_first_of("+#") != std::string::npos) {
        return fail(ln, std::string(which) + " '" + prefix + "' must not contain the wildcards + or #");
    }
    const std::string why = mqtt_string_problem(prefix);
    return why.empty() || fail(ln, std::string(which) + " '" + prefix + "' is " + why);
}

bool Parser::check_bridge_topic(const Line& ln, const BridgeTopic& t) {
    if (!check_bridge_prefix(ln, t.local_prefix, "local prefix") ||
        !check_bridge_prefix(ln, t.remote_prefix, "remote prefix")) {
        return false;
    }
    if (t.pattern.empty()) {
        // mosquitto's table: an empty pattern remaps one topic, so both prefixes are
        // whole topic names.
        if (t.local_prefix.empty() || t.remote_prefix.empty()) {
            return fail(ln, "an empty pattern (\"\") needs a non-empty local and remote prefix "
                            "(they are then the whole local and remote topics)");
        }
        return true;
    }
    if (t.pattern.compare(0, 7, "$share/") == 0) {
        return fail(ln, "a shared subscription ('" + t.pattern + "') cannot be a bridge pattern");
    }
    if (mqtt::validate_topic_filter(view(t.pattern))) {
        return fail(ln, "'" + t.pattern + "' is not a valid topic filter");
    }
    // The prefixes are prepended as they are, so a missing '/' makes "a" + "#" = "a#".
    for (const std::string* prefix : {&t.local_prefix, &t.remote_prefix}) {
        const std::string full = *prefix + t.pattern;
        if (mqtt::validate_topic_filter(view(full))) {
            return fail(ln, "prefix + pattern = '" + full + "' is not a valid topic filter (a prefix usually ends in '/')");
        }
    }
    return true;
}

bool Parser::on_bridge_topic(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, nullptr);
    if (b == nullptr) {
        return false;
    }
    const auto& a = ln.args;
    if (a.size() > 5 || a.size() == 4) {
        return fail(ln, "expected 'topic PATTERN [[[out|in|both] QOS] LOCAL_PREFIX REMOTE_PREFIX]', got '" + ln.rest +
                            "'" + (a.size() == 4 ? " (a local prefix needs a remote prefix; \"\" is empty)" : ""));
    }
    BridgeTopic t;
    if (!bridge_topic_part(ln, a[0], t.pattern)) {
        return false;
    }
    if (a.size() >= 2) {
        if (a[1] == "out") {
            t.direction = BridgeDirection::Out;
        } else if (a[1] == "in") {
            t.direction = BridgeDirection::In;
        } else if (a[1] == "both") {
            t.direction = BridgeDirection::Both;
        } else {
            return fail(ln, "expected the direction out, in or both, got '" + a[1] + "'");
        }
    }
    if (a.size() >= 3) {
        if (a[2].size() != 1 || a[2][0] < '0' || a[2][0] > '2') {
            return fail(ln, "expected the QoS 0, 1 or 2, got '" + a[2] + "'");
        }
        t.qos = static_cast<std::uint8_t>(a[2][0] - '0');
    }
    if (a.size() == 5 && (!bridge_topic_part(ln, a[3], t.local_prefix) || !bridge_topic_part(ln, a[4], t.remote_prefix))) {
        return false;
    }
    if (a.size() < 5 && t.pattern.empty()) {
        return fail(ln, "an empty pattern (\"\") needs a local and a remote prefix");
    }
    if (!check_bridge_topic(ln, t)) {
        return false;
    }
    t.at.file = ln.file;
    t.at.line = ln.number;
    b->topics.push_back(t);
    return true;
}

bool Parser::on_bridge_protocol_version(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "bridge_protocol_version");
    if (b == nullptr || !one_arg(ln, "mqttv311 or mqttv50")) {
        return false;
    }
    const std::string& v = ln.args[0];
    if (v == "mqttv311") {
        b->protocol_version = 4;
    } else if (v == "mqttv50") {
        b->protocol_version = 5;
    } else if (v == "mqttv31") {
        return fail(ln, "MQTT 3.1 bridges are not supported by Mote; use mqttv311 or mqttv50");
    } else {
        return fail(ln, "expected mqttv311 or mqttv50, got '" + v + "'");
    }
    return true;
}

// mosquitto takes a string option as the rest of the line, so it may contain blanks.
bool Parser::bridge_string(const Line& ln, std::string& out) {
    const std::string why = mqtt_string_problem(ln.rest);
    if (!why.empty()) {
        return fail(ln, "'" + ln.rest + "' is " + why);
    }
    out = ln.rest;
    return true;
}

bool Parser::on_bridge_remote_clientid(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "remote_clientid");
    return b != nullptr && bridge_string(ln, b->remote_clientid);
}

bool Parser::on_bridge_local_clientid(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "local_clientid");
    return b != nullptr && bridge_string(ln, b->local_clientid);
}

bool Parser::on_bridge_remote_username(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "remote_username");
    if (b == nullptr || !bridge_string(ln, b->remote_username)) {
        return false;
    }
    b->has_remote_username = true;
    return true;
}

bool Parser::on_bridge_remote_password(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "remote_password");
    if (b == nullptr) {
        return false;
    }
    // A password is binary data in MQTT, but a configuration line is text; only the
    // 65535-byte limit applies.
    if (ln.rest.size() > kMaxMqttString) {
        return fail(ln, "longer than 65535 bytes");
    }
    b->remote_password = ln.rest;
    b->has_remote_password = true;
    return true;
}

bool Parser::on_bridge_cleansession(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "cleansession");
    return b != nullptr && boolean(ln, b->cleansession);
}

bool Parser::on_bridge_local_cleansession(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "local_cleansession");
    if (b == nullptr || !boolean(ln, b->local_cleansession)) {
        return false;
    }
    b->local_cleansession_given = true;
    return true;
}

bool Parser::on_bridge_keepalive_interval(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "keepalive_interval");
    std::uint64_t v = 0;
    // mosquitto's minimum is 5 seconds; the Keep Alive field is two bytes.
    if (b == nullptr || !number(ln, 5, 65535, v)) {
        return false;
    }
    b->keepalive_interval = static_cast<std::uint16_t>(v);
    return true;
}

bool Parser::on_bridge_restart_timeout(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "restart_timeout");
    if (b == nullptr) {
        return false;
    }
    // One day at most: a longer delay is a disabled bridge, which is not what the
    // option is for.
    constexpr std::uint64_t kMax = 86400;
    const std::string expects = "'restart_timeout BASE [CAP]' in seconds, from 1 to " + std::to_string(kMax) +
                                ", CAP not below BASE";
    std::uint64_t base = 0;
    std::uint64_t cap = 0;
    if (ln.args.size() > 2 || !parse_u64(ln.args[0], base) || base < 1 || base > kMax) {
        return fail(ln, "expected " + expects + ", got '" + ln.rest + "'");
    }
    cap = base;  // one number: a constant delay, as in mosquitto
    if (ln.args.size() == 2 && (!parse_u64(ln.args[1], cap) || cap < base || cap > kMax)) {
        return fail(ln, "expected " + expects + ", got '" + ln.rest + "'");
    }
    b->restart_timeout_base = static_cast<std::uint32_t>(base);
    b->restart_timeout_cap = static_cast<std::uint32_t>(cap);
    return true;
}

bool Parser::on_bridge_try_private(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "try_private");
    return b != nullptr && boolean(ln, b->try_private);
}

bool Parser::on_bridge_notifications(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "notifications");
    return b != nullptr && boolean(ln, b->notifications);
}

bool Parser::on_bridge_notifications_local_only(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "notifications_local_only");
    return b != nullptr && boolean(ln, b->notifications_local_only);
}

bool Parser::on_bridge_notification_topic(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "notification_topic");
    if (b == nullptr) {
        return false;
    }
    if (mqtt::validate_topic_name(view(ln.rest))) {
        return fail(ln, "'" + ln.rest + "' is not a valid topic name (no + or #, valid UTF-8)");
    }
    b->notification_topic = ln.rest;
    return true;
}

bool Parser::on_bridge_outgoing_retain(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "bridge_outgoing_retain");
    return b != nullptr && boolean(ln, b->outgoing_retain);
}

bool Parser::on_bridge_max_packet_size(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "bridge_max_packet_size");
    if (b == nullptr || !one_arg(ln, "0 or an integer from 20 to 268435460")) {
        return false;
    }
    // As max_packet_size: 0 is "the protocol's limit", below 20 bytes no CONNACK fits.
    std::uint64_t v = 0;
    if (!parse_u64(ln.args[0], v) || (v != 0 && (v < 20 || v > 268435460U))) {
        return fail(ln, "expected 0 or an integer from 20 to 268435460, got '" + ln.args[0] + "'");
    }
    b->max_packet_size = static_cast<std::uint32_t>(v);
    return true;
}

bool Parser::on_bridge_receive_maximum(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "bridge_receive_maximum");
    std::uint64_t v = 0;
    // A Receive Maximum of 0 is a Protocol Error (v5 §3.1.2.11.3).
    if (b == nullptr || !number(ln, 1, 65535, v)) {
        return false;
    }
    b->receive_maximum = static_cast<std::uint16_t>(v);
    return true;
}

bool Parser::on_bridge_session_expiry_interval(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "bridge_session_expiry_interval");
    std::uint64_t v = 0;
    if (b == nullptr || !number(ln, 0, std::numeric_limits<std::uint32_t>::max(), v)) {
        return false;
    }
    b->session_expiry_interval = static_cast<std::uint32_t>(v);
    return true;
}

bool Parser::bridge_file(const Line& ln, const char* once_key, bool dir, std::string BridgeConfig::*path,
                         OptionOrigin BridgeConfig::*at) {
    BridgeConfig* b = bridge_section(ln, once_key);
    if (b == nullptr || !tls_path(ln, b->*path, b->*at)) {
        return false;
    }
    const std::string why = check_readable(b->*path, dir);
    return why.empty() || fail(ln, why);
}

bool Parser::on_bridge_cafile(const Line& ln) {
    return bridge_file(ln, "bridge_cafile", false, &BridgeConfig::cafile, &BridgeConfig::cafile_at);
}

bool Parser::on_bridge_capath(const Line& ln) {
    return bridge_file(ln, "bridge_capath", true, &BridgeConfig::capath, &BridgeConfig::capath_at);
}

bool Parser::on_bridge_certfile(const Line& ln) {
    return bridge_file(ln, "bridge_certfile", false, &BridgeConfig::certfile, &BridgeConfig::certfile_at);
}

bool Parser::on_bridge_keyfile(const Line& ln) {
    return bridge_file(ln, "bridge_keyfile", false, &BridgeConfig::keyfile, &BridgeConfig::keyfile_at);
}

bool Parser::on_bridge_insecure(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "bridge_insecure");
    return b != nullptr && boolean(ln, b->insecure);
}

bool Parser::on_bridge_tls_version(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "bridge_tls_version");
    return b != nullptr && tls_version_value(ln, b->tls_version);
}

bool Parser::on_bridge_start_type(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "start_type");
    if (b == nullptr || !one_arg(ln, "automatic")) {
        return false;
    }
    const std::string& v = ln.args[0];
    if (v == "automatic") {
        return true;
    }
    if (v == "lazy" || v == "once") {
        return fail_unsupported(ln, "start_type " + v + ": Mote bridges always start with the broker and reconnect");
    }
    return fail(ln, "expected automatic (lazy and once are not supported yet), got '" + v + "'");
}

bool Parser::on_bridge_max_queued_messages(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "bridge_max_queued_messages");
    std::uint64_t v = 0;
    if (b == nullptr || !number(ln, 0, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()), v)) {
        return false;
    }
    b->max_queued_messages = v;
    return true;
}

bool Parser::on_bridge_max_queued_bytes(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "bridge_max_queued_bytes");
    std::uint64_t v = 0;
    if (b == nullptr || !number(ln, 0, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()), v)) {
        return false;
    }
    b->max_queued_bytes = v;
    return true;
}

bool Parser::on_bridge_outgoing_rate(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "bridge_outgoing_rate");
    std::uint64_t v = 0;
    if (b == nullptr || !number(ln, 0, std::numeric_limits<std::uint32_t>::max(), v)) {
        return false;
    }
    b->outgoing_rate = static_cast<std::uint32_t>(v);
    return true;
}

bool Parser::on_bridge_drain_policy(const Line& ln) {
    BridgeConfig* b = bridge_section(ln, "bridge_drain_policy");
    if (b == nullptr || !one_arg(ln, "fifo or live_first")) {
        return false;
    }
    if (ln.args[0] == "fifo") {
        b->drain_policy = BridgeDrain::Fifo;
    } else if (ln.args[0] == "live_first") {
        b->drain_policy = BridgeDrain::LiveFirst;
    } else {
        return fail(ln, "expected fifo or live_first, got '" + ln.args[0] + "'");
    }
    return true;
}

namespace {

// mosquitto's default remote client identifier: "<hostname>.<connection name>".
bool host_name(std::string& out, std::string& why) {
    char buf[HOST_NAME_MAX + 1] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) {
        why = std::string("gethostname failed: ") + std::strerror(errno) + "; set remote_clientid";
        return false;
    }
    out = buf;
    return true;
}

}  // namespace

bool Parser::bridge_error(const BridgeConfig& b, const char* option, const std::string& message) {
    err_.file = b.at.file;
    err_.line = b.at.line;
    err_.option = option;
    err_.message = "bridge '" + b.name + "': " + message;
    return false;
}

// Where `option` was given in bridge `index`, as " (file:line)", or empty.
std::string Parser::bridge_given_at(std::size_t index, const char* option) const {
    const auto& seen = bridge_seen_[index];
    const auto it = seen.find(option);
    return it == seen.end() ? std::string() : " (" + it->second.second + ")";
}

bool Parser::check_bridge_tls(const BridgeConfig& b, std::size_t i) {
    if (!b.certfile.empty() && b.keyfile.empty()) {
        return bridge_error(b, "bridge_keyfile", "bridge_certfile" + bridge_given_at(i, "bridge_certfile") +
                                                        " is set but bridge_keyfile is missing");
    }
    if (!b.keyfile.empty() && b.certfile.empty()) {
        return bridge_error(b, "bridge_certfile", "bridge_keyfile" + bridge_given_at(i, "bridge_keyfile") +
                                                         " is set but bridge_certfile is missing");
    }
    if (b.tls_enabled()) {
        return true;
    }
    for (const char* option : {"bridge_certfile", "bridge_keyfile", "bridge_insecure", "bridge_tls_version"}) {
        const std::string at = bridge_given_at(i, option);
        if (!at.empty()) {
            return bridge_error(b, option, std::string("given") + at +
                                                  " but TLS is off: TLS to the upstream broker needs bridge_cafile or "
                                                  "bridge_capath");
        }
    }
    return true;
}

bool Parser::finish_bridge(BridgeConfig& b, std::size_t i) {
    if (b.addresses.empty()) {
        return bridge_error(b, "connection", "no address: add 'address HOST[:PORT]'");
    }
    if (b.topics.empty()) {
        return bridge_error(b, "connection", "no topic: add at least one 'topic PATTERN ...' line");
    }
    if (b.has_remote_password && !b.has_remote_username) {
        return bridge_error(b, "remote_password", "remote_password" + bridge_given_at(i, "remote_password") +
                                                         " needs remote_username");
    }
    if (!check_bridge_tls(b, i)) {
        return false;
    }
    if (b.remote_clientid.empty()) {
        std::string host;
        std::string why;
        if (!host_name(host, why)) {
            return bridge_error(b, "connection", why);
        }
        b.remote_clientid = host + "." + b.name;
    }
    if (b.local_clientid.empty()) {
        b.local_clientid = "local." + b.remote_clientid;
    }
    if (!b.local_cleansession_given) {
        b.local_cleansession = b.cleansession;
    }
    if (b.notification_topic.empty()) {
        b.notification_topic = "$SYS/broker/connection/" + b.remote_clientid + "/state";
    }
    for (const std::string* id : {&b.remote_clientid, &b.local_clientid}) {
        const std::string why = mqtt_string_problem(*id);
        if (!why.empty()) {
            return bridge_error(b, "connection", "client identifier '" + *id + "' is " + why);
        }
    }
    if (mqtt::validate_topic_name(view(b.notification_topic))) {
        return bridge_error(b, "notification_topic",
                            "'" + b.notification_topic + "' is not a valid topic name; set notification_topic");
    }
    return true;
}

bool Parser::finish_bridges() {
    for (std::size_t i = 0; i < bridges_.size(); ++i) {
        if (!finish_bridge(bridges_[i], i)) {
            return false;
        }
        // Two bridges with one local client identifier would take over each other's
        // session on this broker at every reconnect.
        for (std::size_t j = 0; j < i; ++j) {
            if (bridges_[j].local_clientid == bridges_[i].local_clientid) {
                return bridge_error(bridges_[i], "local_clientid",
                                    "local client identifier '" + bridges_[i].local_clientid +
                                        "' is also that of bridge '" + bridges_[j].name + "' (" + bridges_[j].at.file +
                                        ":" + std::to_string(bridges_[j].at.line) + ")");
            }
        }
    }
    for (BridgeConfig& b : bridges_) {
        cfg_.bridges.push_back(std::move(b));
    }
    bridges_.clear();
    return true;
}

}  // namespace mote::broker::config_detail
