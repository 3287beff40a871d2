// The net layer's side of the bridges (broker/src/bridge, docs/bridge.md). A bridge
// is a client of the engine on an in-process connection: it has a ConnectionId
// like a socket, and the Io calls for that id (send, send_publish, close) are
// handed to it instead of a socket. The engine's output is only copied there;
// the bridge acts on it in service(), which runs once per loop turn before the
// store's commit, never inside an engine call.
#include "bridge/bridge.hpp"
#include "net/server.hpp"

namespace mote::broker::net {

bool Server::check_bridges(std::string& error) const {
    for (const BridgeConfig& b : cfg_.bridges) {
        if (b.tls_enabled()) {
            // Refused rather than run in the clear: an operator who configured a CA
            // expects the uplink to be encrypted and the upstream to be verified.
            const OptionOrigin& at = b.cafile.empty() ? b.capath_at : b.cafile_at;
            error = at.file + ":" + std::to_string(at.line) + ": " + (b.cafile.empty() ? "bridge_capath" : "bridge_cafile") +
                    ": bridge " + b.name + ": TLS to the upstream broker is not implemented yet (docs/bridge.md)";
            return false;
        }
    }
    return true;
}

void Server::start_bridges() {
    for (const BridgeConfig& b : cfg_.bridges) {
        bridges_.push_back(std::make_unique<bridge::Bridge>(b, next_id_++, &loop_, *engine_, log_, cfg_.sys_interval));
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
        if (b->local_id() == id) return b->from_engine(bytes, msg);
    }
    return SendResult::Dropped;
}

bool Server::close_bridge(ConnectionId id) {
    for (auto& b : bridges_) {
        if (b->local_id() == id) {
            b->engine_closed();
            return true;
        }
    }
    return false;
}

}  // namespace mote::broker::net
