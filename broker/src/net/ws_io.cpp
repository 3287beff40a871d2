// WebSocket connections (`protocol websockets`, docs/websockets.md): the transform
// between the socket (or TLS, for wss) and the MQTT framer / output queue.
//
// - Reading: bytes go to the WsSession, which answers the HTTP upgrade and then
//   unframes binary messages; each message's bytes go to the same framer path as
//   plain TCP (feed()), so MQTT packets may be split across frames anywhere.
// - Writing: at flush time everything queued in Connection::out becomes one binary
//   frame: the session writes the frame header into WsLink::wire, then the queued
//   pieces follow unchanged (server frames are not masked), payloads still shared.
// - The engine learns about the connection after the upgrade (and, for wss, after
//   the TLS handshake), like any other connection: same limits, same timers.
#include <algorithm>

#include "net/server.hpp"

namespace mote::broker::net {

void Server::ws_sink(void* conn, mqtt::Bytes bytes) {
    static_cast<Connection*>(conn)->ws->wire.append(bytes);
}

void Server::ws_deliver(void* conn, mqtt::Bytes message) {
    auto& c = *static_cast<Connection*>(conn);
    Server& s = c.server();
    if (c.state != ConnState::Open) {
        return;  // nothing after a close is processed [MQTT-3.1.4-6]
    }
    if (!c.opened) {
        s.open_engine(c, c.ws->peer);  // frames right behind the upgrade request
        if (c.state != ConnState::Open) {
            return;
        }
    }
    s.feed(c, message, s.now());
}

void Server::start_ws(Connection& c, const PeerInfo& peer) {
    auto link = std::make_unique<WsLink>();
    // One message may carry several packets; a packet may span messages. The cap
    // bounds what wslay buffers for one message (larger: close 1009).
    const std::size_t max_message =
        std::min<std::size_t>(std::size_t{engine_->max_incoming_packet_size()} + 64 * 1024, 0x7fffffffU);
    link->session = std::make_unique<ws::WsSession>(&Server::ws_sink, &Server::ws_deliver, &c, max_message);
    link->peer = peer;
    c.ws = std::move(link);
}

void Server::plain_in(Connection& c, mqtt::Bytes in, Millis t) {
    if (c.ws != nullptr) {
        ws_read(c, in, t);
    } else {
        feed(c, in, t);
    }
}

void Server::ws_read(Connection& c, mqtt::Bytes in, Millis /*t*/) {
    WsLink& w = *c.ws;
    const ws::WsSession::State st = w.session->feed(in);
    if (c.state == ConnState::Closed) {
        return;
    }
    if (!w.wire.empty()) {
        mark_dirty(c);  // the 101 or error response, pongs, close frames
    }
    if (st == ws::WsSession::State::Open) {
        if (!c.opened && c.state == ConnState::Open) {
            if (log_.enabled(LogLevel::Debug)) {
                log_.log(LogLevel::Debug, "WebSocket upgrade id=%llu peer=%s subprotocol=%s",
                         static_cast<unsigned long long>(c.id), w.peer.address.c_str(),
                         w.session->subprotocol().c_str());
            }
            open_engine(c, w.peer);
        }
        return;
    }
    if (st == ws::WsSession::State::Upgrading) {
        return;
    }
    if (c.state == ConnState::Open) {
        log_.log(c.opened ? LogLevel::Info : LogLevel::Notice, "WebSocket %s id=%llu peer=%s: %s, closing",
                 c.opened ? "close" : "upgrade refused", static_cast<unsigned long long>(c.id),
                 w.peer.address.c_str(), w.session->failure().c_str());
        close(c.id);  // flushes the response or close frame first
    }
}

// MQTT bytes queued in `out` -> one binary frame in `wire`.
void Server::ws_frame(Connection& c) {
    WsLink& w = *c.ws;
    if (c.out.empty()) {
        return;
    }
    w.session->write_binary_header(c.out.size);
    const std::uint8_t* own = c.out.bytes.get();
    for (const Piece& p : c.out.pieces) {
        if (p.own != 0) {
            w.wire.append(mqtt::Bytes{own, p.own});
            own += p.own;
        }
        if (p.msg) {
            w.wire.append_payload(p.msg);
        }
    }
    c.out.reset(true);
}

// On close(): the queued output as a last frame, then a close frame (1000).
void Server::ws_close(Connection& c) {
    WsLink& w = *c.ws;
    if (w.session->state() != ws::WsSession::State::Open &&
        w.session->state() != ws::WsSession::State::Closing) {
        return;  // no upgrade: nothing framed to close
    }
    ws_frame(c);
    // Plain ws waits for the peer's close frame; wss closes after close_notify
    // (reading would need the TLS layer in the closing state too).
    w.await_close = w.session->close(1000) && c.tls == nullptr;
}

void Server::ws_closing_read(Connection& c, ssize_t nread, const uv_buf_t* buf) {
    WsLink& w = *c.ws;
    const bool done = nread < 0 || c.state != ConnState::Closing ||
                      w.session->drain(mqtt::Bytes{reinterpret_cast<const std::uint8_t*>(buf->base),
                                                   static_cast<std::size_t>(nread)});
    if (!done) {
        return;
    }
    w.await_close = false;
    if (c.state == ConnState::Closed) {
        return;
    }
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&c.tcp));
    if (c.state == ConnState::Closing) {
        after_drain(c);  // shuts down once the output is written
    }
}

}  // namespace mote::broker::net
