// Broker configuration: the common subset of mosquitto.conf (see
// docs/configuration.md for every option and its default). Parsing happens at
// start-up and on SIGHUP, never on the data path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mote::broker {

enum class ListenerProtocol : std::uint8_t { Mqtt, WebSockets };

// Where a configuration option was given (line 0: not given).
struct OptionOrigin {
    std::string file;
    int line = 0;
};

// A listener's TLS options (mosquitto's names; see docs/tls.md). TLS is on when
// certfile is set. Each *_at is where the option was given, so that a certificate
// or key that fails to load at start-up is reported as "file:line: option: why".
struct TlsConfig {
    std::string certfile;
    std::string keyfile;
    std::string cafile;
    std::string capath;
    std::string ciphers;       // mbedTLS suite names separated by ':' (empty: mbedTLS defaults)
    std::string tls_version;   // empty or "tlsv1.2"
    bool require_certificate = false;
    bool use_identity_as_username = false;
    OptionOrigin certfile_at;
    OptionOrigin keyfile_at;
    OptionOrigin cafile_at;
    OptionOrigin capath_at;
    OptionOrigin ciphers_at;

    bool enabled() const { return !certfile.empty(); }
};

struct ListenerConfig {
    std::string bind_address;  // empty: all interfaces
    std::uint16_t port = 1883;
    ListenerProtocol protocol = ListenerProtocol::Mqtt;
    std::uint32_t max_connections = 0;  // 0: unlimited (mosquitto: -1)
    TlsConfig tls;
    // Where the listener was declared, for error messages.
    std::string file;
    int line = 0;
    // With per_listener_settings true: this listener's own security options
    // (security_section: declared by a `listener` line, so they apply).
    bool security_section = false;
    std::string password_file;
    std::string acl_file;
    bool allow_anonymous = true;
    bool allow_anonymous_given = false;
    std::string password_file_where;  // "mote.conf:12", for errors about the file
    std::string acl_file_where;
};

enum class LogLevel : std::uint8_t { Debug, Info, Notice, Warning, Error };

// When a QoS 1/2 PUBLISH is acknowledged relative to its store transaction (see
// docs/persistence.md).
enum class Durability : std::uint8_t {
    Strict,   // PUBACK/PUBREC only after the loop turn's commit is on disk
    Relaxed,  // acknowledged at once; committed at least every persistence_interval_ms
};

// One `topic` line of a bridge (mosquitto's syntax):
//   topic PATTERN [[[out|in|both] QOS] LOCAL_PREFIX REMOTE_PREFIX]
// A message on LOCAL_PREFIX+T (T matching PATTERN) goes upstream as REMOTE_PREFIX+T
// (out), and back the other way (in). An empty PATTERN ("") makes the prefixes
// whole topic names.
enum class BridgeDirection : std::uint8_t { Out, In, Both };
// What goes upstream first after an outage (bridge_drain_policy, docs/bridge.md).
enum class BridgeDrain : std::uint8_t {
    Fifo,       // everything in order: live messages wait behind the backlog
    LiveFirst,  // live messages go at once; the backlog drains beside them
};
struct BridgeTopic {
    std::string pattern;
    BridgeDirection direction = BridgeDirection::Out;
    std::uint8_t qos = 0;
    std::string local_prefix;
    std::string remote_prefix;
    OptionOrigin at;
};

