// Moving bytes for the Server: framing reads into whole packets for the engine, and
// the output queue (Io::send / send_publish), flushed once per loop turn with
// writev. See server.hpp for who owns which buffer.
#include <algorithm>
#include <cstring>

#include "net/server.hpp"

namespace mote::broker::net {

namespace {

// OutQueue: the byte buffer's first size. reset() frees buffers this small when
// the connection sent nothing in the previous kBusyMs (a CONNACK, a PINGRESP: an
// idle connection keeps no output memory) and buffers above the upper limits,
// which were grown by a burst.
constexpr std::size_t kMinBytes = 128;
constexpr std::uint32_t kBusyMs = 1000;
constexpr std::size_t kKeepBytes = 64 * 1024;
constexpr std::size_t kKeepPieces = 4096;

bool is_connect(std::uint8_t first_byte) {
    return (first_byte >> 4) == static_cast<std::uint8_t>(mqtt::PacketType::Connect);
}

}  // namespace

// ---------------------------------------------------------------- reading

// Reads `c` into the per-loop buffer (on_read); a connection libuv refuses to read
// is closed at once.
void Server::start_reading(Connection& c) {
    const int r = uv_read_start(
        reinterpret_cast<uv_stream_t*>(&c.tcp),
        [](uv_handle_t* h, std::size_t /*suggested*/, uv_buf_t* buf) {
            *buf = static_cast<Connection*>(h->data)->server().read_buffer();
        },
        [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
            auto* conn = static_cast<Connection*>(s->data);
            conn->server().on_read(*conn, nread, buf);
        });
    if (r != 0) {
        close_now(c);
    }
}

std::uint32_t Server::packet_limit(const Connection& c) const {
    const std::uint32_t max = engine_->max_incoming_packet_size();
    return c.got_first_packet ? max : std::min(max, kMaxConnectPacket);
}

void Server::on_read(Connection& c, ssize_t nread, const uv_buf_t* buf) {
    if (nread == 0) {
        return;  // EAGAIN: nothing read
    }
    if (c.ws != nullptr && c.ws->await_close) {
        ws_closing_read(c, nread, buf);  // only the peer's close frame matters now
        return;
    }
    if (c.state == ConnState::Draining) {
        // Lingering close: input is discarded; EOF (or an error) means the peer
        // has read what we sent and closed its side.
        if (nread < 0) close_now(c);
        return;
    }
    if (nread == UV_EOF) {
        // The peer finished sending; it may still read. What it was sent in this
        // batch (a CONNACK to "printf CONNECT | nc") goes out before the close.
        close(c.id);
        return;
    }
    if (nread < 0) {
        if (log_.enabled(LogLevel::Debug)) {
            log_.log(LogLevel::Debug, "read error id=%llu: %s", static_cast<unsigned long long>(c.id),
                     uv_strerror(static_cast<int>(nread)));
        }
        close_now(c);
        return;
    }
    if (c.state != ConnState::Open) {
        // After a close (e.g. a rejected CONNECT) nothing more is processed
        // [MQTT-3.1.4-6]; reading is stopped, this is only a batch already read.
        return;
    }
    const Millis t = now();
    mqtt::Bytes in{reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(nread)};
    if (c.tls != nullptr) {
        tls_read(c, in, t);  // decrypts, then plain_in()
        return;
    }
    if (c.ws != nullptr) {
        ws_read(c, in, t);  // unframes, then feed()
        return;
    }
    feed(c, in, t);
}

// Plaintext MQTT bytes in: frames them into packets for the engine.
void Server::feed(Connection& c, mqtt::Bytes in, Millis t) {
    if (c.partial_len > 0) {
        const std::size_t used = feed_partial(c, in, t);
        in = in.from(used);
    }
    if (!in.empty() && c.state == ConnState::Open) {
        feed_in_place(c, in, t);
    }
}

// Completes the packet started in `partial` from `in`; returns the bytes used.
std::size_t Server::feed_partial(Connection& c, mqtt::Bytes in, Millis t) {
    std::size_t used = 0;
    mqtt::FixedHeader fh;
    // The header is at most 5 bytes: add one byte at a time until it parses, so no
    // byte of the next packet is taken by mistake.
    for (;;) {
        fh = mqtt::parse_fixed_header(mqtt::Bytes{c.partial.get(), c.partial_len}, packet_limit(c));
        if (fh.status == mqtt::FrameStatus::Invalid) {
            frame_error(c, fh.error, t);
            return in.size;
        }
        if (fh.status == mqtt::FrameStatus::Complete) {
            break;
        }
        if (used == in.size) {
            return used;
        }
        grow_partial(c, c.partial_len + 1u, 5u);  // a fixed header is at most 5 bytes
        c.partial[c.partial_len++] = in[used++];
    }
    const std::size_t total = fh.total_size();
    const std::size_t take = std::min(total - c.partial_len, in.size - used);
    grow_partial(c, c.partial_len + take, total);
    std::memcpy(c.partial.get() + c.partial_len, in.data + used, take);
    c.partial_len += static_cast<std::uint32_t>(take);
    used += take;
    if (c.partial_len < total) {
        return used;
    }
    // Move the buffer out first: the engine may close this connection, and the
    // connection must not keep a finished packet.
    std::unique_ptr<std::uint8_t[]> packet = std::move(c.partial);
    c.partial_len = 0;
    c.partial_cap = 0;
    deliver(c, fh.first_byte, mqtt::Bytes{packet.get() + fh.header_size, fh.remaining_length}, total, t);
    return used;
}

// Hands every whole packet in `in` to the engine without copying; copies a trailing
// partial packet.
void Server::feed_in_place(Connection& c, mqtt::Bytes in, Millis t) {
    std::size_t off = 0;
    while (off < in.size && c.state == ConnState::Open) {
        const mqtt::Bytes rest = in.from(off);
        if (!c.got_first_packet && !is_connect(rest[0])) {
            // Checked on the first byte, before any length is trusted (HOSTILE row
            // 3/4): nothing of the body is buffered.
            frame_error(c, mqtt::Error{mqtt::Reason::ProtocolError, "first packet is not CONNECT [MQTT-3.1.0-1]"},
                        t);
            return;
        }
        const mqtt::FixedHeader fh = mqtt::parse_fixed_header(rest, packet_limit(c));
        if (fh.status == mqtt::FrameStatus::Invalid) {
            frame_error(c, fh.error, t);
            return;
        }
        if (fh.status == mqtt::FrameStatus::NeedMore || rest.size < fh.total_size()) {
            stash(c, rest, fh.status == mqtt::FrameStatus::Complete ? fh.total_size() : std::max<std::size_t>(rest.size, 5u));
            return;
        }
        deliver(c, fh.first_byte, rest.sub(fh.header_size, fh.remaining_length), fh.total_size(), t);
        off += fh.total_size();
    }
}

void Server::stash(Connection& c, mqtt::Bytes rest, std::size_t total) {
    grow_partial(c, rest.size, total);
    std::memcpy(c.partial.get(), rest.data, rest.size);
    c.partial_len = static_cast<std::uint32_t>(rest.size);
}

// Makes room for `needed` bytes, growing geometrically but never past `total` (the
// announced packet size): memory follows the bytes that arrived, not the length
// field.
void Server::grow_partial(Connection& c, std::size_t needed, std::size_t total) {
    if (needed <= c.partial_cap) {
        return;
    }
    std::size_t cap = std::max<std::size_t>({needed, 2u * c.partial_cap, 64u});
    cap = std::min(cap, std::max(total, needed));
    std::unique_ptr<std::uint8_t[]> bigger(new std::uint8_t[cap]);
    if (c.partial_len > 0) {
        std::memcpy(bigger.get(), c.partial.get(), c.partial_len);
    }
    c.partial = std::move(bigger);
    c.partial_cap = static_cast<std::uint32_t>(cap);
}

void Server::deliver(Connection& c, std::uint8_t first_byte, mqtt::Bytes body, std::size_t wire_size, Millis t) {
    c.got_first_packet = true;
    engine_->on_packet(c.id, first_byte, body, wire_size, t);
}

void Server::frame_error(Connection& c, mqtt::Error err, Millis t) {
    if (log_.enabled(LogLevel::Debug)) {
        log_.log(LogLevel::Debug, "frame error id=%llu: %s", static_cast<unsigned long long>(c.id), err.cause);
    }
    c.partial.reset();
    c.partial_len = 0;
    c.partial_cap = 0;
    engine_->on_frame_error(c.id, err, t);
    // The engine replies and closes; if it did not, the stream is still unusable.
    close(c.id);
}

// ---------------------------------------------------------------- writing

SendResult Server::send(ConnectionId id, mqtt::Bytes bytes) {
    Connection* c = find(id);
    if (c == nullptr || c->state != ConnState::Open) {
        return c == nullptr ? to_bridge(id, bytes, nullptr) : SendResult::Dropped;
    }
    return enqueue(*c, bytes, nullptr);
}

SendResult Server::send_publish(ConnectionId id, mqtt::Bytes header, const MessagePtr& msg) {
    Connection* c = find(id);
    if (c == nullptr || c->state != ConnState::Open) {
        return c == nullptr ? to_bridge(id, header, &msg) : SendResult::Dropped;
    }
    return enqueue(*c, header, &msg);
}

SendResult Server::enqueue(Connection& c, mqtt::Bytes bytes, const MessagePtr* msg) {
    const std::size_t payload = msg != nullptr && *msg ? (*msg)->payload.size() : 0;
    // The hard cap only catches a sender that ignored Backpressure: below the soft
    // cap any one packet is taken, however large (max_packet_size bounds it).
    if (c.queued() >= soft_cap_ && c.queued() + bytes.size + payload > hard_cap_) {
        slow_disconnect(c);
        return SendResult::Dropped;
    }
    c.out.append(bytes);
    if (payload > 0) c.out.append_payload(*msg);
    mark_dirty(c);
    if (c.queued() >= soft_cap_) {
        c.backpressured = true;
        return SendResult::Backpressure;
    }
    return SendResult::Ok;
}

void OutQueue::append(mqtt::Bytes b) {
    if (b.empty()) {
        return;
    }
    if (cap - used < b.size) {
        const std::size_t bigger = std::max({2 * cap, used + b.size, kMinBytes});
        std::unique_ptr<std::uint8_t[]> grown(new std::uint8_t[bigger]);
        if (used != 0) {
            std::memcpy(grown.get(), bytes.get(), used);
        }
        bytes = std::move(grown);
        cap = bigger;
    }
    std::memcpy(bytes.get() + used, b.data, b.size);
    used += b.size;
    size += b.size;
    if (pieces.empty() || pieces.back().msg) {
        pieces.emplace_back();
    }
    pieces.back().own += static_cast<std::uint32_t>(b.size);
}

void OutQueue::append_payload(const MessagePtr& msg) {
    const std::size_t n = msg->payload.size();
    size += n;
    if (pieces.empty() || pieces.back().msg) {
        pieces.emplace_back();
    }
    pieces.back().msg = msg;
    pieces.back().len = static_cast<std::uint32_t>(n);
}

void OutQueue::reset(bool busy) {
    const bool tiny = cap <= kMinBytes && pieces.capacity() <= 1;
    if ((tiny && !busy) || cap > kKeepBytes || pieces.capacity() > kKeepPieces) {
        bytes.reset();
        cap = 0;
        std::vector<Piece>().swap(pieces);
    } else {
        pieces.clear();  // drops the MessagePtr references
    }
    used = 0;
    size = 0;
}

void Server::slow_disconnect(Connection& c) {
    ++stats_.slow_disconnects;
    log_.log(LogLevel::Notice, "disconnecting id=%llu: %zu bytes of output queued, above the %zu byte cap "
             "(client does not read)", static_cast<unsigned long long>(c.id), c.queued(), hard_cap_);
    close_now(c);
}

void Server::mark_dirty(Connection& c) {
    if (c.dirty) {
        return;
    }
    c.dirty = true;
    dirty_.push_back(c.id);
    // Output queued outside the I/O phase (timers, close callbacks) must not wait
    // for the next I/O event: an active idle handle makes the next poll not block.
    if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&idle_)) && !handles_closed_) {
        uv_idle_start(&idle_, [](uv_idle_t* h) { static_cast<Server*>(h->data)->on_check(); });
    }
}

