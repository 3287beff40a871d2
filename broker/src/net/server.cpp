// Server lifecycle: loop and handles, listeners and accept, the engine timer,
// signals, reload and the graceful shutdown. Reading and writing are in
// connection_io.cpp.
#include "net/server.hpp"
#include "net/address.hpp"
#include "store/sqlite_store.hpp"  // complete type for ~Server
#include "bridge/bridge.hpp"        // complete type for ~Server

#include "http/server_hook.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace mote::broker::net {

namespace {

template <typename T>
Server& server_of(T* handle) {
    return *static_cast<Server*>(handle->data);
}

void close_noop(uv_handle_t* /*h*/) {}

std::string sockaddr_text(const sockaddr* sa) {
    char host[INET6_ADDRSTRLEN] = {0};
    int port = 0;
    if (sa->sa_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
        uv_ip6_name(in6, host, sizeof host);
        port = ntohs(in6->sin6_port);
        return std::string("[") + host + "]:" + std::to_string(port);
    }
    const auto* in4 = reinterpret_cast<const sockaddr_in*>(sa);
    uv_ip4_name(in4, host, sizeof host);
    port = ntohs(in4->sin_port);
    return std::string(host) + ":" + std::to_string(port);
}


std::string where(const ListenerConfig& l) {
    if (l.line > 0) {
        return " (" + l.file + ":" + std::to_string(l.line) + ")";
    }
    return l.file.empty() ? std::string() : " (" + l.file + ")";
}

}  // namespace

Server::Server(const BrokerConfig& cfg, Logger& log)
    : cfg_(cfg), log_(log), read_buf_(new std::uint8_t[kReadBufferSize]) {
    const int r = uv_loop_init(&loop_);
    if (r != 0) {
        // Start-up only: the broker may throw here (STYLE #8).
        throw std::runtime_error(std::string("uv_loop_init: ") + uv_strerror(r));
    }
    loop_.data = this;
    soft_cap_ = std::max<std::size_t>(kMinSoftCap, static_cast<std::size_t>(cfg_.max_queued_bytes));
    hard_cap_ = 4 * soft_cap_;
    uv_timer_init(&loop_, &tick_timer_);
    uv_timer_init(&loop_, &linger_timer_);
    uv_timer_init(&loop_, &handshake_timer_);
    uv_timer_init(&loop_, &shutdown_timer_);
    uv_check_init(&loop_, &check_);
    uv_idle_init(&loop_, &idle_);
    uv_signal_init(&loop_, &sigint_);
    uv_signal_init(&loop_, &sigterm_);
    uv_signal_init(&loop_, &sighup_);
    for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&tick_timer_),
                           reinterpret_cast<uv_handle_t*>(&linger_timer_),
                           reinterpret_cast<uv_handle_t*>(&handshake_timer_),
                           reinterpret_cast<uv_handle_t*>(&shutdown_timer_),
                           reinterpret_cast<uv_handle_t*>(&check_), reinterpret_cast<uv_handle_t*>(&idle_),
                           reinterpret_cast<uv_handle_t*>(&sigint_),
                           reinterpret_cast<uv_handle_t*>(&sigterm_),
                           reinterpret_cast<uv_handle_t*>(&sighup_)}) {
        h->data = this;
    }
    try {
        open_store();  // creates engine_, with the durable store when persistence is on
    } catch (...) {
        // A refused database: give the loop's handles back before the error goes up.
        close_server_handles();
        uv_run(&loop_, UV_RUN_DEFAULT);
        uv_loop_close(&loop_);
        throw;
    }
}

Server::~Server() {
    // Normally run() ended after everything closed. After a failed listen() or an
    // early exit, close what is left and let the close callbacks run.
    for (auto& entry : conns_) {
        close_now(*entry.second);
    }
    close_server_handles();
    uv_run(&loop_, UV_RUN_DEFAULT);
    close_store();
    uv_loop_close(&loop_);
}

Millis Server::now() {
    uv_update_time(&loop_);
    return uv_now(&loop_);
}

Connection* Server::find(ConnectionId id) {
    const auto it = conns_.find(id);
    return it == conns_.end() ? nullptr : it->second.get();
}

// ---------------------------------------------------------------- listeners

