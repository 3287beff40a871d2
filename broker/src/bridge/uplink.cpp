#include "bridge/uplink.hpp"

#include <cstring>
#include <memory>
#include <vector>

namespace mote::broker::bridge {

enum class AttemptState : std::uint8_t { Resolving, Connecting, Handshaking, Open, Failed };

struct Uplink::Attempt {
    Uplink* owner = nullptr;  // null once abandoned: callbacks only clean up
    AttemptState state = AttemptState::Resolving;
    uv_getaddrinfo_t gai{};
    uv_tcp_t tcp{};
    uv_connect_t connect{};
    bool gai_pending = false;
    bool tcp_open = false;     // uv_tcp_init done, uv_close not yet called
    bool tcp_closing = false;  // uv_close called, close_cb pending
    std::uint32_t writes = 0;  // uv_write requests pending
    std::size_t write_bytes = 0;
    std::vector<std::uint8_t> rx;
    std::size_t rx_off = 0;
    bool reading = false;
    bool eof = false;
    std::unique_ptr<tls::TlsSession> tls;  // with bridge_cafile/bridge_capath

    void compact() {
        if (rx_off == 0) return;
        rx.erase(rx.begin(), rx.begin() + static_cast<std::ptrdiff_t>(rx_off));
        rx_off = 0;
    }
    bool done() const { return owner == nullptr && !gai_pending && !tcp_open && !tcp_closing && writes == 0; }
    void maybe_free() {
        if (done()) delete this;
    }
    void close_tcp() {
        if (!tcp_open) return;
        tcp_open = false;
        tcp_closing = true;
        uv_close(reinterpret_cast<uv_handle_t*>(&tcp), [](uv_handle_t* h) {
            auto* a = static_cast<Attempt*>(h->data);
            a->tcp_closing = false;
            a->maybe_free();
        });
    }
};

namespace {

struct WriteReq {
    uv_write_t req{};
    Uplink::Attempt* attempt = nullptr;
    std::unique_ptr<std::uint8_t[]> bytes;
    std::size_t len = 0;
};

// Reads append to rx (what recv() took is dropped first); reading pauses when
// kMaxBufferedRead bytes wait, and recv() resumes it.
void on_alloc(uv_handle_t* h, std::size_t suggested, uv_buf_t* buf) {
    auto* a = static_cast<Uplink::Attempt*>(h->data);
    a->compact();
    const std::size_t have = a->rx.size();
    a->rx.resize(have + suggested);
    *buf = uv_buf_init(reinterpret_cast<char*>(a->rx.data() + have), static_cast<unsigned>(suggested));
}

void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
    auto* a = static_cast<Uplink::Attempt*>(s->data);
    const std::size_t asked = buf->base != nullptr ? buf->len : 0;
    const std::size_t got = nread > 0 ? static_cast<std::size_t>(nread) : 0;
    if (asked != 0) a->rx.resize(a->rx.size() - asked + got);
    if (nread < 0) {
        a->eof = true;
        uv_read_stop(s);
        a->reading = false;
    } else if (a->rx.size() - a->rx_off >= Uplink::kMaxBufferedRead) {
        uv_read_stop(s);
        a->reading = false;
    }
}

// Queues `len` bytes (copied) on the socket; false when libuv refuses.
bool write_raw(Uplink::Attempt* a, const std::uint8_t* data, std::size_t len) {
    auto* w = new WriteReq();
    w->attempt = a;
    w->bytes.reset(new std::uint8_t[len]);
    std::memcpy(w->bytes.get(), data, len);
    w->len = len;
    w->req.data = w;
    uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(w->bytes.get()), static_cast<unsigned>(len));
    const int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&a->tcp), &b, 1, [](uv_write_t* req, int status) {
        auto* wr = static_cast<WriteReq*>(req->data);
        Uplink::Attempt* at = wr->attempt;
        --at->writes;
        at->write_bytes -= wr->len;
        delete wr;
        if (at->owner != nullptr && status != 0 && at->state != AttemptState::Failed) {
            at->owner->attempt_failed("write to", status);
        }
        at->maybe_free();
    });
    if (rc != 0) {
        delete w;
        return false;
    }
    ++a->writes;
    a->write_bytes += len;
    return true;
}

// TLS output: ciphertext straight to the socket (a failure shows on the next read
// or write as a failed attempt).
void tls_sink(void* user, mqtt::Bytes ciphertext) {
    auto* a = static_cast<Uplink::Attempt*>(user);
    if (a->tcp_open && !write_raw(a, ciphertext.data, ciphertext.size)) a->state = AttemptState::Failed;
}

}  // namespace

