// The HTTP endpoint's libuv side: one TCP listener (`http_listener`), separate
// from the MQTT listeners, served from the broker's own loop. Requests are read
// by RequestReader and answered by route(); this file only moves bytes and
// enforces the connection-level limits:
// - at most kMaxConnections open connections (more get 503 and are closed);
// - a request must be complete kRequestTimeoutMs after its first byte (or after
//   the accept), else 408 and close; an idle keep-alive connection is closed
//   after kIdleTimeoutMs;
// - pipelined requests are answered in order, one at a time: while more than
//   kMaxPendingOutput bytes of answers are unwritten, reading stops and the
//   unread rest of the last read (at most one read buffer) waits in `stash`.
//
// Ownership (STYLE #11): every uv handle lives in an object owned by HttpServer
// and is freed in its close_cb; a response's bytes live in its WriteReq until
// write_cb. The Server (net/server.cpp) owns the HttpServer and calls close()
// when it shuts down; the loop then runs until the close callbacks are done.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "http/metrics.hpp"
#include "http/request.hpp"
#include "http/routes.hpp"
#include "mote/broker/config.hpp"
#include "mote/broker/log.hpp"

namespace mote::broker::http {

class HttpServer;

struct HttpConn {
    uv_tcp_t tcp{};
    HttpServer* server = nullptr;
    std::uint64_t id = 0;
    RequestReader reader;
    std::string stash;            // unread input while output is over the cap
    std::size_t pending = 0;      // response bytes handed to uv_write, not yet done
    std::uint64_t deadline = 0;   // loop time: request or idle timeout
    bool reading = false;
    bool closing = false;         // no more input is read; close when output is done
    bool closed = false;          // uv_close called
};

class HttpServer {
public:
    static constexpr std::size_t kMaxConnections = 64;
    static constexpr std::uint64_t kRequestTimeoutMs = 10000;
    static constexpr std::uint64_t kIdleTimeoutMs = 30000;
    static constexpr std::size_t kMaxPendingOutput = 1024 * 1024;
    static constexpr std::size_t kReadBufferSize = 16 * 1024;

    // Fills the broker's part of a metrics snapshot (engine and MQTT listeners).
    using MetricsFiller = std::function<void(MetricsSnapshot&)>;

    // `loop`, `log` and `shutting_down` must outlive the HttpServer.
    HttpServer(uv_loop_t& loop, const BrokerConfig& cfg, Logger& log, MetricsFiller filler,
               std::function<bool()> shutting_down);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds cfg.http_bind_address:cfg.http_port. On failure returns false with
    // `error` naming the address, the configuration line and the cause.
    bool listen(std::string& error);
    // Stops accepting and closes every connection (answers in flight are dropped).
    void close();

    const HttpStats& stats() const { return stats_; }
    std::string metrics_text();

    // libuv trampolines.
    void on_accept(int status);
    void on_read(HttpConn& c, ssize_t nread, const uv_buf_t* buf);
    void on_write_done(HttpConn& c, std::size_t bytes, int status);
    void on_closed(HttpConn& c);
    void on_sweep();
    uv_buf_t read_buffer();

private:
    void refuse();
    void process(HttpConn& c, const char* data, std::size_t len);
    void answer(HttpConn& c, const Response& r, bool head, bool keep_alive);
    void send(HttpConn& c, std::string head, const unsigned char* body, std::size_t body_len,
              std::string owned_body);
    void fail(HttpConn& c, int status, const std::string& reason);
    void close_conn(HttpConn& c);
    void force_close(HttpConn& c);
    void resume(HttpConn& c);
    void pause(HttpConn& c);
    std::uint64_t now();

    uv_loop_t& loop_;
    const BrokerConfig& cfg_;
    Logger& log_;
    MetricsFiller filler_;
    Site site_;
    uv_tcp_t listener_{};
    uv_timer_t sweep_{};
    bool open_ = false;
    bool closed_ = false;
    std::string name_;
    std::unordered_map<std::uint64_t, std::unique_ptr<HttpConn>> conns_;
    std::uint64_t next_id_ = 1;
    std::uint64_t started_ms_ = 0;
    std::unique_ptr<char[]> read_buf_;
    HttpStats stats_;
};

}  // namespace mote::broker::http
