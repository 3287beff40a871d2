// Engine's public entry points and the per-packet dispatch.
#include <algorithm>

#include "engine/engine_impl.hpp"

namespace mote::broker {

using detail::Connection;
using detail::ConnState;
using mqtt::PacketType;
using mqtt::Reason;

namespace {

bool topic_has_wildcard(mqtt::Bytes body) {
    if (body.size < 2) return false;
    const std::size_t n = std::min<std::size_t>((std::size_t{body[0]} << 8) | body[1], body.size - 2);
    const std::uint8_t* t = body.data + 2;
    return std::find_if(t, t + n, [](std::uint8_t ch) { return ch == '+' || ch == '#'; }) != t + n;
}

// Mosquitto compatibility: where the spec names no reason code for a bad PUBLISH,
// the one mosquitto 2.0 sends. A Topic Alias of 0 [MQTT-3.3.2-8] is Malformed
// (0x94 is defined for aliases above the maximum, §3.14.2.1, checked in
// resolve_alias); a wildcard in the Topic Name [MQTT-3.3.2-2] is a Protocol Error.
mqtt::Error mosquitto_publish_error(mqtt::Error e, mqtt::Bytes body) {
    if (e.reason == Reason::TopicAliasInvalid) return {Reason::MalformedPacket, e.cause};
    if (e.reason == Reason::MalformedPacket && topic_has_wildcard(body)) return {Reason::ProtocolError, e.cause};
    return e;
}

}  // namespace

Engine::Impl::Impl(const BrokerConfig& c, Logger& l, Io& i, Millis now, detail::Persistence* st)
    : cfg(c), log(l), io(i), started_at(now), sessions(st != nullptr ? st->sessions() : memory_sessions),
      retained(st != nullptr ? st->retained() : memory_retained), store(st) {
    if (store != nullptr) restore(now);
    if (cfg.sys_interval != 0) publish_sys(now);  // retained: readable from the start
    schedule_sys(now);
}

Connection* Engine::Impl::find_conn(ConnectionId id) {
    auto it = conns.find(id);
    return it == conns.end() ? nullptr : &it->second;
}

Connection* Engine::Impl::live_conn(const detail::Session& s) {
    if (s.conn == 0) return nullptr;
    Connection* c = find_conn(s.conn);
    return (c != nullptr && c->state == ConnState::Connected) ? c : nullptr;
}

void Engine::Impl::on_packet(Connection& c, std::uint8_t first_byte, mqtt::Bytes body, Millis now) {
    if (c.state == ConnState::AwaitConnect) {
        if (c.pending_connect) {
            hold_packet(c, first_byte, body, now);  // the CONNECT's password is being checked
            return;
        }
        on_connect_packet(c, first_byte, body, now);
        return;
    }
    mqtt::DecodeOptions opts;
    opts.version = c.version;
    opts.sender = mqtt::Role::Client;
    // The per-message packets go straight to their decoders: mqtt::decode() would
    // construct and clear a whole Packet (the size of a CONNECT) for each of them.
    const auto type = static_cast<PacketType>(first_byte >> 4);
    if (type == PacketType::Publish) {
        mqtt::Publish pub;
        if (mqtt::Error e = mqtt::decode_publish(first_byte, body, opts, pub)) {
            fail(c, mosquitto_publish_error(e, body), now);
            return;
        }
        on_publish(c, pub, now);
        return;
    }
    if (type == PacketType::Puback || type == PacketType::Pubrec || type == PacketType::Pubrel ||
        type == PacketType::Pubcomp) {
        mqtt::Ack ack;
        if (mqtt::Error e = mqtt::decode_ack(first_byte, body, opts, ack)) {
            fail(c, e, now);
            return;
        }
        if (type == PacketType::Pubrel) {
            on_pubrel(c, ack, now);
        } else {
            on_ack(c, type, ack, now);
        }
        return;
    }
    // Mosquitto compatibility, where the spec names no code: packet type 0 (§2.1.2)
    // is a Protocol Error, packet identifier 0 in SUBSCRIBE/UNSUBSCRIBE
    // [MQTT-2.2.1-3] is Malformed.
    if (type == PacketType::Reserved) {
        fail(c, {Reason::ProtocolError, "reserved packet type 0"}, now);
        return;
    }
    if ((type == PacketType::Subscribe || type == PacketType::Unsubscribe) && body.size >= 2 && body[0] == 0 &&
        body[1] == 0) {
        fail(c, {Reason::MalformedPacket, "packet identifier 0"}, now);
        return;
    }
    mqtt::Packet p;
    if (mqtt::Error e = mqtt::decode(first_byte, body, opts, p)) {
        fail(c, e, now);
        return;
    }
    on_connected_packet(c, p, now);
}

void Engine::Impl::on_connected_packet(Connection& c, const mqtt::Packet& p, Millis now) {
    switch (p.type) {
    case PacketType::Publish:
        on_publish(c, p.publish, now);
        return;
    case PacketType::Puback:
    case PacketType::Pubrec:
    case PacketType::Pubcomp:
        on_ack(c, p.type, p.ack, now);
        return;
    case PacketType::Pubrel:
        on_pubrel(c, p.ack, now);
        return;
    case PacketType::Subscribe:
        on_subscribe(c, p.subscribe, now);
        return;
    case PacketType::Unsubscribe:
        on_unsubscribe(c, p.unsubscribe);
        return;
    case PacketType::Pingreq:
        send_packet(c, mqtt::make_ping(PacketType::Pingresp));
        return;
    case PacketType::Disconnect:
        on_disconnect(c, p.disconnect, now);
        return;
    case PacketType::Connect:
        // [MQTT-3.1.0-2]: a second CONNECT is a Protocol Error.
        fail(c, {Reason::ProtocolError, "second CONNECT"}, now);
        return;
    case PacketType::Auth:
        // No enhanced authentication is configured, so the CONNECT had no
        // Authentication Method and the client must not send AUTH [MQTT-4.12.0-7].
        fail(c, {Reason::ProtocolError, "AUTH without Authentication Method"}, now);
        return;
    default:
        // Server-to-client packets (CONNACK, SUBACK, UNSUBACK, PINGRESP) from a client.
        fail(c, {Reason::ProtocolError, "server packet from a client"}, now);
        return;
    }
}

Engine::Engine(const BrokerConfig& cfg, Logger& log, Io& io, Millis now)
    : impl_(std::make_unique<Impl>(cfg, log, io, now)) {}

Engine::Engine(const BrokerConfig& cfg, Logger& log, Io& io, Millis now, detail::Persistence* store)
    : impl_(std::make_unique<Impl>(cfg, log, io, now, store)) {}

Engine::~Engine() = default;

void Engine::on_open(ConnectionId id, const PeerInfo& peer, Millis now) {
    if (impl_->shut_down || impl_->conns.count(id) != 0) return;
    Connection& c = impl_->conns[id];
    c.id = id;
    c.peer = peer;
    c.last_rx = now;
    if (impl_->cfg.connect_timeout != 0) {
        impl_->schedule_conn(c, now + Millis{impl_->cfg.connect_timeout} * 1000);
    }
}

void Engine::on_packet(ConnectionId id, std::uint8_t first_byte, mqtt::Bytes body, std::size_t wire_size,
                       Millis now) {
    Connection* c = impl_->find_conn(id);
    if (c == nullptr) return;  // closed by the engine: nothing after close() is processed
    impl_->stats.bytes_received += wire_size;
    if ((first_byte >> 4) == 3) {
        // PUBLISH: QoS is bits 1-2; 3 is malformed and rejected by the decoder.
        const unsigned qos = (first_byte >> 1) & 3u;
        if (qos < 3) impl_->stats.publish_bytes_received_by_qos[qos] += wire_size;
    }
    c->last_rx = now;
    impl_->on_packet(*c, first_byte, body, now);
}

void Engine::on_frame_error(ConnectionId id, mqtt::Error error, Millis now) {
    Connection* c = impl_->find_conn(id);
    if (c == nullptr) return;
    if (error.ok()) error = {Reason::MalformedPacket, "framing error"};
    impl_->fail(*c, error, now);
}

void Engine::on_closed(ConnectionId id, Millis now) {
    Connection* c = impl_->find_conn(id);
    if (c == nullptr) return;  // we closed it ourselves and already cleaned up
    // The peer went away without DISCONNECT: publish the Will [MQTT-3.1.2-8].
    impl_->drop_connection(*c, now, detail::CloseKind::Abnormal, true);
}

void Engine::on_writable(ConnectionId id, Millis now) {
    Connection* c = impl_->find_conn(id);
    if (c == nullptr) return;
    c->backpressured = false;
    if (c->state == ConnState::Connected && c->session != nullptr) impl_->pump(*c->session, *c, now);
}

void Engine::tick(Millis now) {
    while (impl_->run_next_timer(now)) {
    }
}

Millis Engine::next_deadline() const { return impl_->next_deadline(); }

void Engine::shutdown(Millis now) { impl_->shutdown(now); }

std::uint32_t Engine::max_incoming_packet_size() const { return impl_->cfg.max_packet_size; }

const EngineStats& Engine::stats() const { return impl_->stats; }

QueueStats Engine::queue_stats() const {
    QueueStats q;
    impl_->sessions.for_each([&q](detail::Session& s) {
        q.queued += s.queue.size();
        q.inflight += s.inflight.size();
        ++q.sessions;
    });
    return q;
}

void Engine::on_auth_result(ConnectionId id, bool ok, Millis now) {
    Connection* c = impl_->find_conn(id);
    if (c == nullptr || !c->pending_connect) return;  // closed while the check ran
    impl_->on_auth_result(*c, ok, now);
}
SessionBacklog Engine::session_backlog(const std::string& client_id) const {
    SessionBacklog b;
    const detail::Session* s = impl_->sessions.find(client_id);
    if (s == nullptr) return b;
    b.exists = true;
    b.queued = s->queue.size();
    b.queued_bytes = s->queued_bytes;
    b.inflight = s->inflight.size();
    b.dropped = s->dropped;
    return b;
}

std::vector<std::string> Engine::session_filters(const std::string& client_id) const {
    std::vector<std::string> out;
    const detail::Session* s = impl_->sessions.find(client_id);
    if (s != nullptr) {
        for (const auto& kv : s->subs) out.push_back(kv.first);
    }
    return out;
}

bool Engine::acks_held() const { return !impl_->held_acks.empty(); }

void Engine::on_commit(bool ok, mqtt::Reason failure, Millis now) { impl_->on_commit(ok, failure, now); }

}  // namespace mote::broker
