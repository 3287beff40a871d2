// Routing and outgoing delivery: the match, overlapping and shared subscriptions,
// per-subscriber QoS and flags, the in-flight window, the queue and its drop policy,
// acknowledgements from subscribers and redelivery on session resume.
#include <algorithm>
#include <cstring>

#include "engine/engine_impl.hpp"
#include "engine/fast_wire.hpp"

namespace mote::broker {

using detail::Connection;
using detail::Delivery;
using detail::Inflight;
using detail::OutAction;
using detail::OutState;
using detail::Session;
using detail::Target;
using mqtt::PacketType;
using mqtt::PropertyId;
using mqtt::Reason;

namespace {

bool expired(const Message& m, Millis now) { return m.expires_at != 0 && m.expires_at <= now; }

std::uint64_t queue_cost(const Delivery& d) { return d.msg->payload.size() + d.msg->topic.size(); }

}  // namespace

Target& Engine::Impl::target_for(Session& s) {
    if (s.route_epoch == route_epoch) return targets[s.route_slot];
    s.route_epoch = route_epoch;
    s.route_slot = static_cast<std::uint32_t>(targets.size());
    targets.emplace_back();
    targets.back().session = &s;
    return targets.back();
}

bool Engine::Impl::route(const MessagePtr& m, Millis now) {
    ++route_epoch;
    targets.clear();
    match_subs.clear();
    match_groups.clear();
    trie.match(m->topic, match_subs, match_groups);
    for (const detail::SubEntry* e : match_subs) {
        // No Local [MQTT-3.8.3-3]: not back to the publishing client.
        if (e->no_local && e->session->client_id == m->origin_client_id) continue;
        if (mqtt::is_v5(e->session->version)) {
            // Overlapping subscriptions of a 5.0 session: one copy per matching
            // subscription, each with its own QoS and Subscription Identifier
            // ([MQTT-3.3.4-2] allows the further copies, [MQTT-3.3.4-4]), as
            // mosquitto sends them (Mosquitto compatibility).
            Target t;
            t.session = e->session;
            t.qos = e->qos;
            t.retain_as_published = e->retain_as_published;
            if (e->sub_id != 0) t.sub_ids.push_back(e->sub_id);
            targets.push_back(std::move(t));
            continue;
        }
        // Overlapping subscriptions of a 3.1.1 session: one delivery at the highest
        // QoS [MQTT-3.3.4-2] (3.1.1 [MQTT-3.3.5-1]), as mosquitto does.
        Target& t = target_for(*e->session);
        t.qos = std::max(t.qos, e->qos);
        t.retain_as_published = t.retain_as_published || e->retain_as_published;
        if (e->sub_id != 0) t.sub_ids.push_back(e->sub_id);
    }
    for (detail::SharedGroup* g : match_groups) {
        // One member per group, round robin, skipping members whose session is
        // offline; when every member is offline the next one queues it.
        const std::size_t n = g->members.size();
        std::size_t pick = g->next % n;
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t i = (g->next + k) % n;
            if (g->members[i].session->conn != 0) {
                pick = i;
                break;
            }
        }
        g->next = pick + 1;
        const detail::SubEntry& e = g->members[pick];
        Target t;
        t.session = e.session;
        t.qos = e.qos;
        t.retain_as_published = e.retain_as_published;
        if (e.sub_id != 0) t.sub_ids.push_back(e.sub_id);
        targets.push_back(std::move(t));
    }
    for (Target& t : targets) {
        Delivery d;
        d.msg = m;
        d.qos = std::min(m->qos, t.qos);  // downgrade to the granted QoS [MQTT-3.8.4-8]
        // The retain flag is cleared on normal forwarding unless Retain As Published
        // [MQTT-3.3.1-12] [MQTT-3.3.1-13].
        d.retain = t.retain_as_published && m->retain;
        d.sub_ids = std::move(t.sub_ids);
        deliver(*t.session, std::move(d), now);
    }
    const bool matched = !targets.empty();
    targets.clear();
    return matched;
}

std::uint32_t Engine::Impl::window(const Connection& c) const {
    if (c.peer.bridge != nullptr) return c.client_receive_max;  // the bridge sizes its own window
    const std::uint32_t mine = cfg.max_inflight_messages == 0 ? 65535u : cfg.max_inflight_messages;
    return std::min<std::uint32_t>(mine, c.client_receive_max);
}

