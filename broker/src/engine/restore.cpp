// Start-up from a durable store (the sessions and retained messages are already in
// the stores: this rebuilds what the engine derives from them) and the commit
// barrier of strict durability. No SQLite here: the store lives in
// broker/src/store/ and the net layer runs its commits.
#include <unordered_set>

#include "engine/engine_impl.hpp"
#include "mote/common/topic.hpp"

namespace mote::broker {

using detail::CloseKind;
using detail::Connection;
using detail::ConnState;
using detail::Session;
using mqtt::PacketType;
using mqtt::Reason;

namespace {

std::string_view view(mqtt::Bytes b) { return {b.chars(), b.size}; }

}  // namespace

Engine::Impl::~Impl() {
    // A durable store outlives the engine, but its Messages may come from
    // message_pool, which goes with the engine.
    if (store != nullptr) store->release_memory();
}

void Engine::Impl::restore(Millis now) {
    std::vector<Session*> all;
    sessions.for_each([&all](Session& s) { all.push_back(&s); });
    for (Session* s : all) {
        s->conn = 0;
        for (const auto& [filter, rec] : s->subs) {
            mqtt::SharedFilter sf;
            if (mqtt::parse_shared(mqtt::Bytes::of(filter.data(), filter.size()), sf)) continue;  // checked when stored
            const detail::SubEntry entry{s, rec.options.qos, rec.options.no_local, rec.options.retain_as_published,
                                         rec.sub_id};
            if (trie.add(view(sf.filter), sf.is_shared ? view(sf.group) : std::string_view{}, entry)) {
                ++stats.subscriptions;
            }
        }
    }
    stats.clients_total = sessions.size();
    stats.retained_messages = retained.size();
    const std::vector<std::string> online = store->take_were_online();
    const std::unordered_set<std::string> was_online(online.begin(), online.end());
    for (Session* s : all) {
        // Offline sessions keep their expiry and delayed Will (the store converted
        // them to this clock, counting the downtime); a time already past runs at
        // the first tick.
        if (was_online.count(s->client_id) == 0) schedule_session(*s);
    }
    for (const std::string& id : online) {
        // The broker stopped under a live connection: that is an abnormal close
        // (the Will goes out after its delay), seen now.
        if (Session* s = sessions.find(id)) detach_session(*s, now, CloseKind::Abnormal);
    }
    if (log.enabled(LogLevel::Notice)) {
        log.log(LogLevel::Notice, "restored %zu session(s), %llu subscription(s), %zu retained message(s)",
                sessions.size(), static_cast<unsigned long long>(stats.subscriptions), retained.size());
    }
}

void Engine::Impl::on_commit(bool ok, Reason failure, Millis now) {
    std::vector<detail::HeldAck> acks;
    acks.swap(held_acks);
    detail::Persistence* const held_by = store;
    store = nullptr;  // send_ack sends at once while the held ones go out
    for (const detail::HeldAck& a : acks) {
        Connection* c = find_conn(a.conn);
        if (c == nullptr || c->state != ConnState::Connected || c->session == nullptr) continue;
        if (ok) {
            send_ack(*c, a.type, a.packet_id, a.reason);
            continue;
        }
        if (mqtt::is_v5(c->version) && (a.type == PacketType::Puback || a.type == PacketType::Pubrec)) {
            // Not on disk, so not acknowledged: the error code ends the flow and a
            // refused QoS 2 id is free again (5.0 §4.3.3).
            MessagePtr refused;
            if (a.type == PacketType::Pubrec && c->session->incoming_qos2.take(a.packet_id, refused)) {
                sessions.session_changed(*c->session);
            }
            // A success-class code (0x00, or 0x10 No matching subscribers) becomes the
            // failure; a refusal chosen before the commit (0x87, 0x97) stays.
            const bool success_class = static_cast<std::uint8_t>(a.reason) < 0x80;
            send_ack(*c, a.type, a.packet_id, success_class ? failure : a.reason);
            continue;
        }
        fail(*c, {Reason::UnspecifiedError, "store commit failed"}, now);
    }
    store = held_by;
}

}  // namespace mote::broker