void Server::flush_all() {
    // flush() can mark other connections dirty (engine callbacks): loop until empty.
    while (!dirty_.empty()) {
        // Strict durability: what on_writable() produced in the previous batch
        // (PUBLISHes from a queue, their in-flight state) is committed before it
        // goes out; a no-op otherwise.
        commit_store(false);
        std::vector<ConnectionId> batch;
        batch.swap(dirty_);
        for (ConnectionId id : batch) {
            Connection* c = find(id);
            if (c != nullptr) {
                c->dirty = false;
                flush(*c);
            }
        }
    }
    if (!handles_closed_) {
        uv_idle_stop(&idle_);
    }
}

// Builds iov_ over `q` from byte `skip` on; returns the byte count.
std::size_t Server::build_iov(const OutQueue& q, std::size_t skip) {
    iov_.clear();
    const std::size_t bytes = q.size - std::min(q.size, skip);
    const std::uint8_t* own = q.bytes.get();
    auto add = [this, &skip](const std::uint8_t* data, std::size_t len) {
        if (skip >= len) {
            skip -= len;
            return;
        }
        iov_.push_back(uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(data + skip)),
                                   static_cast<unsigned>(len - skip)));
        skip = 0;
    };
    for (const Piece& p : q.pieces) {
        if (p.own != 0) {
            add(own, p.own);
            own += p.own;
        }
        if (p.msg) {
            add(p.msg->payload.data(), p.len);
        }
    }
    return bytes;
}

