// TLS connections: the transform between the socket and the framer / output queue
// for connections accepted on a TLS listener (docs/tls.md).
//
// A plain TCP connection never enters this file: on_read() and submit() test
// `c.tls` (a pointer already in cache) and take their usual path, so the plain hot
// path has no virtual call and no extra copy. On a TLS connection:
// - Reading: the ciphertext in the per-loop read buffer is given to the session as
//   a view; records are decrypted one at a time into `tls_plain_` (one record, at
//   most 16 KiB) and fed to the same framer path as plain bytes. A partial record
//   left over is copied into the session (TlsSession::keep_rest).
// - Writing: the plaintext queued in Connection::out (headers, acks and shared
//   payloads, as on a plain connection) is gathered into full records (the per-loop
//   `tls_stage_`; not `tls_plain_`, which may hold the packet the engine is reading
//   when it closes another connection) and encrypted at flush time into
//   TlsLink::cipher, which then swaps places with `out` for the usual writev.
// - The engine learns about the connection only when the handshake is done
//   (open_engine), with the client certificate's identity in PeerInfo. Until then
//   the connection counts against max_tls_handshakes and is closed when
//   tls_handshake_timeout passes, so half-open handshakes cannot pile up.
#include <algorithm>
#include <cstring>
#include <utility>

#include "net/server.hpp"

