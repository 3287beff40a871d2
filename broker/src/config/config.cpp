// Configuration loader: the common subset of mosquitto.conf (docs/configuration.md).
//
// The file is read line by line; every line is blank, a comment ('#' as the first
// non-blank character) or "option value...". Every option is looked up in one table;
// anything not in it is an error naming file, line and option, and a mosquitto option
// Mote does not implement yet gets its own "not supported yet" message, so an operator
// bringing their mosquitto.conf learns exactly what will not take effect. Nothing is
// silently ignored: extra tokens, repeats of single-valued options and out-of-range
// numbers are errors too.
//
// The broker may throw at start-up, but this parser reports through ConfigError so
// that SIGHUP reload can keep the running configuration when the new file is bad.
#include "mote/broker/config.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <utility>

#include "config/config_options.hpp"

namespace mote::broker {

std::string ConfigError::to_string() const {
    std::string s = file.empty() ? std::string("<config>") : file;
    if (line > 0) {
        s += ':' + std::to_string(line);
    }
    s += ": ";
    if (!option.empty()) {
        s += option + ": ";
    }
    s += message;
    return s;
}

namespace config_detail {

namespace {

// Nested include_dir is allowed (mosquitto allows it), but bounded so that a
// directory including itself is an error rather than unbounded recursion.
constexpr int kMaxIncludeDepth = 8;

std::string trim(const std::string& s) {
    const char* ws = " \t\r\n\f\v";
    const std::size_t b = s.find_first_not_of(ws);
    if (b == std::string::npos) {
        return std::string();
    }
    const std::size_t e = s.find_last_not_of(ws);
    return s.substr(b, e - b + 1);
}

std::vector<std::string> split_ws(const std::string& s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) {
            ++i;
        }
        std::size_t j = i;
        while (j < s.size() && s[j] != ' ' && s[j] != '\t') {
            ++j;
        }
        if (j > i) {
            out.push_back(s.substr(i, j - i));
        }
        i = j;
    }
    return out;
}

}  // namespace

bool parse_u64(const std::string& text, std::uint64_t& out) {
    if (text.empty() || text.size() > 20) {
        return false;
    }
    std::uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return false;
        }
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10U) {
            return false;
        }
        v = v * 10U + d;
    }
    out = v;
    return true;
}

bool parse_duration(const std::string& text, std::uint64_t& seconds) {
    // mosquitto's persistent_client_expiration syntax: a positive number and one unit
    // letter: h(our), d(ay), w(eek), m(onth = 30 days), y(ear = 365 days).
    if (text.size() < 2) {
        return false;
    }
    std::uint64_t unit = 0;
    switch (text.back()) {
    case 'h': unit = 3600U; break;
    case 'd': unit = 86400U; break;
    case 'w': unit = 7U * 86400U; break;
    case 'm': unit = 30U * 86400U; break;
    case 'y': unit = 365U * 86400U; break;
    default: return false;
    }
    std::uint64_t n = 0;
    if (!parse_u64(text.substr(0, text.size() - 1), n) || n == 0 ||
        n > std::numeric_limits<std::uint64_t>::max() / unit) {
        return false;
    }
    seconds = n * unit;
    return true;
}

Parser::Parser(BrokerConfig& cfg, ConfigError& err) : cfg_(cfg), err_(err) {}

bool Parser::fail(const Line& ln, const std::string& message) {
    err_.file = ln.file;
    err_.line = ln.number;
    err_.option = ln.option;
    err_.message = message;
    return false;
}

bool Parser::fail_file(const std::string& file, const std::string& message) {
    err_.file = file;
    err_.line = 0;
    err_.option.clear();
    err_.message = message;
    return false;
}

bool Parser::fail_unsupported(const Line& ln, const std::string& why) {
    return fail(ln, "mosquitto option not supported yet by Mote (" + why + "); remove it or see docs/configuration.md");
}

std::string Parser::where(const Line& ln) { return ln.file + ":" + std::to_string(ln.number); }

bool Parser::read_file(const std::string& path, std::string& text) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return fail_file(path, std::string("cannot read configuration file: ") + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return fail_file(path, "cannot read configuration file: not a regular file");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return fail_file(path, std::string("cannot read configuration file: ") + std::strerror(errno));
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) {
        return fail_file(path, "cannot read configuration file: read error");
    }
    text = ss.str();
    return true;
}

bool Parser::parse_file(const std::string& path) {
    std::string text;
    return read_file(path, text) && parse_text(text, path);
}

