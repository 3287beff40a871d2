// MQTT over WebSockets (RFC 6455, MQTT 5.0 §6 / 3.1.1 §6), server side, without
// I/O: the HTTP/1.1 upgrade request is parsed with libhttp-parser, frames are
// parsed with libwslay (masking, fragmentation, ping/pong, close handshake, size
// limits), and Sec-WebSocket-Accept is computed with mbedTLS's SHA-1 and base64.
// The net layer (net/ws_io.cpp) hands it the bytes it read and writes out the
// bytes it produces.
//
// Ownership and lifetime:
// - feed()'s input view is only read during the call; bytes of an incomplete
//   upgrade request are copied (at most kMaxRequest), frame bytes are kept by
//   wslay until its frame is complete.
// - Output (the 101 response, error responses, control frames and data frames) goes
//   synchronously to the Sink given at construction.
// - Complete binary messages go to the Deliver callback, as views valid during the
//   call only.
#pragma once

#include <wslay/wslay.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "mote/common/bytes.hpp"

namespace mote::broker::ws {

class WsSession {
public:
    using Sink = void (*)(void* user, mqtt::Bytes bytes);
    using Deliver = void (*)(void* user, mqtt::Bytes message);

    // The largest upgrade request accepted (request line and headers).
    static constexpr std::size_t kMaxRequest = 8192;

    enum class State : std::uint8_t {
        Upgrading,  // waiting for the complete HTTP request
        Open,       // 101 sent: frames flow
        Closing,    // a close frame was sent or received, or the request was refused
        Failed,     // the session cannot go on (see failure())
    };

    // `max_message` bounds one WebSocket message (larger ones: close 1009).
    WsSession(Sink sink, Deliver deliver, void* user, std::size_t max_message);
    ~WsSession();
    WsSession(const WsSession&) = delete;
    WsSession& operator=(const WsSession&) = delete;

    // Bytes from the peer. Returns the state afterwards; on Closing/Failed the
    // connection should be closed once the output has been flushed.
    State feed(mqtt::Bytes in);
    State state() const { return state_; }
    // Why the request was refused or the session failed, for the log.
    const std::string& failure() const { return failure_; }
    // The subprotocol agreed ("mqtt" or "mqttv3.1") after the upgrade.
    const std::string& subprotocol() const { return subprotocol_; }

    // Writes `bytes` as one binary frame header; the caller writes the payload
    // (server frames are not masked, so the payload goes out unchanged).
    void write_binary_header(std::size_t payload_size);
    // Queues a close frame (1000, or `code`) unless one was sent already; true if it
    // did and the peer's close frame is still to come (RFC 6455 §7.1.1: wait for it).
    bool close(std::uint16_t code = 1000);
    // After close(): reads frames only to find the peer's close frame; true once it
    // came, or the stream is broken (stop waiting).
    bool drain(mqtt::Bytes in);

private:
    static ssize_t on_recv(wslay_event_context_ptr, uint8_t* buf, size_t len, int flags, void* self);
    static ssize_t on_send(wslay_event_context_ptr, const uint8_t* data, size_t len, int flags, void* self);
    static void on_message(wslay_event_context_ptr, const wslay_event_on_msg_recv_arg* arg, void* self);
    bool upgrade(mqtt::Bytes& in);
    void refuse(const char* status, const std::string& why, const char* extra_headers = "");
    void pump_frames();

    Sink sink_;
    Deliver deliver_;
    void* user_;
    std::size_t max_message_;
    State state_ = State::Upgrading;
    wslay_event_context_ptr ctx_ = nullptr;
    std::string request_;  // the upgrade request so far
    mqtt::Bytes view_{};
    std::size_t view_used_ = 0;
    std::string failure_;
    std::string subprotocol_;
};

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2).
std::string accept_key(const std::string& key);

}  // namespace mote::broker::ws