bool Server::bind_listener(Listener& l, std::string& error) {
    // Empty bind address: all interfaces. "::" is dual-stack on Linux (IPv4 mapped)
    // unless IPv6 is unavailable, then 0.0.0.0.
    std::vector<std::string> hosts;
    if (l.cfg.bind_address.empty()) {
        hosts = {"::", "0.0.0.0"};
    } else {
        hosts = {l.cfg.bind_address};
    }
    int r = 0;
    for (const std::string& host : hosts) {
        sockaddr_storage addr;
        r = resolve_bind_address(&loop_, host, l.cfg.port, addr);
        if (r != 0) {
            error = host + ":" + std::to_string(l.cfg.port) + where(l.cfg) +
                    ": cannot resolve bind address: " + uv_strerror(r);
            return false;
        }
        l.name = sockaddr_text(reinterpret_cast<const sockaddr*>(&addr));
        if (!l.open) {
            uv_tcp_init(&loop_, &l.tcp);
            l.tcp.data = &l;
            l.open = true;
        }
        r = uv_tcp_bind(&l.tcp, reinterpret_cast<const sockaddr*>(&addr), 0);
        if (r == 0) {
            r = uv_listen(reinterpret_cast<uv_stream_t*>(&l.tcp), 511, [](uv_stream_t* s, int status) {
                auto* lst = static_cast<Listener*>(s->data);
                lst->server->on_accept(*lst, status);
            });
        }
        if (r == 0) {
            return true;
        }
        const bool try_next = (r == UV_EAFNOSUPPORT || r == UV_EADDRNOTAVAIL) && &host != &hosts.back();
        if (!try_next) {
            break;
        }
        // The socket is in a failed state: start over with a fresh handle.
        uv_close(reinterpret_cast<uv_handle_t*>(&l.tcp), close_noop);
        uv_run(&loop_, UV_RUN_NOWAIT);
        l.open = false;
    }
    error = "cannot listen on " + l.name + where(l.cfg) + ": " + uv_strerror(r);
    return false;
}

bool Server::listen(std::string& error) {
    if (!check_bridges(error)) {
        return false;
    }
    for (const ListenerConfig& lc : cfg_.listeners) {
        auto l = std::make_unique<Listener>();
        l->server = this;
        l->cfg = lc;
        l->max_connections = lc.max_connections;
        if (lc.tls.enabled()) {
            ConfigError err;
            l->tls = tls::TlsContext::create(lc, err);
            if (!l->tls) {
                error = err.to_string();
                return false;
            }
        }
        listeners_.push_back(std::move(l));
        if (!bind_listener(*listeners_.back(), error)) {
            return false;
        }
    }
    http_ = http::start_http(*this, loop_, cfg_, log_, error);
    if (cfg_.http_port != 0 && !http_) {
        return false;
    }
    uv_check_start(&check_, [](uv_check_t* h) { server_of(h).on_check(); });
    for (auto [sig, handle] : {std::pair{SIGINT, &sigint_}, std::pair{SIGTERM, &sigterm_},
                               std::pair{SIGHUP, &sighup_}}) {
        uv_signal_start(handle, [](uv_signal_t* h, int signum) { server_of(h).on_signal(signum); }, sig);
    }
    rearm_timer();
    return true;
}