bool Parser::parse_text(const std::string& text, const std::string& file) {
    // A bridge section ends with its file (mosquitto's cur_bridge is per file).
    const int including_bridge = current_bridge_;
    current_bridge_ = -1;
    std::istringstream in(text);
    std::string raw;
    int number = 0;
    while (std::getline(in, raw)) {
        ++number;
        const std::string body = trim(raw);
        if (body.empty() || body[0] == '#') {
            continue;
        }
        Line ln;
        ln.file = file;
        ln.number = number;
        const std::size_t sp = body.find_first_of(" \t");
        ln.option = body.substr(0, sp);
        ln.rest = sp == std::string::npos ? std::string() : trim(body.substr(sp));
        ln.args = split_ws(ln.rest);
        if (!dispatch(ln)) {
            return false;
        }
    }
    current_bridge_ = including_bridge;
    return true;
}

bool Parser::dispatch(const Line& ln) {
    const OptionSpec* spec = find_option(ln.option);
    if (spec == nullptr) {
        const char* why = unsupported_reason(ln.option);
        if (why != nullptr) {
            return fail_unsupported(ln, why);
        }
        return fail(ln, "unknown option");
    }
    if (ln.args.empty()) {
        return fail(ln, std::string("missing value: expected ") + spec->expects);
    }
    if (spec->single) {
        // Scope: a listener-scoped option may be given once per listener section.
        std::string key = ln.option;
        // Security options are per listener only with per_listener_settings true.
        const bool security = ln.option == "allow_anonymous" || ln.option == "password_file" ||
                              ln.option == "acl_file";
        if (spec->per_listener && current_ >= 0 && (!security || cfg_.per_listener_settings)) {
            key += '#' + std::to_string(current_);
        }
        const auto it = seen_.find(key);
        if (it != seen_.end()) {
            return fail(ln, "given more than once (first at " + it->second + ")");
        }
        seen_.emplace(key, where(ln));
    }
    return (this->*(spec->handler))(ln);
}

bool Parser::one_arg(const Line& ln, const char* expects) {
    if (ln.args.size() != 1) {
        return fail(ln, std::string("expected ") + expects + ", got '" + ln.rest + "'");
    }
    return true;
}

bool Parser::number(const Line& ln, std::uint64_t lo, std::uint64_t hi, std::uint64_t& out) {
    const std::string expects =
        "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    if (!one_arg(ln, expects.c_str())) {
        return false;
    }
    std::uint64_t v = 0;
    if (!parse_u64(ln.args[0], v) || v < lo || v > hi) {
        return fail(ln, "expected " + expects + ", got '" + ln.args[0] + "'");
    }
    out = v;
    return true;
}

bool Parser::boolean(const Line& ln, bool& out) {
    if (!one_arg(ln, "true or false")) {
        return false;
    }
    // mosquitto accepts exactly these two spellings.
    if (ln.args[0] == "true") {
        out = true;
    } else if (ln.args[0] == "false") {
        out = false;
    } else {
        return fail(ln, "expected true or false, got '" + ln.args[0] + "'");
    }
    return true;
}

bool Parser::on_port(const Line& ln) {
    std::uint64_t v = 0;
    if (!number(ln, 1, 65535, v)) {
        return false;
    }
    default_listener_used_ = true;
    default_listener_.port = static_cast<std::uint16_t>(v);
    default_listener_.file = ln.file;
    default_listener_.line = ln.number;
    return true;
}

bool Parser::on_bind_address(const Line& ln) {
    if (!one_arg(ln, "a host name or IP address")) {
        return false;
    }
    default_listener_used_ = true;
    default_listener_.bind_address = ln.args[0];
    if (default_listener_.line == 0) {
        default_listener_.file = ln.file;
        default_listener_.line = ln.number;
    }
    return true;
}

bool Parser::on_listener(const Line& ln) {
    if (ln.args.size() > 2) {
        return fail(ln, "expected 'listener PORT [BIND_ADDRESS]', got '" + ln.rest + "'");
    }
    std::uint64_t port = 0;
    if (!parse_u64(ln.args[0], port) || port > 65535) {
        return fail(ln, "expected a port from 1 to 65535, got '" + ln.args[0] + "'");
    }
    if (port == 0) {
        // mosquitto uses port 0 with a path for a unix socket listener.
        return fail(ln, "port 0 (unix socket listener) is not supported yet");
    }
    ListenerConfig l;
    l.port = static_cast<std::uint16_t>(port);
    l.bind_address = ln.args.size() == 2 ? ln.args[1] : std::string();
    l.file = ln.file;
    l.line = ln.number;
    l.security_section = true;
    listeners_.push_back(l);
    listener_max_conn_set_.push_back(false);
    current_ = static_cast<int>(listeners_.size()) - 1;
    return true;
}

