// The libuv side of the broker: one Server per event loop. It owns the uv_loop_t,
// the listeners, the connections (ConnectionId -> Connection) and the Engine, and
// implements the Engine's Io interface by moving bytes.
//
// Ownership (STYLE #11):
// - Every uv handle lives inside an object owned by the Server (Listener,
//   Connection, or the Server itself) and is freed only after its close_cb ran:
//   a Connection is erased from `conns_` in its close_cb; listeners and the
//   Server's own handles are freed by ~Server after the loop has drained.
// - Reads land in the per-loop 64 KiB `read_buf_`; whole packets are handed to the
//   engine in place (the view is valid only during Engine::on_packet). Only a
//   trailing partial packet is copied into the connection's `partial` buffer,
//   which grows with the bytes that actually arrive (never ahead of them) up to the
//   announced packet size and is freed when the packet is complete.
// - Output (Io::send / send_publish) is queued in the connection's OutQueue:
//   owned copies of small bytes (headers, acks) appended to one byte buffer, and
//   MessagePtr references to shared payloads, in order. Everything queued in a
//   loop turn goes out in one writev. What the socket does not take at once moves,
//   queue and all, into the WriteReq and lives until its write_cb (or the close);
//   the MessagePtr references are dropped then. The queue's buffers are reused
//   from turn to turn, so a busy connection does not allocate per packet.
//
// No globals: signals use uv_signal_t on this loop, so several Servers (one per
// loop) can exist later.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mote/broker/config.hpp"
#include "mote/broker/engine.hpp"
#include "mote/broker/log.hpp"
#include "mote/broker/message.hpp"
#include "mote/common/bytes.hpp"
#include "mote/common/framer.hpp"
#include "net/auth_worker.hpp"

namespace mote::broker::http {
class HttpServer;
}
#include "tls/tls_context.hpp"
#include "ws/ws_session.hpp"

namespace mote::broker::store {
class SqliteStore;
}
namespace mote::broker::bridge {
class Bridge;
}

namespace mote::broker::net {

class Server;

// One piece of pending output: the next `own` bytes of OutQueue::bytes, then
// `len` bytes of msg->payload (not copied) when msg is set. A PUBLISH is one
// Piece (its header, then its payload); acks in between extend the next one's
// owned run.
struct Piece {
    MessagePtr msg;
    std::uint32_t own = 0;
    std::uint32_t len = 0;
};

// Output in wire order: about 24 bytes of Piece plus the header bytes per queued
// PUBLISH, and one iovec per owned run and per payload.
struct OutQueue {
    OutQueue() = default;
    OutQueue(OutQueue&& o) noexcept { *this = std::move(o); }
    OutQueue& operator=(OutQueue&& o) noexcept {
        bytes = std::move(o.bytes);
        pieces = std::move(o.pieces);
        used = std::exchange(o.used, 0);
        cap = std::exchange(o.cap, 0);
        size = std::exchange(o.size, 0);
        return *this;
    }

    // Owned bytes: `used` of `cap` (not a vector, so that growing does not
    // zero-fill what append() overwrites anyway).
    std::unique_ptr<std::uint8_t[]> bytes;
    std::vector<Piece> pieces;
    std::size_t used = 0;
    std::size_t cap = 0;
    std::size_t size = 0;  // bytes queued in total, owned and shared

