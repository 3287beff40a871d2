// Broker configuration: the common subset of mosquitto.conf (see
// docs/configuration.md for every option and its default). Parsing happens at
// start-up and on SIGHUP, never on the data path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mote::broker {

enum class ListenerProtocol : std::uint8_t { Mqtt, WebSockets };

struct ListenerConfig {
    std::string bind_address;  // empty: all interfaces
    std::uint16_t port = 1883;
    ListenerProtocol protocol = ListenerProtocol::Mqtt;
    std::uint32_t max_connections = 0;  // 0: unlimited (mosquitto: -1)
    // Where the listener was declared, for error messages.
    std::string file;
    int line = 0;
};

enum class LogLevel : std::uint8_t { Debug, Info, Notice, Warning, Error };

struct BrokerConfig {
    // Without any listener in the file (or without a file) the broker listens on
    // 127.0.0.1:1883 only: a secure default, as mosquitto 2.x does.
    std::vector<ListenerConfig> listeners;

    bool allow_anonymous = true;
    std::uint32_t max_inflight_messages = 20;  // per client, QoS 1 and 2 outgoing
    std::uint32_t max_queued_messages = 1000;  // per offline/slow client; 0: unlimited
    std::uint64_t max_queued_bytes = 0;        // 0: unlimited
    std::uint32_t message_size_limit = 0;      // payload bytes; 0: no limit beyond max_packet_size
    std::uint32_t max_packet_size = 268435460; // whole packet, bytes
    std::uint16_t max_keepalive = 65535;       // seconds
    std::uint64_t persistent_client_expiration = 0;  // seconds; 0: never
    bool retain_available = true;
    std::uint16_t max_topic_alias = 10;        // client -> broker aliases accepted
    std::uint32_t sys_interval = 10;           // seconds; 0: no $SYS updates
    std::uint32_t connect_timeout = 10;        // seconds to wait for CONNECT (not in mosquitto; Mote option)
    // Mote option: send the cause of an error CONNACK/DISCONNECT as a 5.0 Reason
    // String. Off by default, as in mosquitto; the cause is always logged.
    bool reason_strings = false;
    // Topic levels allowed in a topic name or filter; 0: only the spec's 65,535-byte
    // limit. 201 is mosquitto's compiled-in limit (200 '/' separators).
    std::uint32_t max_topic_levels = 201;

    // Logging: "stderr", "stdout", "file <path>", "none"; several may be given.
    std::vector<std::string> log_dest;
    // Enabled levels, from log_type (debug, information, notice, warning, error, all, none).
    std::uint8_t log_mask = 0;  // bit per LogLevel; 0 means "default" (info and above)

    std::string config_file;  // the path the options were read from (empty: defaults)
};

struct ConfigError {
    std::string file;
    int line = 0;         // 0 when the error is not about one line (e.g. unreadable file)
    std::string option;   // the option name, when known
    std::string message;

    // "mote.conf:12: max_keepalive: expected an integer from 10 to 65535, got 'x'"
    std::string to_string() const;
};

// Reads `path` (and, via include_dir, every *.conf in that directory in
// alphabetical order) on top of the defaults in `out`. Returns false and fills `err`
// on the first unknown option, bad value, or unreadable file; nothing is ignored.
bool load_config_file(const std::string& path, BrokerConfig& out, ConfigError& err);

// Parses configuration text as if it were the file `file_name`.
bool parse_config_text(const std::string& text, const std::string& file_name, BrokerConfig& out,
                       ConfigError& err);

}  // namespace mote::broker