bool Parser::on_protocol(const Line& ln) {
    if (!one_arg(ln, "mqtt or websockets")) {
        return false;
    }
    if (current_ < 0) {
        return fail(ln, "must follow a 'listener' line (Mote has no protocol for the default listener)");
    }
    auto& l = listeners_[static_cast<std::size_t>(current_)];
    if (ln.args[0] == "mqtt") {
        l.protocol = ListenerProtocol::Mqtt;
    } else if (ln.args[0] == "websockets") {
        l.protocol = ListenerProtocol::WebSockets;
    } else {
        return fail(ln, "expected mqtt or websockets, got '" + ln.args[0] + "'");
    }
    return true;
}

bool Parser::on_max_connections(const Line& ln) {
    const char* expects = "-1 (unlimited) or an integer from 1 to 4294967295";
    if (!one_arg(ln, expects)) {
        return false;
    }
    std::uint32_t value = 0;
    if (ln.args[0] != "-1") {
        std::uint64_t v = 0;
        if (!parse_u64(ln.args[0], v) || v < 1 || v > std::numeric_limits<std::uint32_t>::max()) {
            return fail(ln, std::string("expected ") + expects + ", got '" + ln.args[0] + "'");
        }
        value = static_cast<std::uint32_t>(v);
    }
    if (current_ >= 0) {
        listeners_[static_cast<std::size_t>(current_)].max_connections = value;
        listener_max_conn_set_[static_cast<std::size_t>(current_)] = true;
    } else {
        global_max_connections_ = value;
        global_max_connections_file_ = ln.file;
        global_max_connections_line_ = ln.number;
    }
    return true;
}

bool Parser::on_allow_anonymous(const Line& ln) {
    security_seen_ = true;
    if (cfg_.per_listener_settings && current_ >= 0) {
        auto& l = listeners_[static_cast<std::size_t>(current_)];
        l.allow_anonymous_given = true;
        return boolean(ln, l.allow_anonymous);
    }
    cfg_.allow_anonymous_given = true;
    return boolean(ln, cfg_.allow_anonymous);
}

bool Parser::on_password_file(const Line& ln) {
    // The path is the rest of the line, so it may contain spaces (as in mosquitto).
    security_seen_ = true;
    if (cfg_.per_listener_settings && current_ >= 0) {
        listeners_[static_cast<std::size_t>(current_)].password_file = ln.rest;
        listeners_[static_cast<std::size_t>(current_)].password_file_where = where(ln);
    } else {
        cfg_.password_file = ln.rest;
        cfg_.password_file_where = where(ln);
    }
    return true;
}

bool Parser::on_acl_file(const Line& ln) {
    security_seen_ = true;
    if (cfg_.per_listener_settings && current_ >= 0) {
        listeners_[static_cast<std::size_t>(current_)].acl_file = ln.rest;
        listeners_[static_cast<std::size_t>(current_)].acl_file_where = where(ln);
    } else {
        cfg_.acl_file = ln.rest;
        cfg_.acl_file_where = where(ln);
    }
    return true;
}

bool Parser::on_per_listener_settings(const Line& ln) {
    // mosquitto reads the security options it governs according to it, so it must
    // come first; afterwards it would silently change what earlier lines meant.
    if (security_seen_ || current_ >= 0) {
        return fail(ln, "must come before any listener, allow_anonymous, password_file or acl_file line");
    }
    return boolean(ln, cfg_.per_listener_settings);
}
bool Parser::on_retain_available(const Line& ln) { return boolean(ln, cfg_.retain_available); }

bool Parser::on_max_inflight_messages(const Line& ln) {
    std::uint64_t v = 0;
    if (!number(ln, 0, 65535, v)) {
        return false;
    }
    cfg_.max_inflight_messages = static_cast<std::uint32_t>(v);
    return true;
}

bool Parser::on_max_queued_messages(const Line& ln) {
    std::uint64_t v = 0;
    if (!number(ln, 0, std::numeric_limits<std::uint32_t>::max(), v)) {
        return false;
    }
    cfg_.max_queued_messages = static_cast<std::uint32_t>(v);
    return true;
}

bool Parser::on_max_queued_bytes(const Line& ln) {
    std::uint64_t v = 0;
    if (!number(ln, 0, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()), v)) {
        return false;
    }
    cfg_.max_queued_bytes = v;
    return true;
}

bool Parser::on_message_size_limit(const Line& ln) {
    std::uint64_t v = 0;
    // The largest payload a PUBLISH can carry: the 268 435 455-byte maximum
    // Remaining Length (v5 §1.5.5, 3.1.1 §2.2.3).
    if (!number(ln, 0, 268435455U, v)) {
        return false;
    }
    cfg_.message_size_limit = static_cast<std::uint32_t>(v);
    return true;
}

