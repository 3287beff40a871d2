// A bridge's link to its upstream broker: the Transport port of Mote's own client
// (firmware-client/include/mote/client/client.hpp) over a libuv TCP connection.
// The client polls it: open() starts or continues a connection attempt to the
// configured addresses in turn (name resolution, TCP connect), send() queues bytes
// for uv_write and recv() takes what the read callback stored. Nothing is called
// back: the Server services every bridge once per loop turn, after the I/O
// callbacks of that turn, and the bridge then polls its client.
//
// Ownership (STYLE #11): each attempt is an Attempt object on the heap that owns
// its uv handles and requests; close() abandons it (owner cleared, handles closed)
// and it frees itself once the last callback (getaddrinfo, connect, writes, close)
// has run, so no callback ever reaches a freed Uplink.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "mote/broker/config.hpp"
#include "mote/broker/log.hpp"
#include "tls/tls_context.hpp"

namespace mote::broker::bridge {

class Uplink {
public:
    // `cfg`, `log` and `tls` (null: plain TCP) must outlive the Uplink. With TLS,
    // open() says 1 only once the handshake is done and the upstream's certificate
    // is verified (and its host name, unless bridge_insecure).
    Uplink(uv_loop_t* loop, const BridgeConfig& cfg, Logger& log, const tls::TlsContext* tls);
    ~Uplink();
    Uplink(const Uplink&) = delete;
    Uplink& operator=(const Uplink&) = delete;

    // Transport contract (client.hpp): 1 open, 0 in progress, < 0 failed.
    int open();
    // > 0 bytes taken, 0 try later (too much already queued), < 0 link broken.
    std::ptrdiff_t send(const std::uint8_t* data, std::size_t len);
    // > 0 bytes read, 0 nothing yet, < 0 the peer closed or the link broke.
    std::ptrdiff_t recv(std::uint8_t* data, std::size_t cap);
    void close();

    // "host:port" of the current or last attempt, for logs and $SYS.
    const std::string& peer() const { return peer_; }
    bool up() const;
    // The upstream accepted the MQTT connection: with round_robin false, the next
    // attempt (after this connection ends) starts over at the first address.
    void connected() {
        if (!cfg_.round_robin) next_address_ = 0;
    }
    // Bytes received but not yet taken by recv() (with TLS, at least 1 while the
    // session holds input).
    std::size_t buffered() const;

    // Output queued but not written beyond this makes send() say "try later".
    static constexpr std::size_t kMaxQueuedWrite = 1024 * 1024;
    // Input stored beyond this pauses reading until recv() takes it.
    static constexpr std::size_t kMaxBufferedRead = 512 * 1024;

    struct Attempt;  // uplink.cpp

private:
    void start_attempt();

    uv_loop_t* loop_;
    const BridgeConfig& cfg_;
    Logger& log_;
    const tls::TlsContext* tls_;
    std::string host_;  // of the current attempt, for the certificate check
    Attempt* a_ = nullptr;
    std::size_t next_address_ = 0;
    std::string peer_;
public:
    // For the libuv callbacks (uplink.cpp).
    void attempt_failed(const char* what, int status);
    void attempt_connected();

private:
    bool handshake();
    void fail_tls(const std::string& why);
};

}  // namespace mote::broker::bridge
