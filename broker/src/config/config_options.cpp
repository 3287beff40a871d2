// The option table: every option Mote understands, and every mosquitto 2.x option
// it knows about but does not implement yet (those get a distinct error message, so
// that an operator's existing mosquitto.conf fails loudly and precisely).
#include "config/config_options.hpp"


namespace mote::broker::config_detail {

namespace {

constexpr const char* kInt = "an integer";

const OptionSpec kOptions[] = {
    {"listener", false, false, "'listener PORT [BIND_ADDRESS]'", &Parser::on_listener},
    {"port", true, false, "a port from 1 to 65535", &Parser::on_port},
    {"bind_address", true, false, "a host name or IP address", &Parser::on_bind_address},
    {"protocol", true, true, "mqtt or websockets", &Parser::on_protocol},
    {"max_connections", true, true, "-1 or a positive integer", &Parser::on_max_connections},
    {"allow_anonymous", true, true, "true or false", &Parser::on_allow_anonymous},
    {"max_inflight_messages", true, false, kInt, &Parser::on_max_inflight_messages},
    {"max_queued_messages", true, false, kInt, &Parser::on_max_queued_messages},
    {"max_queued_bytes", true, false, kInt, &Parser::on_max_queued_bytes},
    {"message_size_limit", true, false, kInt, &Parser::on_message_size_limit},
    {"max_packet_size", true, false, kInt, &Parser::on_max_packet_size},
    {"max_keepalive", true, false, kInt, &Parser::on_max_keepalive},
    {"persistent_client_expiration", true, false, "a duration such as 1h, 2d, 3w, 4m or 5y",
     &Parser::on_persistent_client_expiration},
    {"retain_available", true, false, "true or false", &Parser::on_retain_available},
    {"max_topic_alias", true, false, kInt, &Parser::on_max_topic_alias},
    {"sys_interval", true, false, kInt, &Parser::on_sys_interval},
    {"connect_timeout", true, false, kInt, &Parser::on_connect_timeout},
    {"reason_strings", true, false, "true or false", &Parser::on_reason_strings},
    {"max_topic_levels", true, false, kInt, &Parser::on_max_topic_levels},
    // Repeatable: each line adds a destination / enables more levels (as in mosquitto).
    {"log_dest", false, false, "stderr, stdout, none or file PATH", &Parser::on_log_dest},
    {"log_type", false, false, "a log type", &Parser::on_log_type},
    {"include_dir", false, false, "a directory", &Parser::on_include_dir},
    {"http_listener", true, false, "'http_listener PORT [BIND_ADDRESS]'", &Parser::on_http_listener},
    {"http_dashboard", true, false, "true or false", &Parser::on_http_dashboard},
    {"http_dashboard_websocket_url", true, false, "a ws:// or wss:// URL",
     &Parser::on_http_dashboard_websocket_url},
    // Security: global, or per listener section with per_listener_settings true.
    {"password_file", true, true, "a file path", &Parser::on_password_file},
    {"acl_file", true, true, "a file path", &Parser::on_acl_file},
    {"per_listener_settings", true, false, "true or false", &Parser::on_per_listener_settings},
    // TLS (config_tls.cpp).
    {"certfile", true, true, "a PEM certificate file", &Parser::on_certfile},
    {"keyfile", true, true, "a PEM private key file", &Parser::on_keyfile},
    {"cafile", true, true, "a PEM CA certificate file", &Parser::on_cafile},
    {"capath", true, true, "a directory of PEM CA certificates", &Parser::on_capath},
    {"require_certificate", true, true, "true or false", &Parser::on_require_certificate},
    {"use_identity_as_username", true, true, "true or false", &Parser::on_use_identity_as_username},
    {"tls_version", true, true, "tlsv1.2", &Parser::on_tls_version},
    {"ciphers", true, true, "mbedTLS cipher suite names separated by ':'", &Parser::on_ciphers},
    {"tls_handshake_timeout", true, false, kInt, &Parser::on_tls_handshake_timeout},
    {"max_tls_handshakes", true, false, kInt, &Parser::on_max_tls_handshakes},
    {"persistence", true, false, "true or false", &Parser::on_persistence},
    {"persistence_location", true, false, "a directory", &Parser::on_persistence_location},
    {"persistence_file", true, false, "a file name", &Parser::on_persistence_file},
    {"persistence_durability", true, false, "strict or relaxed", &Parser::on_persistence_durability},
    {"persistence_interval_ms", true, false, kInt, &Parser::on_persistence_interval_ms},
    {"persistence_max_bytes", true, false, kInt, &Parser::on_persistence_max_bytes},
    // Bridges (config_bridge.cpp). Each option applies to the last `connection`
    // section; "once per section" is checked there, so `single` is false here.
    {"connection", false, false, "a bridge name", &Parser::on_connection},
    {"address", false, false, "HOST[:PORT] ...", &Parser::on_bridge_address},
    {"addresses", false, false, "HOST[:PORT] ...", &Parser::on_bridge_address},
    {"round_robin", false, false, "true or false", &Parser::on_bridge_round_robin},
    {"topic", false, false, "PATTERN [[[out|in|both] QOS] LOCAL_PREFIX REMOTE_PREFIX]", &Parser::on_bridge_topic},
    {"bridge_protocol_version", false, false, "mqttv311 or mqttv50", &Parser::on_bridge_protocol_version},
    {"remote_clientid", false, false, "a client identifier", &Parser::on_bridge_remote_clientid},
    {"clientid", false, false, "a client identifier", &Parser::on_bridge_remote_clientid},
    {"local_clientid", false, false, "a client identifier", &Parser::on_bridge_local_clientid},
    {"remote_username", false, false, "a user name", &Parser::on_bridge_remote_username},
    {"username", false, false, "a user name", &Parser::on_bridge_remote_username},
    {"remote_password", false, false, "a password", &Parser::on_bridge_remote_password},
    {"password", false, false, "a password", &Parser::on_bridge_remote_password},
    {"cleansession", false, false, "true or false", &Parser::on_bridge_cleansession},
    {"local_cleansession", false, false, "true or false", &Parser::on_bridge_local_cleansession},
    {"keepalive_interval", false, false, kInt, &Parser::on_bridge_keepalive_interval},
    {"restart_timeout", false, false, "BASE [CAP] in seconds", &Parser::on_bridge_restart_timeout},
    {"try_private", false, false, "true or false", &Parser::on_bridge_try_private},
    {"notifications", false, false, "true or false", &Parser::on_bridge_notifications},
    {"notifications_local_only", false, false, "true or false", &Parser::on_bridge_notifications_local_only},
    {"notification_topic", false, false, "a topic name", &Parser::on_bridge_notification_topic},
    {"bridge_outgoing_retain", false, false, "true or false", &Parser::on_bridge_outgoing_retain},
    {"bridge_max_packet_size", false, false, kInt, &Parser::on_bridge_max_packet_size},
    {"bridge_receive_maximum", false, false, kInt, &Parser::on_bridge_receive_maximum},
    {"bridge_session_expiry_interval", false, false, kInt, &Parser::on_bridge_session_expiry_interval},
    {"bridge_cafile", false, false, "a PEM CA certificate file", &Parser::on_bridge_cafile},
    {"bridge_capath", false, false, "a directory of PEM CA certificates", &Parser::on_bridge_capath},
    {"bridge_certfile", false, false, "a PEM certificate file", &Parser::on_bridge_certfile},
    {"bridge_keyfile", false, false, "a PEM private key file", &Parser::on_bridge_keyfile},
    {"bridge_insecure", false, false, "true or false", &Parser::on_bridge_insecure},
    {"bridge_tls_version", false, false, "tlsv1.2", &Parser::on_bridge_tls_version},
    {"start_type", false, false, "automatic", &Parser::on_bridge_start_type},
    {"bridge_max_queued_messages", false, false, kInt, &Parser::on_bridge_max_queued_messages},
    {"bridge_max_queued_bytes", false, false, kInt, &Parser::on_bridge_max_queued_bytes},
    {"bridge_outgoing_rate", false, false, kInt, &Parser::on_bridge_outgoing_rate},
    {"bridge_drain_policy", false, false, "fifo or live_first", &Parser::on_bridge_drain_policy},
};

struct Unsupported {
    const char* name;
    const char* area;
};

// mosquitto 2.x options (mosquitto.conf(5)) that Mote does not implement yet.
const Unsupported kUnsupported[] = {
    // Authentication and access control.
    {"psk_file", "TLS-PSK"},
    {"psk_hint", "TLS-PSK"},
    {"auth_plugin", "plugins"},
    {"plugin", "plugins"},
    {"global_plugin", "plugins"},
    {"allow_zero_length_clientid", "client identifiers"},
    {"auto_id_prefix", "client identifiers"},
    {"clientid_prefixes", "client identifiers"},
    {"use_subject_as_username", "TLS client certificates"},
    {"use_username_as_clientid", "client identifiers"},
    // TLS.
    {"crlfile", "TLS"},
    {"ciphers_tls1.3", "TLS"},
    {"dhparamfile", "TLS"},
    {"tls_engine", "TLS"},
    {"tls_engine_kpass_sha1", "TLS"},
    {"tls_keyform", "TLS"},
    // Persistence.
    {"autosave_interval", "persistence"},
    {"autosave_on_changes", "persistence"},
    // Listener details.
    {"bind_interface", "listeners"},
    {"mount_point", "listeners"},
    {"socket_domain", "listeners"},
    {"accept_protocol_versions", "listeners"},
    {"http_dir", "WebSockets"},
    {"websockets_headers_size", "WebSockets"},
    {"websockets_log_level", "WebSockets"},
    {"enable_proxy_protocol", "listeners"},
    // Broker behaviour.
    {"allow_duplicate_messages", "message handling"},
    {"check_retain_source", "retained messages"},
    {"max_inflight_bytes", "flow control"},
    {"memory_limit", "resource limits"},
    {"queue_qos0_messages", "message handling"},
    {"upgrade_outgoing_qos", "message handling"},
    {"set_tcp_nodelay", "sockets"},
    {"retry_interval", "message handling"},
    {"pid_file", "process management"},
    {"user", "process management"},
    {"connection_messages", "logging"},
    {"log_facility", "logging"},
    {"log_timestamp", "logging"},
    {"log_timestamp_format", "logging"},
    // Bridge options Mote does not implement (the supported ones are in kOptions).
    {"bridge_attempt_unsubscribe", "bridges: unsubscribing upstream from topics that became out is not implemented"},
    {"bridge_bind_address", "bridges: no choice of the local address of the bridge's socket"},
    {"bridge_identity", "bridges: no TLS-PSK; use bridge_cafile and certificates"},
    {"bridge_psk", "bridges: no TLS-PSK; use bridge_cafile and certificates"},
    {"bridge_alpn", "bridges: no TLS ALPN"},
    {"bridge_require_ocsp", "bridges: no OCSP checks"},
    {"bridge_ciphers", "bridges: the mbedTLS default cipher suites are used"},
    {"bridge_ciphers_tls1.3", "bridges: no TLS 1.3 in mbedTLS 2.28"},
    {"bridge_max_topic_alias", "bridges: no topic aliases to the upstream broker"},
    {"bridge_reload_type", "bridges: bridges are not reloaded on SIGHUP"},
    {"bridge_tcp_keepalive", "bridges: no TCP keepalive settings"},
    {"bridge_tcp_user_timeout", "bridges: no TCP user timeout"},
    {"idle_timeout", "bridges: only start_type automatic, so no lazy bridge to stop when idle"},
    {"threshold", "bridges: only start_type automatic, so no lazy bridge to start"},
    {"local_username", "bridges: no separate credentials for the local side of a bridge"},
    {"local_password", "bridges: no separate credentials for the local side of a bridge"},
};

}  // namespace

const OptionSpec* find_option(const std::string& name) {
    for (const OptionSpec& o : kOptions) {
        if (name == o.name) {
            return &o;
        }
    }
    return nullptr;
}

const char* unsupported_reason(const std::string& name) {
    for (const Unsupported& u : kUnsupported) {
        if (name == u.name) {
            return u.area;
        }
    }
    // Plugin and auth-plugin options are families: auth_opt_*, plugin_opt_*.
    if (name.compare(0, 9, "auth_opt_") == 0 || name.compare(0, 11, "plugin_opt_") == 0) {
        return "plugins";
    }
    return nullptr;
}

}  // namespace mote::broker::config_detail