bool Parser::on_max_packet_size(const Line& ln) {
    std::uint64_t v = 0;
    // 0 keeps mosquitto's meaning "no limit but the protocol's": 268 435 455 bytes of
    // Remaining Length plus a 5-byte fixed header. Below 20 bytes a CONNACK with
    // properties could not be exchanged, so mosquitto rejects it too.
    if (!one_arg(ln, "0 or an integer from 20 to 268435460")) {
        return false;
    }
    if (!parse_u64(ln.args[0], v) || (v != 0 && (v < 20 || v > 268435460U))) {
        return fail(ln, "expected 0 or an integer from 20 to 268435460, got '" + ln.args[0] + "'");
    }
    cfg_.max_packet_size = v == 0 ? 268435460U : static_cast<std::uint32_t>(v);
    return true;
}

bool Parser::on_max_keepalive(const Line& ln) {
    std::uint64_t v = 0;
    if (!number(ln, 10, 65535, v)) {
        return false;
    }
    cfg_.max_keepalive = static_cast<std::uint16_t>(v);
    return true;
}

bool Parser::on_persistent_client_expiration(const Line& ln) {
    const char* expects = "a duration such as 1h, 2d, 3w, 4m or 5y";
    if (!one_arg(ln, expects)) {
        return false;
    }
    std::uint64_t s = 0;
    if (!parse_duration(ln.args[0], s)) {
        return fail(ln, std::string("expected ") + expects + ", got '" + ln.args[0] + "'");
    }
    cfg_.persistent_client_expiration = s;
    return true;
}

bool Parser::on_max_topic_alias(const Line& ln) {
    std::uint64_t v = 0;
    if (!number(ln, 0, 65535, v)) {
        return false;
    }
    cfg_.max_topic_alias = static_cast<std::uint16_t>(v);
    return true;
}

bool Parser::on_sys_interval(const Line& ln) {
    std::uint64_t v = 0;
    if (!number(ln, 0, 65535, v)) {
        return false;
    }
    cfg_.sys_interval = static_cast<std::uint32_t>(v);
    return true;
}

bool Parser::on_connect_timeout(const Line& ln) {
    std::uint64_t v = 0;
    if (!number(ln, 1, 3600, v)) {
        return false;
    }
    cfg_.connect_timeout = static_cast<std::uint32_t>(v);
    return true;
}

bool Parser::on_reason_strings(const Line& ln) { return boolean(ln, cfg_.reason_strings); }

bool Parser::on_max_topic_levels(const Line& ln) {
    std::uint64_t v = 0;
    if (!number(ln, 0, 65536, v)) {
        return false;
    }
    cfg_.max_topic_levels = static_cast<std::uint32_t>(v);
    return true;
}

bool Parser::on_log_dest(const Line& ln) {
    const std::string& kind = ln.args[0];
    std::string dest;
    if (kind == "stderr" || kind == "stdout" || kind == "none") {
        if (!one_arg(ln, "stderr, stdout, none or file PATH")) {
            return false;
        }
        dest = kind;
    } else if (kind == "file") {
        // The path is the rest of the line, so it may contain spaces (as in mosquitto).
        const std::string path = trim(ln.rest.substr(4));
        if (path.empty()) {
            return fail(ln, "missing value: expected 'file PATH'");
        }
        dest = "file " + path;
    } else if (kind == "syslog" || kind == "topic" || kind == "dlt") {
        return fail(ln, "log_dest " + kind + " is not supported yet by Mote (use stderr, stdout, file PATH or none)");
    } else {
        return fail(ln, "expected stderr, stdout, none or file PATH, got '" + ln.rest + "'");
    }
    if (std::find(cfg_.log_dest.begin(), cfg_.log_dest.end(), dest) != cfg_.log_dest.end()) {
        return fail(ln, "destination '" + dest + "' given more than once");
    }
    cfg_.log_dest.push_back(dest);
    return true;
}

