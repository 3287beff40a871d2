// Incoming PUBLISH and PUBREL: topic aliases, flow control, QoS 1/2 receipt, size
// limits, the retained store, and handing the message to routing.
#include <algorithm>

#include "engine/engine_impl.hpp"

namespace mote::broker {

using detail::Connection;
using detail::Session;
using mqtt::PacketType;
using mqtt::PropertyId;
using mqtt::Reason;

namespace {

std::string_view view(mqtt::Bytes b) { return {b.chars(), b.size}; }

bool is_sys_topic(std::string_view t) { return t.substr(0, 5) == "$SYS/" || t == "$SYS"; }

}  // namespace

mqtt::Error Engine::Impl::resolve_alias(Connection& c, const mqtt::Publish& p, std::string_view& topic) const {
    mqtt::Property alias;
    if (!mqtt::is_v5(c.version) || !p.props.find(PropertyId::TopicAlias, alias)) {
        if (topic.empty()) return {Reason::ProtocolError, "empty topic without alias"};
        return mqtt::kOk;
    }
    // [MQTT-3.3.2-8] [MQTT-3.2.2-17]: 0 and values above our Topic Alias Maximum.
    if (alias.number == 0 || alias.number > cfg.max_topic_alias) return {Reason::TopicAliasInvalid, "topic alias"};
    const std::size_t idx = alias.number - 1;
    if (!topic.empty()) {
        if (!c.aliases) c.aliases = std::make_unique<std::vector<std::string>>();
        std::vector<std::string>& aliases = *c.aliases;
        if (aliases.size() <= idx) aliases.resize(idx + 1);
        if (aliases[idx] != topic) aliases[idx].assign(topic);
        return mqtt::kOk;
    }
    if (!c.aliases || idx >= c.aliases->size() || (*c.aliases)[idx].empty()) {
        // 5.0 §3.3.2.3.4: an alias with no mapping is a Protocol Error.
        return {Reason::ProtocolError, "unmapped topic alias"};
    }
    topic = (*c.aliases)[idx];
    return mqtt::kOk;
}

MessagePtr Engine::Impl::make_message(const mqtt::Publish& p, std::string_view topic, const std::string& origin,
                                      Millis now) {
    MessageFields f;
    f.topic = topic;
    f.payload = p.payload.data;
    f.payload_size = p.payload.size;
    f.origin_client_id = origin;
    f.qos = p.qos;
    f.retain = p.retain;
    f.received_at = now;
    if (!p.props.empty()) {
        mqtt::Property exp;
        if (p.props.find(PropertyId::MessageExpiryInterval, exp)) f.expires_at = now + Millis{exp.number} * 1000;
        // Forward everything else in order (user properties, payload format, content
        // type, response topic, correlation data) [MQTT-3.3.2-17] [MQTT-3.3.2-20]
        // [MQTT-3.3.2-15]; Topic Alias and Subscription Identifier are per hop.
        msg_props.resize(p.props.raw().size);
        mqtt::PropertyBuilder b(msg_props.data(), msg_props.size());
        for (const mqtt::Property& pr : p.props) {
            if (pr.id == PropertyId::TopicAlias || pr.id == PropertyId::SubscriptionIdentifier ||
                pr.id == PropertyId::MessageExpiryInterval) {
                continue;
            }
            b.add(pr);
        }
        f.properties = msg_props.data();
        f.properties_size = b.size();
    }
    return Message::make(f, &message_pool);
}

void Engine::Impl::on_publish(Connection& c, const mqtt::Publish& p, Millis now) {
    Session& s = *c.session;
    const bool v5 = mqtt::is_v5(c.version);
    std::string_view topic = view(p.topic);
    if (mqtt::Error e = resolve_alias(c, p, topic)) {
        fail(c, e, now);
        return;
    }
    if (v5 && p.props.has(PropertyId::SubscriptionIdentifier)) {
        // [MQTT-3.3.4-6]: a client must not send a Subscription Identifier.
        fail(c, {Reason::ProtocolError, "subscription identifier in PUBLISH"}, now);
        return;
    }
    if (p.retain && !cfg.retain_available) {
        fail(c, {Reason::RetainNotSupported, "retain unavailable"}, now);  // [MQTT-3.2.2-14]
        return;
    }
    // Only a topic of at least max_topic_levels bytes can hold that many '/': the
    // common short topic is not scanned.
    if (cfg.max_topic_levels != 0 && topic.size() >= cfg.max_topic_levels &&
        static_cast<std::size_t>(std::count(topic.begin(), topic.end(), '/')) >= cfg.max_topic_levels) {
        // More levels than max_topic_levels: Mosquitto compatibility (0x82, as
        // mosquitto 2.0 does above its compiled-in 200 separators).
        fail(c, {Reason::ProtocolError, "too many topic levels"}, now);
        return;
    }
    if (p.qos == 2 && s.incoming_qos2.count(p.packet_id) != 0) {
        // [MQTT-4.3.3-10]: PUBREC again, no second onward delivery. A message still
        // held for its PUBREL is replaced by the resent one, as mosquitto does.
        if (!is_sys_topic(topic) && s.incoming_qos2.holds(p.packet_id)) {
            s.incoming_qos2.set(p.packet_id, make_message(p, topic, s.client_id, now));
            sessions.session_changed(s);
        }
        send_ack(c, PacketType::Pubrec, p.packet_id, Reason::Success);
        return;
    }
    if (v5 && p.qos == 2 && cfg.max_inflight_messages != 0 &&
        s.incoming_qos2.size() >= cfg.max_inflight_messages) {
        // More unacknowledged QoS 2 than our Receive Maximum [MQTT-3.3.4-9]. QoS 1
        // is acknowledged at once, so only QoS 2 flows can be outstanding.
        fail(c, {Reason::ReceiveMaximumExceeded, "receive maximum exceeded"}, now);
        return;
    }
    ++stats.messages_received;
    ++stats.publish_received_by_qos[p.qos];
    const PacketType ack = p.qos == 1 ? PacketType::Puback : PacketType::Pubrec;
    if (cfg.message_size_limit != 0 && p.payload.size > cfg.message_size_limit) {
        // Policy: the message is dropped. 5.0 QoS > 0 is told so with 0x97 Quota
        // Exceeded; 3.1.1 has no way to say it, so it is acknowledged and dropped.
        ++stats.messages_dropped;
        if (p.qos > 0) send_ack(c, ack, p.packet_id, v5 ? Reason::QuotaExceeded : Reason::Success);
        if (p.qos == 2 && !v5) s.incoming_qos2.set(p.packet_id, nullptr);
        return;
    }
    if (any_acl && !acl_allows(s, topic, detail::kAclWrite)) {
        publish_denied(c, p, topic);  // auth_hooks.cpp
        return;
    }
    // Clients cannot publish into $SYS: such messages are dropped. 5.0 QoS 1/2 is
    // told so with 0x87 Not authorized, as mosquitto does; 3.1.1 has no way to say
    // it, so the message is acknowledged as accepted.
    // A bridge may: its connection state topic is $SYS/broker/connection/... .
    const bool sys = is_sys_topic(topic) && s.bridge == nullptr;
    if (sys && v5 && p.qos > 0) {
        send_ack(c, ack, p.packet_id, Reason::NotAuthorized);
        return;
    }
    if (p.qos == 2) {
        // Mosquitto compatibility (5.0 §4.3.3 allows either): the message is held
        // and passed on when its PUBREL arrives, so a client subscribed to its own
        // topic reads PUBREC before the onward PUBLISH. The held messages are bounded
        // by max_inflight_messages (0x93 above it in 5.0, above); a 3.1.1 client
        // beyond it gets its messages passed on at once instead.
        MessagePtr m = sys ? nullptr : make_message(p, topic, s.client_id, now);
        if (m && cfg.max_inflight_messages != 0 && s.incoming_qos2.size() >= cfg.max_inflight_messages) {
            publish_message(m, now);
            m = nullptr;
        }
        s.incoming_qos2.set(p.packet_id, std::move(m));
        sessions.session_changed(s);  // the held message is part of the durable session
        send_ack(c, PacketType::Pubrec, p.packet_id, Reason::Success);
        return;
    }
    const bool matched = !sys && publish_message(make_message(p, topic, s.client_id, now), now);
    if (p.qos == 1) {
        // 5.0: PUBACK 0x10 when nobody subscribed (a MAY in §3.4.2.1; Mosquitto
        // compatibility).
        send_ack(c, PacketType::Puback, p.packet_id,
                 v5 && !matched && !sys ? Reason::NoMatchingSubscribers : Reason::Success);
    }
}

bool Engine::Impl::publish_message(const MessagePtr& m, Millis now) {
    if (m->retain) {
        // [MQTT-3.3.1-5] store (replacing), [MQTT-3.3.1-6]/[MQTT-3.3.1-10] an empty
        // payload clears the retained message and is not stored.
        if (m->payload.empty()) {
            retained.clear(std::string(m->topic));
        } else {
            retained.set(std::string(m->topic), m);
        }
        stats.retained_messages = retained.size();
    }
    return route(m, now);
}

void Engine::Impl::on_pubrel(Connection& c, const mqtt::Ack& a, Millis now) {
    Session& s = *c.session;
    MessagePtr m;
    if (s.incoming_qos2.take(a.packet_id, m)) {
        sessions.session_changed(s);
        // The onward PUBLISH goes before the PUBCOMP, as in mosquitto.
        if (m) publish_message(m, now);
    }
    // [MQTT-4.3.3-11]. A PUBREL for an unknown id gets a plain PUBCOMP too: the
    // spec allows 0x92, but mosquitto sends 0x00 (Mosquitto compatibility).
    send_ack(c, PacketType::Pubcomp, a.packet_id, Reason::Success);
}

}  // namespace mote::broker