void Engine::Impl::deliver(Session& s, Delivery&& d, Millis now) {
    // Read access with the ACL in force now (routing, retained messages, Wills).
    if (any_acl && !acl_allows(s, d.msg->topic, detail::kAclRead)) return;
    if (expired(*d.msg, now)) {
        ++stats.messages_dropped;
        return;
    }
    Connection* c = live_conn(s);
    if (c == nullptr) {
        // Offline persistent sessions keep QoS 1/2 only, as mosquitto does by default.
        if (d.qos > 0) enqueue(s, std::move(d));
        return;
    }
    if (s.queue.empty() && !c->backpressured) {
        if (d.qos == 0) {
            send_publish(*c, d, 0, false, now);
            return;
        }
        if (s.inflight.size() < window(*c)) {
            start_inflight(s, *c, std::move(d), now);
            return;
        }
    }
    enqueue(s, std::move(d));
}

void Engine::Impl::note_drop(Session& s) {
    ++stats.messages_dropped;
    if (!s.drop_logged) {
        // One line per burst: the flag is cleared when the queue drains.
        s.drop_logged = true;
        if (log.enabled(LogLevel::Warning)) {
            log.log(LogLevel::Warning, "queue full client=%s queued=%zu: dropping messages", s.client_id.c_str(),
                    s.queue.size());
        }
    }
}

void Engine::Impl::enqueue(Session& s, Delivery&& d) {
    const std::uint64_t cost = queue_cost(d);
    if (s.bridge != nullptr) {
        enqueue_backlog(s, std::move(d), cost);
        return;
    }
    auto full = [&] {
        return (cfg.max_queued_messages != 0 && s.queue.size() >= cfg.max_queued_messages) ||
               (cfg.max_queued_bytes != 0 && s.queued_bytes + cost > cfg.max_queued_bytes);
    };
    while (full()) {
        // Drop policy: QoS 0 goes first. A new QoS 0 message is dropped; a new QoS
        // 1/2 message evicts the oldest queued QoS 0, or is dropped when none is left.
        std::size_t victim = s.queue.size();
        if (d.qos != 0) {
            for (std::size_t i = 0; i < s.queue.size(); ++i) {
                if (s.queue[i].qos == 0) {
                    victim = i;
                    break;
                }
            }
        }
        if (victim == s.queue.size()) {
            note_drop(s);
            return;
        }
        s.queued_bytes -= queue_cost(s.queue[victim]);
        s.queue.erase(victim);
        note_drop(s);
    }
    s.queued_bytes += cost;
    const bool durable = d.qos > 0;
    s.queue.push_back(std::move(d));
    if (durable) sessions.session_changed(s);
}

void Engine::Impl::enqueue_backlog(Session& s, Delivery&& d, std::uint64_t cost) {
    // A bridge's store-and-forward backlog (docs/bridge.md): at its limits the
    // oldest queued message makes room, so that what goes upstream after an outage
    // is the newest data; every drop is counted.
    const BridgeConfig& b = *s.bridge;
    auto full = [&] {
        return (b.max_queued_messages != 0 && s.queue.size() >= b.max_queued_messages) ||
               (b.max_queued_bytes != 0 && s.queued_bytes + cost > b.max_queued_bytes);
    };
    while (full()) {
        if (s.queue.empty()) {  // one message above the byte limit on its own
            ++s.dropped;
            note_drop(s);
            return;
        }
        s.queued_bytes -= queue_cost(s.queue[0]);
        s.queue.erase(0);
        ++s.dropped;
        note_drop(s);
        sessions.session_changed(s);  // the store forgets the dropped row too
    }
    s.queued_bytes += cost;
    const bool durable = d.qos > 0;
    s.queue.push_back(std::move(d));
    if (durable) sessions.session_changed(s);
}

std::uint16_t Engine::Impl::next_packet_id(Session& s) {
    // Never reuse an id whose flow is not complete [MQTT-2.2.1-3]; the window is at
    // most 65535 so a free id always exists.
    for (;;) {
        const std::uint64_t tick = ++s.id_clock;
        const auto id = static_cast<std::uint16_t>(tick);
        if (id == 0) continue;
        // Flows are in tick order: if the oldest is less than a full id cycle old,
        // no live flow can carry this id.
        if (s.inflight.empty() || tick - s.inflight.front().tick < 65536) return id;
        bool used = false;
        for (std::size_t i = 0; i < s.inflight.size() && !used; ++i) used = s.inflight[i].packet_id == id;
        if (!used) return id;
    }
}