// One writev now (uv_try_write, usually everything), then one uv_write for the
// rest, which owns the queue until write_cb. Returns false if the socket failed
// (the connection is then closed).
bool Server::submit(Connection& c) {
    if (c.tls != nullptr || c.ws != nullptr) {
        if (!transform_output(c)) {
            return false;  // closed
        }
        if (c.out.empty()) {
            return true;  // c.out now holds the transformed bytes: none this time
        }
    }
    auto* stream = reinterpret_cast<uv_stream_t*>(&c.tcp);
    const std::size_t total = build_iov(c.out, 0);
    const int r = uv_try_write(stream, iov_.data(), static_cast<unsigned>(iov_.size()));
    if (r < 0 && r != UV_EAGAIN) {
        close_now(c);
        return false;
    }
    const std::size_t written = r > 0 ? static_cast<std::size_t>(r) : 0;
    if (written == total) {
        // Truncated to 32 bits: only differences under kBusyMs matter.
        const auto t = static_cast<std::uint32_t>(uv_now(&loop_));
        c.out.reset(c.flushed_ms != 0 && t - c.flushed_ms < kBusyMs);
        c.flushed_ms = t == 0 ? 1 : t;
        return true;
    }
    auto* w = new WriteReq;
    w->conn = &c;
    w->out = std::move(c.out);
    c.out = OutQueue{};
    w->skip = written;
    w->bytes = build_iov(w->out, written);
    w->req.data = w;
    // libuv copies the iovec array; the bytes stay alive in w->out.
    const int wr = uv_write(&w->req, stream, iov_.data(), static_cast<unsigned>(iov_.size()),
                            [](uv_write_t* req, int status) {
                                auto* wreq = static_cast<WriteReq*>(req->data);
                                wreq->conn->server().on_write_done(wreq, status);
                            });
    if (wr != 0) {
        delete w;
        close_now(c);
        return false;
    }
    c.write = w;
    return true;
}