    bool empty() const { return pieces.empty(); }
    void append(mqtt::Bytes b);
    void append_payload(const MessagePtr& msg);
    // Empties the queue; keeps the buffers unless they were left large by a burst,
    // or are tiny and the connection is not `busy` (a connection that sent only a
    // CONNACK keeps nothing).
    void reset(bool busy);
};

struct Connection;

// A uv_write in flight: it owns the output it carries until write_cb. The first
// `skip` bytes of `out` were already written by uv_try_write.
struct WriteReq {
    uv_write_t req{};
    Connection* conn = nullptr;
    OutQueue out;
    std::size_t skip = 0;
    std::size_t bytes = 0;  // bytes handed to uv_write
};

struct Listener {
    uv_tcp_t tcp{};
    Server* server = nullptr;
    ListenerConfig cfg;
    std::string name;  // "127.0.0.1:1883", for logs
    std::uint32_t max_connections = 0;  // 0: unlimited; reloadable
    std::uint32_t connections = 0;
    bool open = false;  // uv_tcp_init done (needs uv_close)
    std::unique_ptr<tls::TlsContext> tls;  // set on a TLS listener (certfile given)
};

enum class ConnState : std::uint8_t {
    Open,          // reading and writing
    Closing,       // Io::close(): no more reads; flushing the queue
    ShuttingDown,  // queue submitted, uv_shutdown in progress
    Draining,      // half-closed: input discarded until the peer's EOF (lingering close)
    Closed,        // uv_close called; erased in close_cb
};

// The TLS side of a connection on a TLS listener (net/tls_io.cpp). Plaintext
// output is queued in Connection::out as on a plain connection; at flush time it is
// encrypted into `cipher`, which then takes its place for the writev.
struct TlsLink {
    std::unique_ptr<tls::TlsSession> session;
    OutQueue cipher;             // ciphertext not yet handed to the socket
    PeerInfo peer;               // completed (certificate identity) after the handshake
    bool handshaking = true;     // counted in Server::handshakes_ while true
    bool notify_sent = false;
};

// The WebSocket side of a connection on a `protocol websockets` listener
// (net/ws_io.cpp). MQTT output queued in Connection::out is framed at flush time
// into `wire` (one binary frame per flush; payloads are not copied), which then
// goes to TLS (wss) or to the socket.
struct WsLink {
    std::unique_ptr<ws::WsSession> session;
    OutQueue wire;   // WebSocket bytes not yet encrypted / handed to the socket
    PeerInfo peer;   // completed (TLS identity) before the engine sees it
    // Closing: our close frame is out, reading continues until the peer's close
    // frame (or EOF, or the linger timeout), then TCP closes (RFC 6455 §7.1.1).
    bool await_close = false;
};

struct Connection {
    uv_tcp_t tcp{};
    Listener* listener = nullptr;  // listener->server is the owning Server
    ConnectionId id = 0;
    ConnState state = ConnState::Open;
    bool got_first_packet = false;  // the CONNECT has been handed to the engine
    bool backpressured = false;     // a send returned Backpressure; on_writable owed
    bool dirty = false;             // in Server::dirty_, waiting for the flush
    bool opened = false;            // engine.on_open was called: on_closed is owed
    // The trailing partial packet (see the file comment).
    std::unique_ptr<std::uint8_t[]> partial;
    std::uint32_t partial_len = 0;
    std::uint32_t partial_cap = 0;
    OutQueue out;                   // not yet handed to the socket
    WriteReq* write = nullptr;      // the one uv_write in flight, if any
    std::uint32_t flushed_ms = 0;   // loop time (low 32 bits) of the last full flush; 0: none
    std::unique_ptr<TlsLink> tls;   // null on a plain TCP connection
    std::unique_ptr<WsLink> ws;     // null unless on a websockets listener

    Server& server() const { return *listener->server; }
    // Output not yet written: in `out` plus in `write`.
    std::size_t queued() const { return out.size + (write != nullptr ? write->bytes : 0); }
};

struct NetStats {
    std::uint64_t accepted = 0;
    std::uint64_t refused = 0;           // over a listener's max_connections
    std::uint64_t slow_disconnects = 0;  // output over the hard cap
    std::uint64_t forced_closes = 0;     // peer did not take the last bytes in time
    std::uint64_t tls_handshakes = 0;          // completed
    std::uint64_t tls_handshake_failures = 0;  // bad certificate, garbage, ...
    std::uint64_t tls_handshake_timeouts = 0;  // not finished within tls_handshake_timeout
    std::uint64_t tls_refused = 0;             // over max_tls_handshakes
};

class Server final : public Io {
public:
    // Reads a fresh configuration for SIGHUP (file plus command line overrides).
    using Loader = std::function<bool(BrokerConfig& out, ConfigError& err)>;

    // `cfg` is copied and kept for the Engine's lifetime; `log` must outlive the
    // Server. Creates the loop and the Engine; binds nothing yet.
    Server(const BrokerConfig& cfg, Logger& log);
    ~Server() override;
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds and listens on every configured listener. On failure returns false with
    // `error` naming the address and the cause ("127.0.0.1:1883: address already in
    // use"); nothing stays bound.
    bool listen(std::string& error);
    // SIGHUP support; without a loader SIGHUP only logs that nothing was reloaded.
    void set_reload(Loader loader) { loader_ = std::move(loader); }
    // Runs the loop until a graceful shutdown (SIGINT/SIGTERM or
    // request_shutdown()) has finished.
    void run();
    // Starts the graceful shutdown: listeners closed, engine.shutdown(), queues
    // flushed for at most kShutdownGraceMs, then every socket is closed.
    void request_shutdown();