bool Engine::Impl::start_inflight(Session& s, Connection& c, Delivery&& d, Millis now) {
    const std::uint16_t id = next_packet_id(s);
    if (!send_publish(c, d, id, false, now)) return false;
    Inflight f;
    f.packet_id = id;
    f.tick = s.id_clock;
    f.state = d.qos == 1 ? OutState::AwaitPuback : OutState::AwaitPubrec;
    f.d = std::move(d);
    s.inflight.push_back(std::move(f));
    sessions.session_changed(s);
    return true;
}

bool Engine::Impl::send_publish(Connection& c, const Delivery& d, std::uint16_t packet_id, bool dup, Millis now) {
    const Message& m = *d.msg;
    std::size_t header = 0;
    detail::AliasUse alias;
    if (mqtt::is_v5(c.version)) {
        header = encode_v5_publish_header(c, d, packet_id, dup, now, alias);
    } else if (expired(m, now) && !dup) {
        ++stats.messages_dropped;
        return false;
    } else {
        enc.resize(detail::publish_header_311_size(m.topic.size()));
        header = detail::encode_publish_header_311(d.qos, dup, d.retain, m.topic, packet_id, m.payload.size(),
                                                   enc.data());
    }
    if (header == 0 || (c.client_max_packet != 0 && header + m.payload.size() > c.client_max_packet)) {
        // Expired, or larger than the subscriber's Maximum Packet Size: dropped for
        // it [MQTT-3.1.2-25].
        ++stats.messages_dropped;
        return false;
    }
    if (alias.is_new) {
        // The alias is taken only now that the packet that tells the client about
        // it goes out: a dropped packet must not leave the two tables apart.
        if (!c.out_aliases) c.out_aliases = std::make_unique<detail::OutboundAliases>();
        c.out_aliases->add(m.topic, alias.alias);
    }
    ++stats.messages_sent;
    stats.bytes_sent += header + m.payload.size();
    ++stats.publish_sent_by_qos[d.qos];
    stats.publish_bytes_sent_by_qos[d.qos] += header + m.payload.size();
    if (io.send_publish(c.id, mqtt::Bytes(enc.data(), header), d.msg) == SendResult::Backpressure) {
        c.backpressured = true;
    }
    return true;
}

detail::AliasUse Engine::Impl::outbound_alias(const Connection& c, std::string_view topic) const {
    detail::AliasUse use;
    if (c.client_alias_max == 0) return use;
    std::size_t given = 0;
    if (c.out_aliases) {
        const auto& table = c.out_aliases->by_topic;
        if (auto it = table.find(topic); it != table.end()) {
            use.alias = it->second;
            return use;
        }
        given = table.size();
    }
    if (given >= c.client_alias_max) return use;  // the client's table is full
    // Alias values run from 1 to the client's maximum [MQTT-3.3.2-9] [MQTT-3.3.2-10].
    use.alias = static_cast<std::uint16_t>(given + 1);
    use.is_new = true;
    return use;
}

std::size_t Engine::Impl::encode_v5_publish_header(const Connection& c, const Delivery& d, std::uint16_t packet_id,
                                                   bool dup, Millis now, detail::AliasUse& alias) {
    const Message& m = *d.msg;
    mqtt::Publish p;
    p.qos = d.qos;
    p.dup = dup;  // [MQTT-3.3.1-1]: set on redelivery only
    p.retain = d.retain;
    p.topic = mqtt::Bytes::of(m.topic.data(), m.topic.size());
    p.packet_id = packet_id;
    p.payload = mqtt::Bytes(m.payload.data(), m.payload.size());
    const std::size_t base = m.properties.size();
    props_buf.resize(base + 11 + 5 * d.sub_ids.size());
    if (base != 0) std::memcpy(props_buf.data(), m.properties.data(), base);
    mqtt::PropertyBuilder b(props_buf.data() + base, props_buf.size() - base);
    if (m.expires_at != 0) {
        if (m.expires_at <= now && !dup) return 0;  // expired before onward delivery started
        // The interval left, rounded up [MQTT-3.3.2-6]; a redelivery that started
        // before expiry still goes out, with the smallest interval (1 s).
        const Millis left = m.expires_at > now ? m.expires_at - now : 1;
        b.add_u32(PropertyId::MessageExpiryInterval, static_cast<std::uint32_t>((left + 999) / 1000));
    }
    for (std::uint32_t id : d.sub_ids) b.add_varint(PropertyId::SubscriptionIdentifier, id);
    alias = outbound_alias(c, m.topic);
    if (alias.alias != 0) {
        b.add_u16(PropertyId::TopicAlias, alias.alias);
        // A known alias replaces the topic: an empty Topic Name (§3.3.2.3.4).
        if (!alias.is_new) p.topic = mqtt::Bytes();
    }
    p.props = mqtt::Properties(mqtt::Bytes(props_buf.data(), base + b.size()));
    const std::size_t header = mqtt::publish_header_size(p, c.version);
    if (header == 0) return 0;
    enc.resize(header);
    return mqtt::encode_publish_header(p, c.version, enc.data(), enc.size());
}