void Server::flush(Connection& c) {
    if (c.state == ConnState::Closed) {
        return;
    }
    // One write in flight at a time: what is queued meanwhile goes out from write_cb.
    if (c.write == nullptr && has_output(c) && !submit(c)) {
        return;
    }
    after_drain(c);
}

void Server::on_write_done(WriteReq* w, int status) {
    Connection& c = *w->conn;
    c.write = nullptr;
    if (c.out.empty() && c.out.cap == 0 && status >= 0) {
        // Nothing was queued meanwhile: reuse the written queue's buffers.
        w->out.reset(true);
        c.out = std::move(w->out);
    }
    delete w;  // releases the MessagePtr references it still holds
    if (status < 0) {
        close_now(c);  // no-op when the handle is already closing (UV_ECANCELED)
        return;
    }
    if (has_output(c)) {
        mark_dirty(c);
        return;
    }
    after_drain(c);
}

// Called whenever the queue may have shrunk: owes on_writable() after
// Backpressure, and moves a closing connection on once everything is submitted.
void Server::after_drain(Connection& c) {
    if (c.state == ConnState::Open && c.backpressured && c.queued() < soft_cap_ / 2) {
        c.backpressured = false;
        engine_->on_writable(c.id, now());
        return;
    }
    if (c.state == ConnState::Closing && !has_output(c) && (c.ws == nullptr || !c.ws->await_close)) {
        begin_shutdown(c);
    }
}

