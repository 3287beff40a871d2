#include "http/http_server.hpp"

#include <cstring>
#include <utility>
#include <vector>

#include "http/assets.hpp"
#include "net/address.hpp"

#ifndef MOTE_VERSION
#define MOTE_VERSION "0.0.0"
#endif

namespace mote::broker::http {

namespace {

struct HttpWrite {
    uv_write_t req{};
    HttpConn* conn = nullptr;
    std::string head;
    std::string body;  // owned body; static assets are not copied
    std::size_t bytes = 0;
};

constexpr char kRefusal[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 24\r\nConnection: close\r\n\r\ntoo many HTTP connections";


int websocket_port(const BrokerConfig& cfg) {
    for (const ListenerConfig& l : cfg.listeners) {
        if (l.protocol == ListenerProtocol::WebSockets) {
            return l.port;
        }
    }
    return 0;
}

}  // namespace

HttpServer::HttpServer(uv_loop_t& loop, const BrokerConfig& cfg, Logger& log, MetricsFiller filler,
                       std::function<bool()> shutting_down)
    : loop_(loop), cfg_(cfg), log_(log), filler_(std::move(filler)), read_buf_(new char[kReadBufferSize]) {
    site_.dashboard = cfg.http_dashboard;
    site_.config_json = dashboard_config_json(cfg.http_dashboard_websocket_url, websocket_port(cfg));
    site_.metrics = [this] { return metrics_text(); };
    site_.shutting_down = std::move(shutting_down);
    started_ms_ = now();
}

HttpServer::~HttpServer() = default;

std::uint64_t HttpServer::now() {
    uv_update_time(&loop_);
    return uv_now(&loop_);
}

std::string HttpServer::metrics_text() {
    MetricsSnapshot m;
    m.version = MOTE_VERSION;
    m.uptime_seconds = (now() - started_ms_) / 1000;
    m.resident_bytes = process_resident_bytes();
    if (filler_) {
        filler_(m);
    }
    m.http = stats_;
    m.http.connections = conns_.size();
    return render_metrics(m);
}

bool HttpServer::listen(std::string& error) {
    const std::string where = " (" + cfg_.http_file + ":" + std::to_string(cfg_.http_line) + ")";
    if (cfg_.http_dashboard && !dashboard_built()) {
        error = cfg_.http_file + ":" + std::to_string(cfg_.http_line) +
                ": http_listener: 'http_dashboard true' needs the dashboard's MQTT.js bundle, and this "
                "mote-broker was built without it (MOTE_DASHBOARD=OFF)";
        return false;
    }
    sockaddr_storage addr;
    int r = net::resolve_bind_address(&loop_, cfg_.http_bind_address, cfg_.http_port, addr);
    name_ = cfg_.http_bind_address + ":" + std::to_string(cfg_.http_port);
    if (r != 0) {
        error = name_ + where + ": http_listener: cannot resolve bind address: " + uv_strerror(r);
        return false;
    }
    uv_tcp_init(&loop_, &listener_);
    listener_.data = this;
    open_ = true;
    uv_timer_init(&loop_, &sweep_);
    sweep_.data = this;
    r = uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&addr), 0);
    if (r == 0) {
        r = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 64, [](uv_stream_t* s, int status) {
            static_cast<HttpServer*>(s->data)->on_accept(status);
        });
    }
    if (r != 0) {
        error = "cannot listen on " + name_ + where + " (http_listener): " + uv_strerror(r);
        return false;
    }
    uv_timer_start(&sweep_, [](uv_timer_t* t) { static_cast<HttpServer*>(t->data)->on_sweep(); }, 1000, 1000);
    log_.log(LogLevel::Notice, "HTTP endpoint on %s (/healthz, /metrics%s)", name_.c_str(),
             cfg_.http_dashboard ? ", dashboard at /" : "");
    return true;
}

void HttpServer::close() {
    if (closed_) {
        return;
    }
    closed_ = true;
    if (open_) {
        uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(&sweep_), nullptr);
    }
    for (auto& entry : conns_) {
        force_close(*entry.second);
    }
}

