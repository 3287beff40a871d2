// The broker engine: sessions, subscriptions, retained messages, wills, QoS 0/1/2
// state, flow control and expiry. Sans-I/O: the net layer hands it complete packets
// and the time, and it answers through the Io interface (send these bytes, close
// that connection). Unit tests and fuzzers drive it with a recording Io and a fake
// clock. One Engine per event loop; it holds no global state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mote/broker/config.hpp"
#include "mote/broker/log.hpp"
#include "mote/broker/message.hpp"
#include "mote/common/bytes.hpp"
#include "mote/common/protocol.hpp"

namespace mote::broker {

using ConnectionId = std::uint64_t;

namespace auth {
class PasswordFile;
class Security;
}  // namespace auth

// A password check the engine hands to the Io (the net layer runs it on a worker
// thread: hashing is slow on purpose and must not stall the event loop).
struct CredentialCheck {
    ConnectionId id = 0;
    std::shared_ptr<const auth::PasswordFile> passwords;  // the file in force for the CONNECT
    std::string username;
    std::string password;  // the Io wipes it once checked
};
namespace detail {
class Persistence;  // broker/src/engine/session_store.hpp
}

enum class SendResult : std::uint8_t {
    Ok,            // queued
    Backpressure,  // queued, but the connection's byte cap is reached: stop sending
                   // more until on_writable()
    Dropped,       // not queued (connection closing or gone)
};

// What the engine asks of the I/O layer. Implemented by the libuv net layer and by
// test fakes. Calls are made synchronously from inside Engine methods.
class Io {
public:
    virtual ~Io() = default;
    // Queue `bytes` (copied before return) on the connection.
    virtual SendResult send(ConnectionId id, mqtt::Bytes bytes) = 0;
    // Queue a PUBLISH as `header` (copied) followed by msg->payload, which is not
    // copied: the Io keeps `msg` alive until the write completes.
    virtual SendResult send_publish(ConnectionId id, mqtt::Bytes header, const MessagePtr& msg) = 0;
    // Flush what is queued, then close the socket. The engine will not use the id
    // again; the net layer still reports on_closed() when the socket is gone.
    virtual void close(ConnectionId id) = 0;
    // Start checking `check` off the event loop and report the outcome later with
    // Engine::on_auth_result(check.id, ...), also when the connection closed in the
    // meantime (the engine then ignores it). False: this Io cannot check passwords,
    // and the engine refuses the CONNECT at once.
    virtual bool check_credentials(CredentialCheck&& check) {
        (void)check;
        return false;
    }
};

struct PeerInfo {
    std::string address;  // "127.0.0.1:53412", for logs
    std::uint16_t listener_port = 0;
    std::size_t listener_index = 0;  // position in BrokerConfig::listeners (per-listener security)
    // TLS listeners (docs/tls.md). `cert_identity` is the subject CN of the client
    // certificate verified during the handshake (empty without one). With the
    // listener's use_identity_as_username it replaces the CONNECT's user name.
    bool tls = false;
    bool use_identity_as_username = false;
    std::string cert_identity;
    // Set only on a bridge's own connection to the engine (broker/src/bridge), which
    // must outlive it: trusted (no password or ACL check), no cap on its in-flight
    // window but its own Receive Maximum, and its session's queue is the bridge's
    // store-and-forward backlog, with the bridge's limits and drop-oldest policy.
    const BridgeConfig* bridge = nullptr;
};

struct EngineStats {
    std::uint64_t clients_connected = 0;
    std::uint64_t clients_total = 0;  // sessions, connected or not
    std::uint64_t clients_maximum = 0;
    std::uint64_t messages_received = 0;
    std::uint64_t messages_sent = 0;
    std::uint64_t bytes_received = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t subscriptions = 0;
    std::uint64_t retained_messages = 0;
    std::uint64_t messages_dropped = 0;
    // PUBLISH packets and their wire bytes (fixed header included) by QoS 0/1/2,
    // in from clients and out to subscribers; wills count as received messages.
    std::uint64_t publish_received_by_qos[3] = {0, 0, 0};
    std::uint64_t publish_sent_by_qos[3] = {0, 0, 0};
    std::uint64_t publish_bytes_received_by_qos[3] = {0, 0, 0};
    std::uint64_t publish_bytes_sent_by_qos[3] = {0, 0, 0};
};

// The backlog of one session, for a bridge's $SYS topics and metrics.
struct SessionBacklog {
    bool exists = false;
    std::uint64_t queued = 0;        // waiting for the in-flight window
    std::uint64_t queued_bytes = 0;  // their payload and topic bytes
    std::uint64_t inflight = 0;      // sent, not yet acknowledged
    std::uint64_t dropped = 0;       // dropped by the bridge's queue limits since start-up
};

// Messages waiting in sessions, counted on request (Engine::queue_stats()).
struct QueueStats {
    std::uint64_t queued = 0;    // QoS 1/2 (and QoS 0 for live clients) waiting to be sent
    std::uint64_t inflight = 0;  // sent, not yet acknowledged
    std::uint64_t sessions = 0;  // sessions, connected or not
};

class Engine {
public:
    Engine(const BrokerConfig& cfg, Logger& log, Io& io, Millis now);
    // With a durable store (broker/src/store/), which must outlive the Engine: the
    // engine restores the store's sessions (subscriptions, timers, Wills) and keeps
    // its state there.
    Engine(const BrokerConfig& cfg, Logger& log, Io& io, Millis now, detail::Persistence* store);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // A socket was accepted. The engine closes it if no CONNECT arrives within
    // connect_timeout.
    void on_open(ConnectionId id, const PeerInfo& peer, Millis now);
    // One complete packet as framed by mqtt::parse_fixed_header(): its first byte and
    // its body. The engine decodes it with the connection's protocol version. The
    // bytes are only valid during the call. `wire_size` counts the fixed header too.
    void on_packet(ConnectionId id, std::uint8_t first_byte, mqtt::Bytes body, std::size_t wire_size,
                   Millis now);
    // The framer found the stream broken (Remaining Length over 4 bytes, packet above
    // the maximum size, ...). The engine replies as the version requires and closes.
    void on_frame_error(ConnectionId id, mqtt::Error error, Millis now);
    // The socket is gone (peer closed, I/O error, or after close()). Publishes the
    // will when the disconnect was not a normal one.
    void on_closed(ConnectionId id, Millis now);
    // The connection's write queue drained after a Backpressure result.
    void on_writable(ConnectionId id, Millis now);

