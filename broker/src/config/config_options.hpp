// Internal to the configuration loader: the parser state and the option table.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
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
// Empty when `path` is a readable file (or directory when `dir`), else why not
// (config_tls.cpp).
std::string check_readable(const std::string& path, bool dir);

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
    // Bridges (config_bridge.cpp): `connection NAME` and the options of its section.
    bool on_connection(const Line& ln);
    bool on_bridge_address(const Line& ln);
    bool on_bridge_round_robin(const Line& ln);
    bool on_bridge_topic(const Line& ln);
    bool on_bridge_protocol_version(const Line& ln);
    bool on_bridge_remote_clientid(const Line& ln);
    bool on_bridge_local_clientid(const Line& ln);
    bool on_bridge_remote_username(const Line& ln);
    bool on_bridge_remote_password(const Line& ln);
    bool on_bridge_cleansession(const Line& ln);
    bool on_bridge_local_cleansession(const Line& ln);
    bool on_bridge_keepalive_interval(const Line& ln);
    bool on_bridge_restart_timeout(const Line& ln);
    bool on_bridge_try_private(const Line& ln);
    bool on_bridge_notifications(const Line& ln);
    bool on_bridge_notifications_local_only(const Line& ln);
    bool on_bridge_notification_topic(const Line& ln);
    bool on_bridge_outgoing_retain(const Line& ln);
    bool on_bridge_max_packet_size(const Line& ln);
    bool on_bridge_receive_maximum(const Line& ln);
    bool on_bridge_session_expiry_interval(const Line& ln);
    bool on_bridge_cafile(const Line& ln);
    bool on_bridge_capath(const Line& ln);
    bool on_bridge_certfile(const Line& ln);
    bool on_bridge_keyfile(const Line& ln);
    bool on_bridge_insecure(const Line& ln);
    bool on_bridge_tls_version(const Line& ln);
    bool on_bridge_start_type(const Line& ln);
    bool on_bridge_max_queued_messages(const Line& ln);
    bool on_bridge_max_queued_bytes(const Line& ln);
    bool on_bridge_outgoing_rate(const Line& ln);
    bool on_bridge_drain_policy(const Line& ln);
    // Checks every bridge and fills the defaults that depend on other options, then
    // appends the bridges to cfg.bridges.
    bool finish_bridges();

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
    bool tls_version_value(const Line& ln, std::string& out);
    bool finish_tls(const std::vector<ListenerConfig>& all);
    // "mosquitto option not supported yet by Mote (why); ..." for `ln`.
    bool fail_unsupported(const Line& ln, const std::string& why);
    // Bridges (config_bridge.cpp): the current section for a bridge option, or an
    // error; with once_key, also an error when that option was already given in it.
    BridgeConfig* bridge_section(const Line& ln, const char* once_key);
    bool parse_bridge_address(const Line& ln, const std::string& token, std::pair<std::string, std::uint16_t>& out);
    bool bridge_topic_part(const Line& ln, const std::string& token, std::string& out);
    bool check_bridge_prefix(const Line& ln, const std::string& prefix, const char* which);
    bool check_bridge_topic(const Line& ln, const BridgeTopic& t);
    bool bridge_string(const Line& ln, std::string& out);
    bool bridge_file(const Line& ln, const char* once_key, bool dir, std::string BridgeConfig::*path,
                     OptionOrigin BridgeConfig::*at);
    bool bridge_error(const BridgeConfig& b, const char* option, const std::string& message);
    std::string bridge_given_at(std::size_t index, const char* option) const;
    bool check_bridge_tls(const BridgeConfig& b, std::size_t i);
    bool finish_bridge(BridgeConfig& b, std::size_t i);

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
    std::vector<BridgeConfig> bridges_;        // from connection lines, in order
    int current_bridge_ = -1;                  // bridge section of the file being read; -1: none
    // Per bridge section: option (aliases folded) -> (name as written, "file:line").
    std::vector<std::map<std::string, std::pair<std::string, std::string>>> bridge_seen_;
};

}  // namespace mote::broker::config_detail