void Server::refuse(Listener& l) {
    // Accept and close at once: leaving it in the backlog would make the kernel
    // keep retrying, and the client would see a hang instead of a refusal.
    auto* tcp = new uv_tcp_t;
    uv_tcp_init(&loop_, tcp);
    if (uv_accept(reinterpret_cast<uv_stream_t*>(&l.tcp), reinterpret_cast<uv_stream_t*>(tcp)) == 0) {
        ++stats_.refused;
        log_.log(LogLevel::Notice, "refused connection on %s: listener max_connections %u reached",
                 l.name.c_str(), l.max_connections);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(tcp), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
}

void Server::on_accept(Listener& l, int status) {
    if (status < 0) {
        // Out of file descriptors repeats for every pending client: one line a second.
        const Millis t = now();
        if (t >= next_accept_warning_) {
            next_accept_warning_ = t + 1000;
            log_.log(LogLevel::Warning, "accept on %s failed: %s", l.name.c_str(), uv_strerror(status));
        }
        return;
    }
    if (shutting_down_ || (l.max_connections != 0 && l.connections >= l.max_connections)) {
        refuse(l);
        return;
    }
    if (l.tls && handshakes_ >= cfg_.max_tls_handshakes) {
        refuse_tls(l);
        return;
    }
    auto owned = std::make_unique<Connection>();
    Connection& c = *owned;
    c.listener = &l;
    uv_tcp_init(&loop_, &c.tcp);
    c.tcp.data = &c;
    if (uv_accept(reinterpret_cast<uv_stream_t*>(&l.tcp), reinterpret_cast<uv_stream_t*>(&c.tcp)) != 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(&c.tcp), [](uv_handle_t* h) {
            delete static_cast<Connection*>(h->data);
        });
        owned.release();
        return;
    }
    c.id = next_id_++;
    ++l.connections;
    ++stats_.accepted;
    conns_.emplace(c.id, std::move(owned));
    // Small control packets (CONNACK, PUBACK, PINGRESP) must not wait for Nagle.
    uv_tcp_nodelay(&c.tcp, 1);
    PeerInfo peer;
    peer.listener_port = l.cfg.port;
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        if (listeners_[i].get() == &l) peer.listener_index = i;  // per-listener security
    }
    sockaddr_storage addr;
    int len = sizeof addr;
    if (uv_tcp_getpeername(&c.tcp, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
        peer.address = sockaddr_text(reinterpret_cast<const sockaddr*>(&addr));
    }
    if (log_.enabled(LogLevel::Debug)) {
        log_.log(LogLevel::Debug, "accept id=%llu peer=%s listener=%s", static_cast<unsigned long long>(c.id),
                 peer.address.c_str(), l.name.c_str());
    }
    const bool websockets = l.cfg.protocol == ListenerProtocol::WebSockets;
    if (websockets) {
        start_ws(c, peer);  // the engine sees it after the upgrade (ws_io.cpp)
    }
    if (l.tls) {
        // The engine sees the connection once the handshake is done (tls_io.cpp).
        if (!start_tls(c, std::move(peer))) {
            return;
        }
    } else if (websockets) {
        add_handshake_deadline(c);
    } else {
        open_engine(c, peer);
        if (c.state != ConnState::Open) {
            return;  // the engine closed it at once (e.g. a connection limit)
        }
    }
    start_reading(c);
}

uv_buf_t Server::read_buffer() {
    // One buffer per loop: libuv calls alloc_cb and then read_cb for one stream at a
    // time, and on_read() consumes or copies everything before returning.
    return uv_buf_init(reinterpret_cast<char*>(read_buf_.get()), static_cast<unsigned>(kReadBufferSize));
}

// ---------------------------------------------------------------- timers

void Server::rearm_timer() {
    if (handles_closed_) {
        return;
    }
    const Millis deadline = engine_->next_deadline();
    if (deadline == armed_deadline_) {
        return;
    }
    armed_deadline_ = deadline;
    if (deadline == 0) {
        uv_timer_stop(&tick_timer_);
        return;
    }
    const Millis t = now();
    uv_timer_start(&tick_timer_, [](uv_timer_t* h) { server_of(h).on_tick(); }, deadline > t ? deadline - t : 0, 0);
}

void Server::on_tick() {
    armed_deadline_ = 0;
    engine_->tick(now());
    rearm_timer();
}

void Server::on_check() {
    service_bridges();  // before the commit: what the bridges changed is in it
    commit_store(false);  // strict: what this turn's output acknowledges is on disk first
    flush_all();
    rearm_timer();
}

void Server::on_linger_sweep() {
    const Millis t = now();
    std::vector<std::pair<ConnectionId, Millis>> keep;
    for (const auto& [id, deadline] : lingering_) {
        Connection* c = find(id);
        if (c == nullptr || c->state == ConnState::Closed) {
            continue;
        }
        if (t >= deadline) {
            // The peer does not take the last bytes (or, draining, does not close
            // its side): give up on it.
            if (c->state != ConnState::Draining) ++stats_.forced_closes;
            close_now(*c);
            continue;
        }
        keep.emplace_back(id, deadline);
    }
    lingering_.swap(keep);
    if (lingering_.empty()) {
        uv_timer_stop(&linger_timer_);
    }
}

// ---------------------------------------------------------------- signals, shutdown

