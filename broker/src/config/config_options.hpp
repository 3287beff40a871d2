// Internal to the configuration loader: the parser state and the option table.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mote/broker/config.hpp"

namespace mote::broker::config_detail {

// Bit of BrokerConfig::log_mask above the LogLevel bits: "log_type was given".
// The Logger masks it off; it only distinguishes "log_type none" from the default.
constexpr std::uint8_t kLogTypeGiven = 0x80;

bool parse_u64(const std::string& text, std::uint64_t& out);
// mosquitto durations: N followed by h, d, w, m (30 days) or y (365 days).
bool parse_duration(const std::string& text, std::uint64_t& seconds);

struct Line {
    std::string file;
    int number = 0;
    std::string option;
    std::string rest;               // everything after the option name, trimmed
    std::vector<std::string> args;  // rest split on blanks
};

class Parser;

struct OptionSpec {
    const char* name;
    bool single;        // may appear once (per listener section when per_listener)
    bool per_listener;  // scoped to the current listener section
    const char* expects;
    bool (Parser::*handler)(const Line&);
};

// The supported option, or nullptr.
const OptionSpec* find_option(const std::string& name);
// For a mosquitto option Mote does not implement yet, what it is about; else nullptr.
const char* unsupported_reason(const std::string& name);

class Parser {
public:
    // Writes options into `cfg`; the first error goes into `err`.
    Parser(BrokerConfig& cfg, ConfigError& err);

    bool parse_file(const std::string& path);
    bool parse_text(const std::string& text, const std::string& file);
    // Builds cfg.listeners once every file has been read.
    bool finish();

    bool on_port(const Line& ln);
    bool on_bind_address(const Line& ln);
    bool on_listener(const Line& ln);
    bool on_protocol(const Line& ln);
    bool on_max_connections(const Line& ln);
    bool on_allow_anonymous(const Line& ln);
    bool on_retain_available(const Line& ln);
    bool on_max_inflight_messages(const Line& ln);
    bool on_max_queued_messages(const Line& ln);
    bool on_max_queued_bytes(const Line& ln);
    bool on_message_size_limit(const Line& ln);
    bool on_max_packet_size(const Line& ln);
    bool on_max_keepalive(const Line& ln);
    bool on_persistent_client_expiration(const Line& ln);
    bool on_max_topic_alias(const Line& ln);
    bool on_sys_interval(const Line& ln);
    bool on_connect_timeout(const Line& ln);
    bool on_reason_strings(const Line& ln);
    bool on_max_topic_levels(const Line& ln);
    bool on_log_dest(const Line& ln);
    bool on_log_type(const Line& ln);
    bool on_include_dir(const Line& ln);
    // HTTP endpoint options (config_http.cpp).
    bool on_http_listener(const Line& ln);
    bool on_http_dashboard(const Line& ln);
    bool on_http_dashboard_websocket_url(const Line& ln);
    bool finish_http();
    bool on_password_file(const Line& ln);
    bool on_acl_file(const Line& ln);
    bool on_per_listener_settings(const Line& ln);
    // TLS (config_tls.cpp).
    bool on_certfile(const Line& ln);
    bool on_keyfile(const Line& ln);
    bool on_cafile(const Line& ln);
    bool on_capath(const Line& ln);
    bool on_require_certificate(const Line& ln);
    bool on_use_identity_as_username(const Line& ln);
    bool on_tls_version(const Line& ln);
    bool on_ciphers(const Line& ln);
    bool on_tls_handshake_timeout(const Line& ln);
    bool on_max_tls_handshakes(const Line& ln);
    bool on_persistence(const Line& ln);
    bool on_persistence_location(const Line& ln);
    bool on_persistence_file(const Line& ln);
    bool on_persistence_durability(const Line& ln);
    bool on_persistence_interval_ms(const Line& ln);
    bool on_persistence_max_bytes(const Line& ln);

private:
    bool dispatch(const Line& ln);
    bool read_file(const std::string& path, std::string& text);
    bool fail(const Line& ln, const std::string& message);
    bool fail_file(const std::string& file, const std::string& message);
    static std::string where(const Line& ln);
    bool one_arg(const Line& ln, const char* expects);
    bool number(const Line& ln, std::uint64_t lo, std::uint64_t hi, std::uint64_t& out);
    bool boolean(const Line& ln, bool& out);
    // TLS (config_tls.cpp): the current listener section for a TLS option, or an error.
    TlsConfig* tls_section(const Line& ln);
    bool tls_path(const Line& ln, std::string& out, OptionOrigin& at);
    bool finish_tls(const std::vector<ListenerConfig>& all);

    BrokerConfig& cfg_;
    ConfigError& err_;
    std::map<std::string, std::string> seen_;  // option (#listener) -> "file:line"
    ListenerConfig default_listener_;          // from port / bind_address
    bool default_listener_used_ = false;
    std::vector<ListenerConfig> listeners_;    // from listener lines, in order
    std::vector<bool> listener_max_conn_set_;
    int current_ = -1;                         // listener section; -1 before the first
    std::uint32_t global_max_connections_ = 0;
    std::string global_max_connections_file_;  // where it was given (line 0: not given)
    int global_max_connections_line_ = 0;
    int depth_ = 0;                            // include_dir nesting
    bool security_seen_ = false;               // a security option or listener line was read
};

}  // namespace mote::broker::config_detail