Uplink::Uplink(uv_loop_t* loop, const BridgeConfig& cfg, Logger& log, const tls::TlsContext* tls)
    : loop_(loop), cfg_(cfg), log_(log), tls_(tls) {}

Uplink::~Uplink() { close(); }

bool Uplink::up() const { return a_ != nullptr && a_->state == AttemptState::Open; }

std::size_t Uplink::buffered() const {
    if (a_ == nullptr) return 0;
    return a_->rx.size() - a_->rx_off + (a_->tls && a_->tls->pending() ? 1 : 0);
}

int Uplink::open() {
    if (a_ == nullptr) {
        start_attempt();
        return a_ == nullptr ? -1 : 0;
    }
    switch (a_->state) {
        case AttemptState::Open:
            return 1;
        case AttemptState::Failed:
            return -1;
        case AttemptState::Handshaking:
            return handshake() ? 1 : (a_->state == AttemptState::Failed ? -1 : 0);
        default:
            return 0;
    }
}

void Uplink::attempt_connected() {
    a_->reading = true;
    uv_read_start(reinterpret_cast<uv_stream_t*>(&a_->tcp), on_alloc, on_read);
    if (tls_ == nullptr) {
        a_->state = AttemptState::Open;
        return;
    }
    a_->tls = std::make_unique<tls::TlsSession>(*tls_, tls_sink, a_);
    if (!a_->tls->ok() || (!cfg_.insecure && !a_->tls->set_hostname(host_))) {
        fail_tls("cannot set up a TLS session");
        return;
    }
    a_->state = AttemptState::Handshaking;
    handshake();  // the ClientHello goes out now
}

bool Uplink::handshake() {
    Attempt& a = *a_;
    a.tls->set_input(mqtt::Bytes(a.rx.data() + a.rx_off, a.rx.size() - a.rx_off));
    const tls::TlsSession::Step st = a.tls->handshake();
    a.tls->keep_rest();
    a.rx.clear();
    a.rx_off = 0;
    if (st == tls::TlsSession::Step::Failed) {
        fail_tls(a.tls->failure());
        return false;
    }
    if (st == tls::TlsSession::Step::NeedMore) {
        if (a.eof) fail_tls("the upstream broker closed the connection during the TLS handshake");
        return false;
    }
    a.state = AttemptState::Open;
    log_.log(LogLevel::Info, "bridge %s: TLS to %s: %s, %s", cfg_.name.c_str(), peer_.c_str(), a.tls->version(),
             a.tls->cipher());
    return true;
}

void Uplink::fail_tls(const std::string& why) {
    if (a_->state != AttemptState::Failed) {
        log_.log(LogLevel::Warning, "bridge %s: TLS to %s failed: %s", cfg_.name.c_str(), peer_.c_str(), why.c_str());
    }
    a_->state = AttemptState::Failed;
}

void Uplink::start_attempt() {
    if (cfg_.addresses.empty()) return;
    const auto& [host, port] = cfg_.addresses[next_address_ % cfg_.addresses.size()];
    // The next attempt (after a failure) tries the next address; round_robin keeps
    // going around after a success too, otherwise a success starts over at the first.
    next_address_ = (next_address_ + 1) % cfg_.addresses.size();
    host_ = host;
    peer_ = host.find(':') != std::string::npos ? "[" + host + "]:" + std::to_string(port)
                                                : host + ":" + std::to_string(port);
    auto* a = new Attempt();
    a->owner = this;
    a->gai.data = a;
    a_ = a;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    const std::string service = std::to_string(port);
    a->gai_pending = true;
    const int rc = uv_getaddrinfo(
        loop_, &a->gai,
        [](uv_getaddrinfo_t* req, int status, addrinfo* res) {
            auto* at = static_cast<Attempt*>(req->data);
            at->gai_pending = false;
            Uplink* self = at->owner;
            if (self == nullptr || status != 0 || res == nullptr) {
                if (res != nullptr) uv_freeaddrinfo(res);
                if (self != nullptr) self->attempt_failed("cannot resolve", status != 0 ? status : UV_EAI_NONAME);
                at->maybe_free();
                return;
            }
            uv_tcp_init(self->loop_, &at->tcp);
            at->tcp.data = at;
            at->tcp_open = true;
            uv_tcp_nodelay(&at->tcp, 1);
            at->state = AttemptState::Connecting;
            at->connect.data = at;
            // One address per attempt: IPv4 first when the name has both (a gateway's
            // uplink is more often IPv4-only than IPv6-only); the next attempt
            // moves on to the next configured address.
            const addrinfo* pick = res;
            for (const addrinfo* r = res; r != nullptr; r = r->ai_next) {
                if (r->ai_family == AF_INET) {
                    pick = r;
                    break;
                }
            }
            const int c = uv_tcp_connect(&at->connect, &at->tcp, pick->ai_addr, [](uv_connect_t* creq, int cstatus) {
                auto* att = static_cast<Attempt*>(creq->data);
                Uplink* up = att->owner;
                if (up == nullptr) return;  // abandoned: close_cb frees it
                if (cstatus != 0) {
                    up->attempt_failed("cannot connect", cstatus);
                    return;
                }
                up->attempt_connected();
            });
            uv_freeaddrinfo(res);
            if (c != 0) self->attempt_failed("cannot connect", c);
        },
        host.c_str(), service.c_str(), &hints);
    if (rc != 0) {
        a->gai_pending = false;
        attempt_failed("cannot resolve", rc);
    }
}