namespace mote::broker::net {

namespace {

// mbedTLS's record size: the largest plaintext one record carries.
constexpr std::size_t kTlsPlainSize = MBEDTLS_SSL_IN_CONTENT_LEN;
constexpr Millis kHandshakeSweepMs = 250;

void to_cipher(void* user, mqtt::Bytes ciphertext) {
    static_cast<OutQueue*>(user)->append(ciphertext);
}

}  // namespace

void Server::open_engine(Connection& c, const PeerInfo& peer) {
    c.opened = true;
    engine_->on_open(c.id, peer, now());
}

// Sets up the session and the handshake deadline; false if the connection was
// closed (no memory for mbedTLS's record buffers).
bool Server::start_tls(Connection& c, PeerInfo peer) {
    auto link = std::make_unique<TlsLink>();
    link->session = std::make_unique<tls::TlsSession>(*c.listener->tls, &to_cipher, &link->cipher);
    link->peer = std::move(peer);
    link->peer.tls = true;
    link->peer.use_identity_as_username = c.listener->tls->use_identity_as_username();
    const bool ok = link->session->ok();
    if (!ok) {
        log_.log(LogLevel::Warning, "TLS session setup failed id=%llu peer=%s: %s",
                 static_cast<unsigned long long>(c.id), link->peer.address.c_str(),
                 link->session->failure().c_str());
    }
    c.tls = std::move(link);
    ++handshakes_;
    if (!ok) {
        close_now(c);
        return false;
    }
    if (!tls_plain_) {
        tls_plain_.reset(new std::uint8_t[kTlsPlainSize]);
        tls_stage_.reset(new std::uint8_t[kTlsPlainSize]);
    }
    add_handshake_deadline(c);
    return true;
}

void Server::refuse_tls(Listener& l) {
    auto* tcp = new uv_tcp_t;
    uv_tcp_init(&loop_, tcp);
    if (uv_accept(reinterpret_cast<uv_stream_t*>(&l.tcp), reinterpret_cast<uv_stream_t*>(tcp)) == 0) {
        ++stats_.tls_refused;
        ++tls_refused_unlogged_;
        // A flood refuses thousands a second: one line a second with the count.
        const Millis t = now();
        if (t >= next_tls_refusal_log_) {
            next_tls_refusal_log_ = t + 1000;
            log_.log(LogLevel::Warning,
                     "refused %llu connection(s) on %s: max_tls_handshakes %u handshakes in progress",
                     static_cast<unsigned long long>(tls_refused_unlogged_), l.name.c_str(),
                     cfg_.max_tls_handshakes);
            tls_refused_unlogged_ = 0;
        }
    }
    uv_close(reinterpret_cast<uv_handle_t*>(tcp), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
}

void Server::tls_read(Connection& c, mqtt::Bytes in, Millis t) {
    TlsLink& link = *c.tls;
    tls::TlsSession& s = *link.session;
    s.set_input(in);
    if (link.handshaking && !tls_handshake(c)) {
        return;  // closed, or waiting for more of the handshake
    }
    while (c.state == ConnState::Open) {
        tls::TlsSession::ReadEnd end = tls::TlsSession::ReadEnd::NeedMore;
        const std::size_t n = s.read(tls_plain_.get(), kTlsPlainSize, end);
        if (n > 0) {
            plain_in(c, mqtt::Bytes{tls_plain_.get(), n}, t);
            continue;
        }
        if (end == tls::TlsSession::ReadEnd::PeerClosed) {
            close(c.id);  // as EOF on a plain connection
            return;
        }
        if (end == tls::TlsSession::ReadEnd::Failed) {
            // A garbage or forged record: the stream cannot be trusted any more.
            log_.log(LogLevel::Notice, "TLS error id=%llu peer=%s: %s, closing",
                     static_cast<unsigned long long>(c.id), link.peer.address.c_str(), s.failure().c_str());
            close_now(c);
            return;
        }
        break;
    }
    if (c.state == ConnState::Open) {
        s.keep_rest();
    }
}

// Advances the handshake; true when it is done and application data may follow.
bool Server::tls_handshake(Connection& c) {
    TlsLink& link = *c.tls;
    tls::TlsSession& s = *link.session;
    const tls::TlsSession::Step step = s.handshake();
    if (!link.cipher.empty()) {
        mark_dirty(c);  // ServerHello..., or an alert
    }
    if (step == tls::TlsSession::Step::NeedMore) {
        s.keep_rest();
        return false;
    }
    tls_handshake_over(c);
    if (step == tls::TlsSession::Step::Failed) {
        ++stats_.tls_handshake_failures;
        log_.log(LogLevel::Notice, "TLS handshake failed id=%llu peer=%s listener=%s: %s",
                 static_cast<unsigned long long>(c.id), link.peer.address.c_str(), c.listener->name.c_str(),
                 s.failure().c_str());
        link.notify_sent = true;  // no close_notify after a failed handshake
        close(c.id);              // sends the alert mbedTLS queued, then closes
        return false;
    }
    ++stats_.tls_handshakes;
    link.peer.cert_identity = s.peer_common_name();
    if (log_.enabled(LogLevel::Info)) {
        log_.log(LogLevel::Info, "TLS handshake done id=%llu peer=%s %s %s identity='%s'",
                 static_cast<unsigned long long>(c.id), link.peer.address.c_str(), s.version(), s.cipher(),
                 link.peer.cert_identity.c_str());
    }
    if (c.ws != nullptr) {
        c.ws->peer = link.peer;  // wss: the engine sees it after the WebSocket upgrade
    } else {
        open_engine(c, link.peer);
    }
    return c.state == ConnState::Open;
}

void Server::tls_handshake_over(Connection& c) {
    c.tls->handshaking = false;
    --handshakes_;
}

void Server::add_handshake_deadline(Connection& c) {
    handshake_deadlines_.emplace_back(c.id, now() + Millis{cfg_.tls_handshake_timeout} * 1000);
    if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&handshake_timer_)) && !handles_closed_) {
        uv_timer_start(&handshake_timer_,
                       [](uv_timer_t* h) { static_cast<Server*>(h->data)->on_handshake_sweep(); },
                       kHandshakeSweepMs, kHandshakeSweepMs);
    }
}