    const NetStats& stats() const { return stats_; }
    // The event loop, for services that run beside the Server on it (the systemd
    // notifier's watchdog timer); valid for the Server's lifetime.
    uv_loop_t* loop() { return &loop_; }
    const std::vector<std::unique_ptr<Listener>>& listeners() const { return listeners_; }
    // For the HTTP endpoint's /metrics and /healthz (broker/src/http).
    const Engine& engine() const { return *engine_; }
    // The bridges (broker/src/bridge), for $SYS and /metrics.
    const std::vector<std::unique_ptr<bridge::Bridge>>& bridges() const { return bridges_; }
    bool shutting_down() const { return shutting_down_; }

    // Io
    SendResult send(ConnectionId id, mqtt::Bytes bytes) override;
    SendResult send_publish(ConnectionId id, mqtt::Bytes header, const MessagePtr& msg) override;
    void close(ConnectionId id) override;
    // server_auth.cpp: password checks on the thread pool, and the security snapshot
    // (password file, ACL) handed to the engine at start-up and on SIGHUP.
    bool check_credentials(CredentialCheck&& check) override;
    void set_security(std::shared_ptr<const auth::Security> security);

    // Limits, public for the logs and the docs.
    static constexpr std::size_t kReadBufferSize = 64 * 1024;
    // A client that has not sent its CONNECT yet may announce at most this much
    // (HOSTILE row 3/5): a sane CONNECT is far smaller, and the partial buffer never
    // grows past the bytes that actually arrived anyway.
    static constexpr std::uint32_t kMaxConnectPacket = 256 * 1024;
    static constexpr std::size_t kMinSoftCap = 1024 * 1024;
    static constexpr Millis kLingerMs = 2000;
    static constexpr Millis kShutdownGraceMs = 1500;  // so SIGTERM exits within 2 s

    // libuv trampolines (public so the C callbacks in server.cpp can reach them).
    void on_accept(Listener& l, int status);
    void on_read(Connection& c, ssize_t nread, const uv_buf_t* buf);
    void on_write_done(WriteReq* w, int status);
    void on_shutdown_done(Connection& c);
    void on_conn_closed(Connection& c);
    void on_check();
    void on_tick();
    void on_linger_sweep();
    void on_shutdown_timeout();
    void on_signal(int signum);
    uv_buf_t read_buffer();
    void on_handshake_sweep();
    // persist.cpp: the durable store's commits (strict: once per loop turn before
    // the output of that turn is flushed; relaxed: on commit_timer_).
    void commit_store(bool force);

private:
    Millis now();
    Connection* find(ConnectionId id);
    std::uint32_t packet_limit(const Connection& c) const;
    // Reading.
    void start_reading(Connection& c);
    std::size_t feed_partial(Connection& c, mqtt::Bytes in, Millis now);
    void feed_in_place(Connection& c, mqtt::Bytes in, Millis now);
    void stash(Connection& c, mqtt::Bytes rest, std::size_t total);
    void grow_partial(Connection& c, std::size_t needed, std::size_t total);
    void deliver(Connection& c, std::uint8_t first_byte, mqtt::Bytes body, std::size_t wire_size,
                 Millis now);
    void frame_error(Connection& c, mqtt::Error err, Millis now);
    // Writing.
    SendResult enqueue(Connection& c, mqtt::Bytes bytes, const MessagePtr* msg);
    void mark_dirty(Connection& c);
    void flush_all();
    void flush(Connection& c);
    bool submit(Connection& c);
    std::size_t build_iov(const OutQueue& q, std::size_t skip);
    void after_drain(Connection& c);
    void begin_shutdown(Connection& c);
    void close_now(Connection& c);
    void slow_disconnect(Connection& c);
    // Time and lifecycle.
    void rearm_timer();
    void maybe_finish();
    void close_server_handles();
    void reload();
    void reload_security(const BrokerConfig& fresh);  // server_auth.cpp
    bool bind_listener(Listener& l, std::string& error);
    void refuse(Listener& l);
    // TLS (net/tls_io.cpp).
    void feed(Connection& c, mqtt::Bytes in, Millis now);
    void open_engine(Connection& c, const PeerInfo& peer);
    bool start_tls(Connection& c, PeerInfo peer);
    void tls_read(Connection& c, mqtt::Bytes in, Millis now);
    bool tls_handshake(Connection& c);
    void tls_handshake_over(Connection& c);
    void tls_close_notify(Connection& c);
    void refuse_tls(Listener& l);
    static bool has_output(const Connection& c) {
        return !c.out.empty() || (c.tls != nullptr && !c.tls->cipher.empty()) ||
               (c.ws != nullptr && !c.ws->wire.empty());
    }
    // WebSockets (net/ws_io.cpp).
    void start_ws(Connection& c, const PeerInfo& peer);
    void plain_in(Connection& c, mqtt::Bytes in, Millis now);
    void ws_read(Connection& c, mqtt::Bytes in, Millis now);
    void ws_frame(Connection& c);
    void ws_close(Connection& c);
    void ws_closing_read(Connection& c, ssize_t nread, const uv_buf_t* buf);
    bool tls_encrypt_from(Connection& c, OutQueue& in);
    bool transform_output(Connection& c);
    static void ws_sink(void* conn, mqtt::Bytes bytes);
    static void ws_deliver(void* conn, mqtt::Bytes message);
    void add_handshake_deadline(Connection& c);