void Engine::Impl::pump(Session& s, Connection& c, Millis now) {
    while (!c.backpressured && !s.queue.empty()) {
        Delivery& front = s.queue.front();
        if (front.qos > 0 && s.inflight.size() >= window(c)) break;
        Delivery d = s.queue.pop_front();
        s.queued_bytes -= queue_cost(d);
        if (expired(*d.msg, now)) {
            ++stats.messages_dropped;  // 5.0 §3.3.2.3.3: never sent once expired
            continue;
        }
        // Queued under an older ACL (SIGHUP since): checked again with the one in force.
        if (any_acl && !acl_allows(s, d.msg->topic, detail::kAclRead)) continue;
        if (d.qos == 0) {
            send_publish(c, d, 0, false, now);
        } else {
            start_inflight(s, c, std::move(d), now);
        }
    }
    if (s.queue.empty()) s.drop_logged = false;
}

namespace {

// The index of the flow with `packet_id`, or inflight.size(). Clients acknowledge
// mostly in order, so the search usually ends at the front.
std::size_t find_flow(const detail::Ring<Inflight>& inflight, std::uint16_t packet_id) {
    std::size_t i = 0;
    while (i < inflight.size() && inflight[i].packet_id != packet_id) ++i;
    return i;
}

}  // namespace

void Engine::Impl::on_ack(Connection& c, PacketType type, const mqtt::Ack& a, Millis now) {
    Session& s = *c.session;
    const std::size_t i = find_flow(s.inflight, a.packet_id);
    if (i == s.inflight.size()) {
        // HOSTILE row 51: unknown PUBACK/PUBCOMP are ignored; an unknown PUBREC is
        // answered with a PUBREL so the client can finish its side. 5.0 §4.3.3
        // allows 0x92 there; mosquitto sends 0x00 (Mosquitto compatibility).
        if (type == PacketType::Pubrec && !mqtt::is_error(a.reason)) {
            send_ack(c, PacketType::Pubrel, a.packet_id, Reason::Success);
        }
        return;
    }
    Inflight& f = s.inflight[i];
    const detail::OutTransition t = detail::out_transition(f.state, type, a.reason);
    switch (t.action) {
    case OutAction::ProtocolError:
        // Mosquitto 2.0 closes the connection here too (checked side by side in
        // tests/interop/compat): 0x82 in 5.0, a plain close in 3.1.1.
        fail(c, {Reason::ProtocolError, "acknowledgement of the wrong type"}, now);
        return;
    case OutAction::SendPubrel:
        f.state = t.next;
        sessions.session_changed(s);
        send_ack(c, PacketType::Pubrel, a.packet_id, Reason::Success);
        return;
    case OutAction::Complete:
        s.inflight.erase(i);
        sessions.session_changed(s);
        pump(s, c, now);
        return;
    }
}

void Engine::Impl::resume_session(Session& s, Connection& c, Millis now) {
    // [MQTT-4.4.0-1]: resend unacknowledged PUBLISH (DUP set) and PUBREL packets
    // with their original packet ids, in their original order (`inflight` is kept
    // in send order).
    for (std::size_t i = 0; i < s.inflight.size();) {
        Inflight& f = s.inflight[i];
        if (f.state == OutState::AwaitPubcomp) {
            send_ack(c, PacketType::Pubrel, f.packet_id, Reason::Success);
        } else if (!send_publish(c, f.d, f.packet_id, true, now)) {
            s.inflight.erase(i);  // too large for the new connection
            continue;
        }
        ++i;
    }
    pump(s, c, now);
}

}  // namespace mote::broker