// Encrypts `in` (plaintext, or WebSocket frames for wss) into the cipher queue and
// empties it. False if mbedTLS failed (the connection is then closed).
bool Server::tls_encrypt_from(Connection& c, OutQueue& in) {
    TlsLink& link = *c.tls;
    if (in.empty()) {
        return true;
    }
    // Small pieces (a PUBLISH header, its 64-byte payload, an ack) are gathered into
    // one plaintext buffer first, so that a loop turn's output becomes a few full
    // records instead of one record (and 29 bytes of overhead) per piece.
    std::uint8_t* stage = tls_stage_.get();
    std::size_t staged = 0;
    bool ok = true;
    auto put = [&](const std::uint8_t* data, std::size_t n) {
        while (ok && n > 0) {
            if (staged == 0 && n >= kTlsPlainSize) {
                ok = link.session->write(mqtt::Bytes{data, n});  // large: no staging copy
                return;
            }
            const std::size_t take = std::min(n, kTlsPlainSize - staged);
            std::memcpy(stage + staged, data, take);
            staged += take;
            data += take;
            n -= take;
            if (staged == kTlsPlainSize) {
                ok = link.session->write(mqtt::Bytes{stage, staged});
                staged = 0;
            }
        }
    };
    const std::uint8_t* own = in.bytes.get();
    for (const Piece& p : in.pieces) {
        put(own, p.own);
        own += p.own;
        if (p.msg) {
            put(p.msg->payload.data(), p.len);
        }
    }
    if (ok && staged > 0) {
        ok = link.session->write(mqtt::Bytes{stage, staged});
    }
    if (!ok) {
        log_.log(LogLevel::Warning, "TLS error id=%llu: %s", static_cast<unsigned long long>(c.id),
                 link.session->failure().c_str());
        close_now(c);
        return false;
    }
    in.reset(true);  // drops the MessagePtr references: the bytes are encrypted
    return true;
}

// The output transforms, in order: MQTT bytes -> WebSocket frames -> TLS records.
// Afterwards `out` holds the bytes for the socket. False if the connection closed.
bool Server::transform_output(Connection& c) {
    OutQueue* stage = &c.out;
    if (c.ws != nullptr) {
        ws_frame(c);
        stage = &c.ws->wire;
    }
    if (c.tls != nullptr) {
        if (!tls_encrypt_from(c, *stage)) {
            return false;
        }
        stage = &c.tls->cipher;
    }
    std::swap(c.out, *stage);
    return true;
}

// On close(): what is queued is encrypted first, then the close_notify alert, so
// the peer can tell a complete stream from a truncated one.
void Server::tls_close_notify(Connection& c) {
    TlsLink& link = *c.tls;
    if (link.handshaking || link.notify_sent) {
        return;
    }
    link.notify_sent = true;
    if (!tls_encrypt_from(c, c.ws != nullptr ? c.ws->wire : c.out)) {
        return;
    }
    link.session->close_notify();
}

void Server::on_handshake_sweep() {
    const Millis t = now();
    std::vector<std::pair<ConnectionId, Millis>> keep;
    for (const auto& [id, deadline] : handshake_deadlines_) {
        Connection* c = find(id);
        // Done once the engine has the connection (TLS and WebSocket handshakes over).
        if (c == nullptr || c->state == ConnState::Closed || c->opened) {
            continue;
        }
        if (t >= deadline) {
            ++stats_.tls_handshake_timeouts;
            const bool tls = c->tls != nullptr && c->tls->handshaking;
            log_.log(LogLevel::Notice, "%s handshake timeout id=%llu peer=%s: not finished in %u s, closing",
                     tls ? "TLS" : "WebSocket", static_cast<unsigned long long>(id),
                     (tls ? c->tls->peer : c->ws->peer).address.c_str(), cfg_.tls_handshake_timeout);
            close_now(*c);
            continue;
        }
        keep.emplace_back(id, deadline);
    }
    handshake_deadlines_.swap(keep);
    if (handshake_deadlines_.empty()) {
        uv_timer_stop(&handshake_timer_);
    }
}

}  // namespace mote::broker::net