void Uplink::attempt_failed(const char* what, int status) {
    if (a_ == nullptr) return;
    if (a_->state == AttemptState::Handshaking) {
        // A server that refuses our certificate (or has none we trust) often
        // just closes: say it was the TLS handshake that ended.
        log_.log(LogLevel::Warning, "bridge %s: TLS to %s failed: the connection ended during the handshake (%s: %s)",
                 cfg_.name.c_str(), peer_.c_str(), what, uv_strerror(status));
    } else if (a_->state != AttemptState::Failed) {
        log_.log(LogLevel::Notice, "bridge %s: %s %s: %s", cfg_.name.c_str(), what, peer_.c_str(), uv_strerror(status));
    }
    a_->state = AttemptState::Failed;
}

std::ptrdiff_t Uplink::send(const std::uint8_t* data, std::size_t len) {
    if (a_ == nullptr || a_->state != AttemptState::Open || a_->eof) return -1;
    if (a_->write_bytes >= kMaxQueuedWrite) return 0;
    if (a_->tls) {
        if (!a_->tls->write(mqtt::Bytes(data, len))) {
            fail_tls(a_->tls->failure());
            return -1;
        }
        return a_->state == AttemptState::Failed ? -1 : static_cast<std::ptrdiff_t>(len);
    }
    return write_raw(a_, data, len) ? static_cast<std::ptrdiff_t>(len) : -1;
}

std::ptrdiff_t Uplink::recv(std::uint8_t* data, std::size_t cap) {
    if (a_ == nullptr || a_->state == AttemptState::Failed) return -1;
    if (a_->state != AttemptState::Open) return 0;
    Attempt& a = *a_;
    const std::size_t have = a.rx.size() - a.rx_off;
    if (have < kMaxBufferedRead && !a.reading && !a.eof) {
        a.reading = true;  // resume reading, paused at kMaxBufferedRead
        uv_read_start(reinterpret_cast<uv_stream_t*>(&a.tcp), on_alloc, on_read);
    }
    if (a.tls) {
        // All the ciphertext goes to the session, which keeps a partial record and
        // the plaintext of a record that did not fit `cap` (asked for even when no
        // new bytes came).
        a.tls->set_input(mqtt::Bytes(a.rx.data() + a.rx_off, have));
        tls::TlsSession::ReadEnd end = tls::TlsSession::ReadEnd::NeedMore;
        const std::size_t got = a.tls->read(data, cap, end);
        a.tls->keep_rest();
        a.rx.clear();
        a.rx_off = 0;
        if (got > 0) return static_cast<std::ptrdiff_t>(got);
        if (end == tls::TlsSession::ReadEnd::Failed) fail_tls(a.tls->failure());
        return end == tls::TlsSession::ReadEnd::NeedMore && !a.eof ? 0 : -1;
    }
    if (have == 0) return a.eof ? -1 : 0;
    const std::size_t n = have < cap ? have : cap;
    std::memcpy(data, a.rx.data() + a.rx_off, n);
    a.rx_off += n;
    if (a.rx_off == a.rx.size()) {
        a.rx.clear();
        a.rx_off = 0;
    }
    return static_cast<std::ptrdiff_t>(n);
}

void Uplink::close() {
    Attempt* a = a_;
    if (a == nullptr) return;
    a_ = nullptr;
    a->owner = nullptr;
    if (a->gai_pending) uv_cancel(reinterpret_cast<uv_req_t*>(&a->gai));
    a->close_tcp();
    a->maybe_free();
}

}  // namespace mote::broker::bridge
