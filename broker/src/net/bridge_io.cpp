// The net layer's side of the bridges (broker/src/bridge, docs/bridge.md). A bridge
// is a client of the engine on an in-process connection: it has a ConnectionId
// like a socket, and the Io calls for that id (send, send_publish, close) are
// handed to it instead of a socket. The engine's output is only copied there;
// the bridge acts on it in service(), which runs once per loop turn before the
// store's commit, never inside an engine call.
#include "bridge/bridge.hpp"
#include "net/server.hpp"

namespace mote::broker::net {

bool Server::check_bridges(std::string& error) {
    // The TLS client contexts are made before anything runs, so that a bad CA file
    // or key stops the start-up with "file:line: option: why".
    for (const BridgeConfig& b : cfg_.bridges) {
        std::unique_ptr<tls::TlsContext> ctx;
        if (b.tls_enabled()) {
            ConfigError err;
            ctx = tls::TlsContext::create_client(b, err);
            if (!ctx) {
                error = err.to_string();
                return false;
            }
        }
        bridge_tls_.push_back(std::move(ctx));
    }
    return true;
}

void Server::start_bridges() {
    for (std::size_t i = 0; i < cfg_.bridges.size(); ++i) {
        const BridgeConfig& b = cfg_.bridges[i];
        // Two ids: the bridge's session and, with live_first, its live session.
        bridges_.push_back(std::make_unique<bridge::Bridge>(b, next_id_, &loop_, *engine_, log_, cfg_.sys_interval,
                                                            i < bridge_tls_.size() ? bridge_tls_[i].get() : nullptr));
        next_id_ += 2;
        log_.log(LogLevel::Notice, "bridge %s: to %zu address(es), %zu topic line(s), local session %s", b.name.c_str(),
                 b.addresses.size(), b.topics.size(), b.local_clientid.c_str());
    }
    for (auto& b : bridges_) b->start();
}

void Server::service_bridges() {
    for (auto& b : bridges_) b->service();
}

void Server::stop_bridges() {
    for (auto& b : bridges_) b->stop();
}

void Server::close_bridges() {
    for (auto& b : bridges_) b->close_handles();
}

SendResult Server::to_bridge(ConnectionId id, mqtt::Bytes bytes, const MessagePtr* msg) {
    for (auto& b : bridges_) {
        if (b->owns(id)) return b->from_engine(id, bytes, msg);
    }
    return SendResult::Dropped;
}

bool Server::close_bridge(ConnectionId id) {
    for (auto& b : bridges_) {
        if (b->owns(id)) {
            b->engine_closed(id);
            return true;
        }
    }
    return false;
}

}  // namespace mote::broker::net