bool Parser::on_log_type(const Line& ln) {
    if (!one_arg(ln, "debug, information, notice, warning, error, all or none")) {
        return false;
    }
    const std::string& t = ln.args[0];
    auto bit = [](LogLevel l) { return static_cast<std::uint8_t>(1U << static_cast<unsigned>(l)); };
    std::uint8_t add = 0;
    if (t == "debug") {
        add = bit(LogLevel::Debug);
    } else if (t == "information") {
        add = bit(LogLevel::Info);
    } else if (t == "notice") {
        add = bit(LogLevel::Notice);
    } else if (t == "warning") {
        add = bit(LogLevel::Warning);
    } else if (t == "error") {
        add = bit(LogLevel::Error);
    } else if (t == "all") {
        add = static_cast<std::uint8_t>(bit(LogLevel::Debug) | bit(LogLevel::Info) |
                                        bit(LogLevel::Notice) | bit(LogLevel::Warning) |
                                        bit(LogLevel::Error));
    } else if (t == "none") {
        add = 0;
    } else if (t == "subscribe" || t == "unsubscribe" || t == "websockets") {
        return fail(ln, "log_type " + t + " is not supported yet by Mote");
    } else {
        return fail(ln, "expected debug, information, notice, warning, error, all or none, got '" + t + "'");
    }
    // kLogTypeGiven marks "log_type present", so that "log_type none" (no level bit)
    // differs from "no log_type" (0, the default levels).
    cfg_.log_mask = static_cast<std::uint8_t>(cfg_.log_mask | kLogTypeGiven | add);
    return true;
}

bool Parser::on_include_dir(const Line& ln) {
    const std::string dir = ln.rest;
    if (depth_ >= kMaxIncludeDepth) {
        return fail(ln, "include_dir nested more than " + std::to_string(kMaxIncludeDepth) +
                            " levels deep (does a directory include itself?)");
    }
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
        return fail(ln, "cannot open directory '" + dir + "': " + std::strerror(errno));
    }
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name.size() > 5 && name.compare(name.size() - 5, 5, ".conf") == 0) {
            names.push_back(name);
        }
    }
    ::closedir(d);
    // Byte order, i.e. case-sensitive alphabetical order, as mosquitto 2.x documents.
    std::sort(names.begin(), names.end());
    ++depth_;
    for (const std::string& name : names) {
        const std::string path = dir + (dir.back() == '/' ? "" : "/") + name;
        if (!parse_file(path)) {
            --depth_;
            return false;
        }
    }
    --depth_;
    return true;
}

bool Parser::finish() {
    std::vector<ListenerConfig> all;
    if (default_listener_used_) {
        default_listener_.max_connections = global_max_connections_;
        all.push_back(default_listener_);
    }
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        if (!listener_max_conn_set_[i]) {
            listeners_[i].max_connections = global_max_connections_;
        }
        all.push_back(listeners_[i]);
    }
    // Two listeners on one port conflict when their addresses are equal or one of
    // them is "all interfaces"; say so here rather than as EADDRINUSE at bind time.
    for (std::size_t i = 0; i < all.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            const bool overlap = all[i].bind_address == all[j].bind_address ||
                                 all[i].bind_address.empty() || all[j].bind_address.empty();
            if (all[i].port == all[j].port && overlap) {
                err_.file = all[i].file;
                err_.line = all[i].line;
                // The default listener (port/bind_address) is always first, so the
                // later of the two is always a "listener" line.
                err_.option = "listener";
                err_.message = "port " + std::to_string(all[i].port) +
                               " is already used by the listener at " + all[j].file + ":" +
                               std::to_string(all[j].line);
                return false;
            }
        }
    }
    if (!finish_tls(all)) {
        return false;
    }
    for (ListenerConfig& l : all) {
        cfg_.listeners.push_back(std::move(l));
    }
    if (!finish_http() || !finish_bridges()) {
        return false;
    }
    // With no listener at all cfg_.listeners stays empty: the net layer then listens
    // on 127.0.0.1 only (on -p's port or 1883), as mosquitto 2.x does. That built-in
    // listener has no configuration line for a limit to attach to.
    if (cfg_.listeners.empty() && global_max_connections_line_ > 0) {
        err_.file = global_max_connections_file_;
        err_.line = global_max_connections_line_;
        err_.option = "max_connections";
        err_.message =
            "no listener is configured; add a 'listener' or 'port' line for the limit to apply to";
        return false;
    }
    return true;
}

}  // namespace config_detail

bool load_config_file(const std::string& path, BrokerConfig& out, ConfigError& err) {
    BrokerConfig cfg = out;
    cfg.config_file = path;
    config_detail::Parser p(cfg, err);
    if (!p.parse_file(path) || !p.finish()) {
        return false;
    }
    out = std::move(cfg);
    return true;
}

bool parse_config_text(const std::string& text, const std::string& file_name, BrokerConfig& out,
                       ConfigError& err) {
    BrokerConfig cfg = out;
    cfg.config_file = file_name;
    config_detail::Parser p(cfg, err);
    if (!p.parse_text(text, file_name) || !p.finish()) {
        return false;
    }
    out = std::move(cfg);
    return true;
}

}  // namespace mote::broker
