// SUBSCRIBE and UNSUBSCRIBE: per-filter validation, the trie, Subscription
// Identifiers, and retained messages on subscribe per Retain Handling.
#include <algorithm>

#include "engine/engine_impl.hpp"
#include "mote/common/topic.hpp"

namespace mote::broker {

using detail::Connection;
using detail::Delivery;
using detail::Session;
using mqtt::PacketType;
using mqtt::PropertyId;
using mqtt::Reason;

namespace {

std::string_view view(mqtt::Bytes b) { return {b.chars(), b.size}; }

struct RetainRequest {
    std::string filter;
    std::uint8_t qos;
    std::uint32_t sub_id;
};

}  // namespace

void Engine::Impl::on_subscribe(Connection& c, const mqtt::Subscribe& p, Millis now) {
    Session& s = *c.session;
    const bool v5 = mqtt::is_v5(c.version);
    for (const mqtt::SubscribeEntry e : p.entries) {
        mqtt::SharedFilter sf;
        if (mqtt::parse_shared(e.filter, sf)) continue;  // a bad $share prefix is refused per filter below
        if (sf.is_shared && e.options.no_local) {
            // [MQTT-3.8.3-4], checked before anything is applied.
            fail(c, {Reason::ProtocolError, "No Local on a shared subscription"}, now);
            return;
        }
        if (mqtt::Error bad = mqtt::validate_topic_filter(e.filter, cfg.max_topic_levels)) {
            // A misplaced wildcard [MQTT-4.7.1-1] [MQTT-4.7.1-2] or more levels than
            // max_topic_levels [MQTT-4.7.3-3]: Mosquitto compatibility, the whole
            // packet is Malformed (5.0 DISCONNECT 0x81, 3.1.1 close [MQTT-4.8.0-1]).
            fail(c, {Reason::MalformedPacket, bad.cause}, now);
            return;
        }
    }
    const std::uint32_t sub_id = v5 ? p.props.number(PropertyId::SubscriptionIdentifier, 0) : 0;
    std::vector<std::uint8_t> codes;
    codes.reserve(p.entries.size());
    std::vector<RetainRequest> retained_wanted;
    for (const mqtt::SubscribeEntry e : p.entries) {
        mqtt::SharedFilter sf;
        if (mqtt::parse_shared(e.filter, sf)) {
            // [MQTT-4.8.2-1] [MQTT-4.8.2-2]: refused per filter, never stored.
            codes.push_back(v5 ? static_cast<std::uint8_t>(Reason::TopicFilterInvalid) : 0x80);
            continue;
        }
        if (any_acl && !acl_allows_subscribe(s, sf.filter)) {
            codes.push_back(0x80);  // also in 5.0, not 0x87: see docs/security.md
            continue;
        }
        mqtt::SubscribeOptions opts = e.options;
        if (c.bridge) {
            // A 3.1/3.1.1 bridge (try_private, a mosquitto convention) gets what a 5.0
            // bridge asks for: its own messages are not sent back (No Local
            // [MQTT-3.8.3-3]) and forwarded ones keep their retain flag (Retain As
            // Published [MQTT-3.3.1-12]), as mosquitto 2.0's handle_subscribe.c does.
            // Set once here, so routing pays nothing. A shared subscription cannot be
            // No Local [MQTT-3.8.3-4]; mosquitto's shared path ignores it too.
            opts.no_local = !sf.is_shared;
            opts.retain_as_published = true;
        }
        detail::SubEntry entry{&s, opts.qos, opts.no_local, opts.retain_as_published, sub_id};
        const bool is_new = trie.add(view(sf.filter), sf.is_shared ? view(sf.group) : std::string_view{}, entry);
        if (is_new) ++stats.subscriptions;
        detail::SubRecord& rec = s.subs[std::string(view(e.filter))];
        rec.options = opts;
        rec.sub_id = sub_id;
        codes.push_back(e.options.qos);  // Maximum QoS is 2: the granted QoS is the requested one
        // Retained messages: Retain Handling 0 always, 1 for a new subscription only,
        // 2 never [MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11]; never for a shared
        // subscription (5.0 §4.8.2).
        const std::uint8_t rh = e.options.retain_handling;
        if (!sf.is_shared && (rh == 0 || (rh == 1 && is_new))) {
            retained_wanted.push_back({std::string(view(e.filter)), e.options.qos, sub_id});
        }
    }
    mqtt::SubackLike ack;
    ack.packet_id = p.packet_id;
    ack.codes = mqtt::Bytes(codes.data(), codes.size());
    sessions.session_changed(s);
    send_packet(c, mqtt::make_suback(PacketType::Suback, ack));
    for (const RetainRequest& r : retained_wanted) send_retained(s, r.filter, r.qos, r.sub_id, now);
}

void Engine::Impl::send_retained(Session& s, std::string_view filter, std::uint8_t qos, std::uint32_t sub_id,
                                 Millis now) {
    const mqtt::Bytes f = mqtt::Bytes::of(filter.data(), filter.size());
    std::vector<MessagePtr> matches;
    std::vector<std::string> expired;
    if (!mqtt::has_wildcard(f)) {
        // A plain filter names one topic: no scan of the store.
        if (MessagePtr m = retained.find(std::string(filter))) matches.push_back(std::move(m));
    } else {
        retained.for_each([&](const MessagePtr& m) {
            if (mqtt::topic_matches(f, mqtt::Bytes::of(m->topic.data(), m->topic.size()))) matches.push_back(m);
        });
    }
    for (const MessagePtr& m : matches) {
        if (m->expires_at != 0 && m->expires_at <= now) {
            expired.push_back(std::string(m->topic));  // 5.0 §3.3.2.3.3: no longer delivered, so forgotten
            continue;
        }
        Delivery d;
        d.msg = m;
        d.qos = std::min(m->qos, qos);
        d.retain = true;  // [MQTT-3.3.1-8]: retain set when sent because of a subscription
        if (sub_id != 0) d.sub_ids.push_back(sub_id);
        deliver(s, std::move(d), now);
    }
    for (const std::string& t : expired) retained.clear(t);
    stats.retained_messages = retained.size();
}

void Engine::Impl::on_unsubscribe(Connection& c, const mqtt::Unsubscribe& p) {
    Session& s = *c.session;
    std::vector<std::uint8_t> codes;
    codes.reserve(p.filters.size());
    for (const mqtt::Bytes f : p.filters) {
        auto it = s.subs.find(std::string(view(f)));
        if (it == s.subs.end()) {
            codes.push_back(static_cast<std::uint8_t>(Reason::NoSubscriptionExisted));
            continue;
        }
        mqtt::SharedFilter sf;
        mqtt::parse_shared(f, sf);
        if (trie.remove(view(sf.filter), sf.is_shared ? view(sf.group) : std::string_view{}, &s)) {
            --stats.subscriptions;
        }
        s.subs.erase(it);
        codes.push_back(static_cast<std::uint8_t>(Reason::Success));
    }
    mqtt::SubackLike ack;
    ack.packet_id = p.packet_id;
    // 3.1.1 UNSUBACK carries no codes [MQTT-3.11.3-1 of 5.0 only].
    if (mqtt::is_v5(c.version)) ack.codes = mqtt::Bytes(codes.data(), codes.size());
    sessions.session_changed(s);
    send_packet(c, mqtt::make_suback(PacketType::Unsuback, ack));
}

void Engine::Impl::remove_all_subscriptions(Session& s) {
    for (const auto& kv : s.subs) {
        mqtt::SharedFilter sf;
        mqtt::parse_shared(mqtt::Bytes::of(kv.first.data(), kv.first.size()), sf);
        if (trie.remove(view(sf.filter), sf.is_shared ? view(sf.group) : std::string_view{}, &s)) {
            --stats.subscriptions;
        }
    }
    s.subs.clear();
}

}  // namespace mote::broker