    // Runs every timer that is due: CONNECT timeout, keepalive (1.5 times), will
    // delay, session expiry, message expiry, $SYS publication.
    void tick(Millis now);
    // The earliest time tick() has work to do (0: nothing scheduled).
    Millis next_deadline() const;

    // Graceful shutdown: MQTT 5 clients get DISCONNECT 0x8B; every connection is
    // closed after its queue is flushed; wills of connected clients are not sent.
    void shutdown(Millis now);

    // The largest packet the framer should accept from a client (config
    // max_packet_size).
    std::uint32_t max_incoming_packet_size() const;

    const EngineStats& stats() const;
    // Walks every session: O(sessions). For metrics scrapes, not the data path.
    QueueStats queue_stats() const;
    // One session's backlog: O(log sessions).
    SessionBacklog session_backlog(const std::string& client_id) const;
    // The filters one session is subscribed to (empty: no such session).
    std::vector<std::string> session_filters(const std::string& client_id) const;

    // Authentication and authorisation (docs/security.md): the password file, ACL
    // and allow_anonymous of each listener. Without a call (or with null) the engine
    // only applies the configuration's allow_anonymous. A new snapshot (SIGHUP)
    // applies to the next CONNECT, PUBLISH, SUBSCRIBE and delivery, existing
    // subscriptions included.
    void set_security(std::shared_ptr<const auth::Security> security);
    // The outcome of an Io::check_credentials(): the held CONNECT goes on (and the
    // packets that arrived after it are processed in order) or is refused with
    // CONNACK 0x86 (5.0) / 0x05 (3.1.1). Unknown or closed ids are ignored.
    void on_auth_result(ConnectionId id, bool ok, Millis now);

    // Strict durability: PUBACK/PUBREC/PUBCOMP wait for the loop turn's commit.
    // True when some are waiting.
    bool acks_held() const;
    // The net layer committed the store (once per loop turn). `ok`: the held
    // acknowledgements go out. Otherwise nothing they acknowledge is on disk: 5.0
    // PUBACK/PUBREC carry `failure` (0x97 Quota exceeded for a full disk, else
    // 0x80) and a QoS 2 flow refused that way is forgotten; a 3.1.1 client, which
    // cannot be told, and a held PUBCOMP lose their connection instead, so the
    // client resends after reconnecting.
    void on_commit(bool ok, mqtt::Reason failure, Millis now);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace mote::broker