void HttpServer::refuse() {
    auto* tcp = new uv_tcp_t;
    uv_tcp_init(&loop_, tcp);
    if (uv_accept(reinterpret_cast<uv_stream_t*>(&listener_), reinterpret_cast<uv_stream_t*>(tcp)) == 0) {
        ++stats_.refused;
        uv_buf_t b = uv_buf_init(const_cast<char*>(kRefusal), sizeof kRefusal - 1);
        uv_try_write(reinterpret_cast<uv_stream_t*>(tcp), &b, 1);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(tcp), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
}

void HttpServer::on_accept(int status) {
    if (status < 0 || closed_) {
        return;
    }
    if (conns_.size() >= kMaxConnections) {
        refuse();
        return;
    }
    auto owned = std::make_unique<HttpConn>();
    HttpConn& c = *owned;
    c.server = this;
    uv_tcp_init(&loop_, &c.tcp);
    c.tcp.data = &c;
    if (uv_accept(reinterpret_cast<uv_stream_t*>(&listener_), reinterpret_cast<uv_stream_t*>(&c.tcp)) != 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(&c.tcp),
                 [](uv_handle_t* h) { delete static_cast<HttpConn*>(h->data); });
        owned.release();
        return;
    }
    c.id = next_id_++;
    c.deadline = now() + kRequestTimeoutMs;
    conns_.emplace(c.id, std::move(owned));
    resume(c);
}

uv_buf_t HttpServer::read_buffer() {
    // One buffer per HttpServer: libuv calls alloc_cb then read_cb for one stream
    // at a time, and on_read() consumes or copies everything before it returns.
    return uv_buf_init(read_buf_.get(), static_cast<unsigned>(kReadBufferSize));
}

void HttpServer::pause(HttpConn& c) {
    if (c.reading) {
        uv_read_stop(reinterpret_cast<uv_stream_t*>(&c.tcp));
        c.reading = false;
    }
}

void HttpServer::resume(HttpConn& c) {
    if (!c.stash.empty()) {
        const std::string rest = std::move(c.stash);
        c.stash.clear();
        process(c, rest.data(), rest.size());
    }
    if (c.closing || c.closed || !c.stash.empty() || c.reading) {
        return;
    }
    const int r = uv_read_start(
        reinterpret_cast<uv_stream_t*>(&c.tcp),
        [](uv_handle_t* h, std::size_t /*suggested*/, uv_buf_t* buf) {
            *buf = static_cast<HttpConn*>(h->data)->server->read_buffer();
        },
        [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
            auto* conn = static_cast<HttpConn*>(s->data);
            conn->server->on_read(*conn, nread, buf);
        });
    if (r != 0) {
        close_conn(c);
        return;
    }
    c.reading = true;
}

void HttpServer::on_read(HttpConn& c, ssize_t nread, const uv_buf_t* buf) {
    if (nread < 0) {
        // EOF or an error: answers still queued are dropped with the socket.
        c.closing = true;
        pause(c);
        close_conn(c);
        return;
    }
    if (nread == 0 || c.closing) {
        return;
    }
    process(c, buf->base, static_cast<std::size_t>(nread));
}

void HttpServer::process(HttpConn& c, const char* data, std::size_t len) {
    while (len > 0 && !c.closing) {
        if (c.pending > kMaxPendingOutput) {
            // The peer pipelines faster than it reads: wait for the answers to drain.
            c.stash.assign(data, len);
            pause(c);
            return;
        }
        const bool was_idle = !c.reader.in_request();
        const RequestReader::Result res = c.reader.feed(data, len);
        if (res.status == RequestReader::Status::Error) {
            fail(c, res.error_status, res.error_reason);
            return;
        }
        if (res.status == RequestReader::Status::NeedMore) {
            if (was_idle && c.reader.in_request()) {
                c.deadline = now() + kRequestTimeoutMs;  // a new request started
            }
            return;
        }
        data += res.consumed;
        len -= res.consumed;
        const Request& req = c.reader.request();
        const Response resp = route(req, site_);
        ++stats_.requests;
        if (resp.status >= 400) {
            ++stats_.rejected;
        }
        if (log_.enabled(LogLevel::Debug)) {
            log_.log(LogLevel::Debug, "http %s %s -> %d", req.method_name.c_str(), req.path.c_str(), resp.status);
        }
        const bool keep = req.keep_alive && !req.upgrade && !resp.close;
        answer(c, resp, req.method == Method::Head, keep);
        if (!keep) {
            c.closing = true;
            pause(c);
            close_conn(c);
            return;
        }
        c.deadline = now() + kIdleTimeoutMs;
    }
}

void HttpServer::answer(HttpConn& c, const Response& r, bool head, bool keep_alive) {
    std::string h = response_head(r, keep_alive);
    if (head) {
        send(c, std::move(h), nullptr, 0, std::string());
    } else if (r.static_body != nullptr) {
        send(c, std::move(h), r.static_body, r.static_size, std::string());
    } else {
        send(c, std::move(h), nullptr, 0, r.body);
    }
}