// A bridge to an upstream broker (docs/bridge.md): a `connection NAME` section and
// the options after it, with mosquitto's names and defaults unless marked Mote.
struct BridgeConfig {
    std::string name;
    OptionOrigin at;  // the `connection` line
    // `address host[:port] ...` (or `addresses`), tried in turn; the port defaults
    // to 1883 (8883 is not guessed for TLS, as in mosquitto).
    std::vector<std::pair<std::string, std::uint16_t>> addresses;
    bool round_robin = false;  // false: every reconnect starts at the first address
    std::vector<BridgeTopic> topics;
    std::uint8_t protocol_version = 4;  // bridge_protocol_version: 4 mqttv311, 5 mqttv50
    std::string remote_clientid;        // empty: "<hostname>.<name>", as mosquitto
    std::string local_clientid;         // empty: "local.<remote_clientid>"
    bool has_remote_username = false;
    std::string remote_username;
    bool has_remote_password = false;
    std::string remote_password;
    bool cleansession = false;
    bool local_cleansession = false;  // defaults to cleansession
    bool local_cleansession_given = false;
    std::uint16_t keepalive_interval = 60;  // seconds
    // restart_timeout BASE [CAP]: reconnect backoff in seconds, the firmware
    // client's: each wait between half the current delay and the delay, the delay
    // doubling from BASE up to CAP (one number: CAP = BASE). docs/bridge.md.
    std::uint32_t restart_timeout_base = 5;
    std::uint32_t restart_timeout_cap = 30;
    bool try_private = true;
    bool notifications = true;
    bool notifications_local_only = false;
    std::string notification_topic;  // empty: $SYS/broker/connection/<remote_clientid>/state
    bool outgoing_retain = true;     // bridge_outgoing_retain
    std::uint32_t max_packet_size = 0;  // bridge_max_packet_size; 0: the build's limit
    std::uint16_t receive_maximum = 0;  // bridge_receive_maximum (5.0); 0: the client's 64
    std::uint32_t session_expiry_interval = 0;  // bridge_session_expiry_interval (5.0)
    // TLS to the upstream broker (on when bridge_cafile or bridge_capath is given).
    std::string cafile;    // bridge_cafile
    std::string capath;    // bridge_capath
    std::string certfile;  // bridge_certfile
    std::string keyfile;   // bridge_keyfile
    bool insecure = false; // bridge_insecure: skip the host name check (never the chain)
    std::string tls_version;  // bridge_tls_version: empty or tlsv1.2
    OptionOrigin cafile_at;
    OptionOrigin capath_at;
    OptionOrigin certfile_at;
    OptionOrigin keyfile_at;
    // Store-and-forward (Mote options; docs/bridge.md). The backlog of messages
    // bound upstream lives in the bridge's local session: on disk with
    // persistence, bounded by these limits; at the limit the oldest is dropped
    // and counted.
    std::uint64_t max_queued_messages = 100000;  // bridge_max_queued_messages; 0: no limit
    std::uint64_t max_queued_bytes = 0;          // bridge_max_queued_bytes; 0: no limit
    // Messages per second sent upstream (bridge_outgoing_rate); 0: no limit. Paces
    // the drain of a backlog after an outage.
    std::uint32_t outgoing_rate = 0;
    // bridge_drain_policy (Mote option). With live_first, the messages of an outage
    // wait in the session local_clientid and the live ones in a second session,
    // local_clientid + ".live"; bridge_outgoing_rate then paces the backlog only.
    BridgeDrain drain_policy = BridgeDrain::Fifo;

    bool tls_enabled() const { return !cafile.empty() || !capath.empty(); }
};

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
    std::uint32_t tls_handshake_timeout = 5;   // seconds for a TLS handshake (Mote option)
    std::uint32_t max_tls_handshakes = 64;     // concurrent TLS handshakes per loop (Mote option)
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

    // HTTP endpoint for /healthz, /metrics and the dashboard page (broker/src/http,
    // docs/dashboard.md). Off unless `http_listener` is given.
    std::uint16_t http_port = 0;                  // 0: no HTTP listener
    std::string http_bind_address = "127.0.0.1";  // loopback unless an address is given
    bool http_dashboard = false;                  // serve the live telemetry page at GET /
    std::string http_dashboard_websocket_url;     // empty: the first websockets listener, same host
    std::string http_file;                        // where http_listener was given, for errors
    int http_line = 0;
    // Security (docs/security.md). Unset allow_anonymous means false when a password
    // file applies and true otherwise.
    bool allow_anonymous_given = false;
    std::string password_file;
    std::string acl_file;
    bool per_listener_settings = false;
    std::string password_file_where;  // "mote.conf:12", for errors about the file
    std::string acl_file_where;
    // Persistence (docs/persistence.md): an SQLite database in WAL mode at
    // persistence_location/persistence_file.
    bool persistence = false;
    std::string persistence_location;          // directory; empty: the working directory
    std::string persistence_file = "mote.db";
    Durability persistence_durability = Durability::Strict;
    std::uint32_t persistence_interval_ms = 1000;  // relaxed: the commit interval
    std::uint64_t persistence_max_bytes = 0;       // database size cap; 0: none
    // Bridges to upstream brokers (`connection` sections; docs/bridge.md).
    std::vector<BridgeConfig> bridges;
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
