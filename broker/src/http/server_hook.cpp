#include "http/server_hook.hpp"

#include "bridge/bridge.hpp"
#include "net/server.hpp"

namespace mote::broker::http {

namespace {

void fill(const net::Server& s, MetricsSnapshot& m) {
    m.engine = s.engine().stats();
    m.queues = s.engine().queue_stats();
    const net::NetStats& n = s.stats();
    m.connections_accepted = n.accepted;
    m.connections_refused = n.refused;
    m.slow_consumer_disconnects = n.slow_disconnects;
    for (const auto& l : s.listeners()) {
        ListenerSnapshot ls;
        ls.name = l->name;
        ls.protocol = l->cfg.protocol == ListenerProtocol::WebSockets ? "websockets" : "mqtt";
        ls.connections = l->connections;
        m.listeners.push_back(std::move(ls));
    }
    for (const auto& b : s.bridges()) {
        const bridge::BridgeStats st = b->stats();
        BridgeSnapshot bs;
        bs.name = b->config().name;
        bs.connected = b->connected();
        bs.queued = b->queued();
        bs.inflight = b->inflight();
        bs.dropped = b->dropped();
        bs.sent = st.sent;
        bs.received = st.received;
        bs.connects = st.connects;
        m.bridges.push_back(std::move(bs));
    }
}

}  // namespace

std::unique_ptr<HttpServer> start_http(net::Server& server, uv_loop_t& loop, const BrokerConfig& cfg, Logger& log,
                                       std::string& error) {
    if (cfg.http_port == 0) {
        return nullptr;
    }
    auto h = std::make_unique<HttpServer>(
        loop, cfg, log, [&server](MetricsSnapshot& m) { fill(server, m); },
        [&server] { return server.shutting_down(); });
    if (!h->listen(error)) {
        // Handles opened by listen() must be closed before the object goes.
        h->close();
        uv_run(&loop, UV_RUN_NOWAIT);
        return nullptr;
    }
    return h;
}

}  // namespace mote::broker::http