void Server::on_signal(int signum) {
    if (signum == SIGHUP) {
        reload();
        return;
    }
    const char* name = signum == SIGINT ? "SIGINT" : "SIGTERM";
    if (shutting_down_) {
        // A second signal: the operator does not want to wait for slow peers.
        log_.log(LogLevel::Notice, "received %s again: closing every connection now", name);
        on_shutdown_timeout();
        return;
    }
    log_.log(LogLevel::Notice, "received %s: shutting down", name);
    request_shutdown();
}

void Server::request_shutdown() {
    if (shutting_down_) {
        return;
    }
    shutting_down_ = true;
    for (auto& l : listeners_) {
        if (l->open && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&l->tcp))) {
            uv_close(reinterpret_cast<uv_handle_t*>(&l->tcp), close_noop);
        }
    }
    stop_bridges();  // DISCONNECT upstream
    // MQTT 5 clients get DISCONNECT 0x8B (Server shutting down) from the engine.
    engine_->shutdown(now());
    std::vector<ConnectionId> ids;
    ids.reserve(conns_.size());
    for (auto& entry : conns_) {
        ids.push_back(entry.first);
    }
    for (ConnectionId id : ids) {
        close(id);  // what the engine did not close (e.g. before CONNECT)
    }
    uv_timer_start(&shutdown_timer_, [](uv_timer_t* h) { server_of(h).on_shutdown_timeout(); },
                   kShutdownGraceMs, 0);
    flush_all();
    maybe_finish();
}

void Server::on_shutdown_timeout() {
    std::vector<Connection*> left;
    for (auto& entry : conns_) {
        left.push_back(entry.second.get());
    }
    if (!left.empty()) {
        log_.log(LogLevel::Warning, "shutdown: closing %zu connection(s) that did not drain in %llu ms",
                 left.size(), static_cast<unsigned long long>(kShutdownGraceMs));
    }
    for (Connection* c : left) {
        close_now(*c);
    }
    maybe_finish();
}

void Server::maybe_finish() {
    if (shutting_down_ && conns_.empty()) {
        close_server_handles();
    }
}

void Server::close_server_handles() {
    if (handles_closed_) {
        return;
    }
    handles_closed_ = true;
    // The HTTP endpoint stays up through the grace period: /healthz says 503 then.
    if (http_) http_->close();
    close_bridges();
    for (auto& l : listeners_) {
        if (l->open && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&l->tcp))) {
            uv_close(reinterpret_cast<uv_handle_t*>(&l->tcp), close_noop);
        }
    }
    for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&tick_timer_),
                           reinterpret_cast<uv_handle_t*>(&linger_timer_),
                           reinterpret_cast<uv_handle_t*>(&handshake_timer_),
                           reinterpret_cast<uv_handle_t*>(&shutdown_timer_),
                           reinterpret_cast<uv_handle_t*>(&check_), reinterpret_cast<uv_handle_t*>(&idle_),
                           reinterpret_cast<uv_handle_t*>(&sigint_),
                           reinterpret_cast<uv_handle_t*>(&sigterm_),
                           reinterpret_cast<uv_handle_t*>(&sighup_)}) {
        if (!uv_is_closing(h)) {
            uv_close(h, close_noop);
        }
    }
    if (store_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&commit_timer_))) {
        uv_close(reinterpret_cast<uv_handle_t*>(&commit_timer_), close_noop);
    }
}

void Server::run() {
    start_bridges();
    uv_run(&loop_, UV_RUN_DEFAULT);
    log_.log(LogLevel::Notice, "shutdown complete: %llu connection(s) accepted, %llu refused, "
             "%llu slow-consumer disconnect(s)", static_cast<unsigned long long>(stats_.accepted),
             static_cast<unsigned long long>(stats_.refused),
             static_cast<unsigned long long>(stats_.slow_disconnects));
}

// ---------------------------------------------------------------- reload