    uv_loop_t loop_{};
    const BrokerConfig cfg_;  // the Engine keeps a reference to it
    Logger& log_;
    // Declared before engine_: the Engine keeps its state in it.
    std::unique_ptr<store::SqliteStore> store_;
    std::unique_ptr<Engine> engine_;
    std::vector<std::unique_ptr<Listener>> listeners_;
    std::unordered_map<ConnectionId, std::unique_ptr<Connection>> conns_;
    ConnectionId next_id_ = 1;
    std::unique_ptr<std::uint8_t[]> read_buf_;
    std::vector<ConnectionId> dirty_;    // connections with output to flush
    // Connections closing, with the time to force the close if they do not drain.
    std::vector<std::pair<ConnectionId, Millis>> lingering_;
    std::vector<uv_buf_t> iov_;          // scratch for flush()
    std::size_t soft_cap_ = kMinSoftCap;
    std::size_t hard_cap_ = 4 * kMinSoftCap;
    Millis armed_deadline_ = 0;
    Millis next_accept_warning_ = 0;  // rate limit for accept errors (EMFILE)
    bool shutting_down_ = false;
    bool handles_closed_ = false;
    Loader loader_;
    NetStats stats_;
    std::unique_ptr<http::HttpServer> http_;  // http_listener; null when not configured
    // TLS handshakes in progress, with their deadlines (tls_handshake_timeout).
    std::uint32_t handshakes_ = 0;
    std::vector<std::pair<ConnectionId, Millis>> handshake_deadlines_;
    std::unique_ptr<std::uint8_t[]> tls_plain_;  // decrypted records, one at a time
    std::unique_ptr<std::uint8_t[]> tls_stage_;  // plaintext gathered into records
    Millis next_tls_refusal_log_ = 0;
    std::uint64_t tls_refused_unlogged_ = 0;

    uv_timer_t tick_timer_{};      // engine deadlines
    uv_timer_t linger_timer_{};    // closing connections that do not drain
    uv_timer_t shutdown_timer_{};  // bounds the graceful shutdown
    uv_timer_t handshake_timer_{}; // TLS handshakes that do not finish
    uv_check_t check_{};           // flush once per loop turn, after the I/O batch
    uv_idle_t idle_{};             // keeps poll from blocking while output is queued
    uv_signal_t sigint_{};
    uv_signal_t sigterm_{};
    uv_signal_t sighup_{};
    std::unique_ptr<AuthWorker> auth_;  // created by the first password check
    uv_timer_t commit_timer_{};    // relaxed durability: the commit interval
    Millis store_error_logged_ = 0;  // rate limit for commit failure lines
    std::uint64_t store_failures_ = 0;
    // persist.cpp
    void open_store();
    void close_store();
    // bridge_io.cpp: each bridge is a local client of the engine on its own
    // ConnectionId; Io calls for that id go to the bridge, and the bridges are
    // serviced once per loop turn, before the commit.
    std::vector<std::unique_ptr<tls::TlsContext>> bridge_tls_;  // per bridge; null without TLS
    std::vector<std::unique_ptr<bridge::Bridge>> bridges_;  // after engine_ and bridge_tls_: destroyed first
    bool check_bridges(std::string& error);
    void start_bridges();
    void service_bridges();
    void stop_bridges();
    void close_bridges();
    SendResult to_bridge(ConnectionId id, mqtt::Bytes bytes, const MessagePtr* msg);
    bool close_bridge(ConnectionId id);
};

}  // namespace mote::broker::net