void HttpServer::send(HttpConn& c, std::string head, const unsigned char* body, std::size_t body_len,
                      std::string owned_body) {
    if (c.closed) {
        return;
    }
    auto* w = new HttpWrite;
    w->conn = &c;
    w->req.data = w;
    w->head = std::move(head);
    w->body = std::move(owned_body);
    uv_buf_t bufs[2];
    unsigned n = 0;
    bufs[n++] = uv_buf_init(w->head.data(), static_cast<unsigned>(w->head.size()));
    if (body != nullptr && body_len > 0) {
        // uv_buf_t is not const-correct; libuv only reads the bytes of a write.
        char* bytes = const_cast<char*>(reinterpret_cast<const char*>(body));
        bufs[n++] = uv_buf_init(bytes, static_cast<unsigned>(body_len));
    } else if (!w->body.empty()) {
        bufs[n++] = uv_buf_init(w->body.data(), static_cast<unsigned>(w->body.size()));
    }
    w->bytes = w->head.size() + (body != nullptr ? body_len : w->body.size());
    c.pending += w->bytes;
    const int r = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&c.tcp), bufs, n, [](uv_write_t* req, int status) {
        auto* wr = static_cast<HttpWrite*>(req->data);
        HttpConn& conn = *wr->conn;
        const std::size_t bytes = wr->bytes;
        delete wr;
        conn.server->on_write_done(conn, bytes, status);
    });
    if (r != 0) {
        c.pending -= w->bytes;
        delete w;
        c.closing = true;
        close_conn(c);
    }
}

void HttpServer::on_write_done(HttpConn& c, std::size_t bytes, int status) {
    c.pending -= bytes;
    if (c.closed) {
        return;
    }
    if (status != 0) {
        c.closing = true;
        close_conn(c);
        return;
    }
    if (c.closing) {
        close_conn(c);
        return;
    }
    if (!c.reader.in_request()) {
        // The peer takes its answers: it is not idle, however slowly it reads.
        c.deadline = now() + kIdleTimeoutMs;
    }
    if (c.pending <= kMaxPendingOutput && !c.reading) {
        resume(c);
    }
}

void HttpServer::fail(HttpConn& c, int status, const std::string& reason) {
    ++stats_.requests;
    ++stats_.rejected;
    if (log_.enabled(LogLevel::Debug)) {
        log_.log(LogLevel::Debug, "http bad request -> %d %s", status, reason.c_str());
    }
    Response r = error_response(status, reason);
    r.close = true;
    answer(c, r, false, false);
    c.closing = true;
    pause(c);
    close_conn(c);
}

void HttpServer::close_conn(HttpConn& c) {
    // Closes once the answers queued so far are written (or at once without any).
    if (c.closed || c.pending > 0) {
        c.closing = true;
        return;
    }
    c.closed = true;
    pause(c);
    uv_close(reinterpret_cast<uv_handle_t*>(&c.tcp), [](uv_handle_t* h) {
        auto* conn = static_cast<HttpConn*>(h->data);
        conn->server->on_closed(*conn);
    });
}

void HttpServer::on_closed(HttpConn& c) { conns_.erase(c.id); }

void HttpServer::force_close(HttpConn& c) {
    // Pending writes are cancelled by uv_close; their callbacks run before close_cb.
    if (!c.closed) {
        c.closed = true;
        c.closing = true;
        pause(c);
        uv_close(reinterpret_cast<uv_handle_t*>(&c.tcp), [](uv_handle_t* h) {
            auto* conn = static_cast<HttpConn*>(h->data);
            conn->server->on_closed(*conn);
        });
    }
}

void HttpServer::on_sweep() {
    const std::uint64_t t = now();
    std::vector<HttpConn*> due;
    for (auto& entry : conns_) {
        HttpConn& c = *entry.second;
        if (!c.closed && t >= c.deadline) {
            due.push_back(&c);
        }
    }
    for (HttpConn* c : due) {
        ++stats_.timeouts;
        if (c->closing || c->pending > 0 || !c->reader.in_request()) {
            // An idle keep-alive connection, or a peer that does not take its answers.
            force_close(*c);
            continue;
        }
        // A request started and did not finish in time (a slow or stalled client).
        fail(*c, 408, "request not complete in time");
        c->deadline = t + kRequestTimeoutMs;  // bounds the wait for the 408 to drain
    }
}

}  // namespace mote::broker::http