namespace {

bool same_listeners(const BrokerConfig& a, const BrokerConfig& b) {
    if (a.listeners.size() != b.listeners.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.listeners.size(); ++i) {
        const ListenerConfig& x = a.listeners[i];
        const ListenerConfig& y = b.listeners[i];
        if (x.bind_address != y.bind_address || x.port != y.port || x.protocol != y.protocol) {
            return false;
        }
        // TLS files and options are loaded at start-up only (docs/tls.md).
        const TlsConfig& u = x.tls;
        const TlsConfig& v = y.tls;
        if (u.certfile != v.certfile || u.keyfile != v.keyfile || u.cafile != v.cafile || u.capath != v.capath ||
            u.ciphers != v.ciphers || u.tls_version != v.tls_version ||
            u.require_certificate != v.require_certificate ||
            u.use_identity_as_username != v.use_identity_as_username) {
            return false;
        }
    }
    return true;
}

// The options the engine reads at start-up: the Engine has no reload interface yet,
// so a change to any of them needs a restart. Named so the log can say which.
std::string engine_changes(const BrokerConfig& a, const BrokerConfig& b) {
    std::string out;
    auto note = [&out](bool changed, const char* name) {
        if (changed) {
            out += out.empty() ? "" : ", ";
            out += name;
        }
    };
    note(a.max_inflight_messages != b.max_inflight_messages, "max_inflight_messages");
    note(a.max_queued_messages != b.max_queued_messages, "max_queued_messages");
    note(a.max_queued_bytes != b.max_queued_bytes, "max_queued_bytes (engine queue; the net output cap was applied)");
    note(a.message_size_limit != b.message_size_limit, "message_size_limit");
    note(a.max_packet_size != b.max_packet_size, "max_packet_size");
    note(a.max_keepalive != b.max_keepalive, "max_keepalive");
    note(a.persistent_client_expiration != b.persistent_client_expiration, "persistent_client_expiration");
    note(a.retain_available != b.retain_available, "retain_available");
    note(a.max_topic_alias != b.max_topic_alias, "max_topic_alias");
    note(a.sys_interval != b.sys_interval, "sys_interval");
    note(a.connect_timeout != b.connect_timeout, "connect_timeout");
    note(a.http_port != b.http_port || a.http_bind_address != b.http_bind_address ||
             a.http_dashboard != b.http_dashboard || a.http_dashboard_websocket_url != b.http_dashboard_websocket_url,
         "http_listener/http_dashboard/http_dashboard_websocket_url");
    note(a.tls_handshake_timeout != b.tls_handshake_timeout, "tls_handshake_timeout");
    note(a.max_tls_handshakes != b.max_tls_handshakes, "max_tls_handshakes");
    note(a.persistence != b.persistence || a.persistence_location != b.persistence_location ||
             a.persistence_file != b.persistence_file || a.persistence_durability != b.persistence_durability ||
             a.persistence_interval_ms != b.persistence_interval_ms ||
             a.persistence_max_bytes != b.persistence_max_bytes,
         "persistence options");
    return out;
}

}  // namespace

void Server::reload() {
    if (!loader_ || cfg_.config_file.empty()) {
        log_.log(LogLevel::Notice, "SIGHUP: no configuration file given, nothing to reload");
        return;
    }
    BrokerConfig fresh;
    ConfigError err;
    if (!loader_(fresh, err)) {
        log_.log(LogLevel::Error, "SIGHUP: reload failed, keeping the running configuration: %s",
                 err.to_string().c_str());
        return;
    }
    reload_security(fresh);  // password and ACL files; a bad file keeps the old ones
    std::string log_error;
    if (!log_.configure(fresh, log_error)) {
        log_.log(LogLevel::Error, "SIGHUP: log settings not applied: %s", log_error.c_str());
    }
    const bool listeners_same = same_listeners(cfg_, fresh);
    if (listeners_same) {
        for (std::size_t i = 0; i < listeners_.size(); ++i) {
            listeners_[i]->max_connections = fresh.listeners[i].max_connections;
        }
    }
    // The net layer's output cap follows max_queued_bytes (at least 1 MiB); new
    // values apply to the next write on every connection.
    soft_cap_ = std::max<std::size_t>(kMinSoftCap, static_cast<std::size_t>(fresh.max_queued_bytes));
    hard_cap_ = 4 * soft_cap_;
    log_.log(LogLevel::Notice, "SIGHUP: reloaded %s: applied log_dest, log_type, output cap %zu bytes%s",
             cfg_.config_file.c_str(), soft_cap_, listeners_same ? ", listener max_connections" : "");
    if (!listeners_same) {
        log_.log(LogLevel::Warning, "SIGHUP: listener changes (addresses, ports, protocols, TLS options, "
                 "max_connections) need a restart and were not applied");
    }
    const std::string changed = engine_changes(cfg_, fresh);
    if (!changed.empty()) {
        log_.log(LogLevel::Warning, "SIGHUP: changed options that need a restart, not applied: %s",
                 changed.c_str());
    }
}

}  // namespace mote::broker::net