// ---------------------------------------------------------------- closing

void Server::close(ConnectionId id) {
    Connection* c = find(id);
    if (c == nullptr || c->state != ConnState::Open) {
        if (c == nullptr) close_bridge(id);
        return;
    }
    c->state = ConnState::Closing;
    if (c->ws != nullptr) {
        ws_close(*c);  // a close frame after the output already queued
    }
    if (c->ws == nullptr || !c->ws->await_close) {
        uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->tcp));
    }
    if (c->tls != nullptr) {
        tls_close_notify(*c);  // after the output already queued
    }
    c->partial.reset();
    c->partial_len = 0;
    c->partial_cap = 0;
    lingering_.emplace_back(id, now() + kLingerMs);
    if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&linger_timer_)) && !handles_closed_) {
        uv_timer_start(&linger_timer_, [](uv_timer_t* h) { static_cast<Server*>(h->data)->on_linger_sweep(); },
                       250, 250);
    }
    // Flush in this loop turn's check phase, then shut down (after_drain).
    mark_dirty(*c);
}

void Server::begin_shutdown(Connection& c) {
    c.state = ConnState::ShuttingDown;
    auto* req = new uv_shutdown_t;
    req->data = &c;
    // uv_shutdown waits for the write in flight, then half-closes our side.
    const int r = uv_shutdown(req, reinterpret_cast<uv_stream_t*>(&c.tcp), [](uv_shutdown_t* sreq, int) {
        auto* conn = static_cast<Connection*>(sreq->data);
        delete sreq;
        conn->server().on_shutdown_done(*conn);
    });
    if (r != 0) {
        delete req;
        close_now(c);
    }
}

void Server::on_shutdown_done(Connection& c) {
    if (c.state != ConnState::ShuttingDown) {
        close_now(c);  // no-op once closed
        return;
    }
    // Lingering close (issue 9 item 10): closing now, with the peer's unread input
    // still in our receive buffer, makes the kernel send RST, which can destroy our
    // last reply (an error CONNACK or DISCONNECT) in the peer's receive buffer
    // before the peer reads it. Our side is half-closed: discard input until the
    // peer's EOF, or until the linger deadline (on_linger_sweep).
    c.state = ConnState::Draining;
    start_reading(c);
}

void Server::close_now(Connection& c) {
    if (c.state == ConnState::Closed) {
        return;
    }
    c.state = ConnState::Closed;
    // Pending (unsubmitted) output is dropped now; a write in flight is cancelled by
    // uv_close and released in its write_cb, which libuv runs before close_cb.
    c.out = OutQueue{};
    c.partial.reset();
    c.partial_len = 0;
    c.partial_cap = 0;
    uv_close(reinterpret_cast<uv_handle_t*>(&c.tcp), [](uv_handle_t* h) {
        auto* conn = static_cast<Connection*>(h->data);
        conn->server().on_conn_closed(*conn);
    });
}

void Server::on_conn_closed(Connection& c) {
    const ConnectionId id = c.id;
    const bool opened = c.opened;
    --c.listener->connections;
    if (c.tls != nullptr && c.tls->handshaking) {
        --handshakes_;
    }
    std::unique_ptr<Connection> owned = std::move(conns_[id]);
    conns_.erase(id);
    // Exactly once per connection: this is the only place, and the handle closes once.
    if (opened) {
        engine_->on_closed(id, now());
    }
    owned.reset();
    rearm_timer();
    maybe_finish();
}

}  // namespace mote::broker::net
