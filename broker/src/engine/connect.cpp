// CONNECT and CONNACK: version, client identifier, authentication policy, session
// takeover and resumption, the client's limits and the CONNACK properties.
#include <algorithm>
#include <cstdio>

#include "engine/engine_impl.hpp"
#include "mote/common/topic.hpp"

namespace mote::broker {

using detail::Connection;
using detail::ConnState;
using detail::Session;
using mqtt::PropertyId;
using mqtt::Reason;
using mqtt::Version;

namespace {

// The protocol level byte of a CONNECT body, read before decoding so that a
// rejected CONNECT is answered in the form its sender understands; 0 if absent.
std::uint8_t peek_protocol_level(mqtt::Bytes body) {
    if (body.size < 2) return 0;
    const std::size_t name_len = (std::size_t{body[0]} << 8) | body[1];
    if (body.size < 2 + name_len + 1) return 0;
    return body[2 + name_len];
}

// Whether a CONNECT body starts with a Protocol Name of some MQTT version ("MQTT",
// or 3.1's "MQIsdp").
bool known_protocol_name(mqtt::Bytes body) {
    if (body.size < 2) return false;
    const std::size_t name_len = (std::size_t{body[0]} << 8) | body[1];
    if (body.size < 2 + name_len) return false;
    const std::string_view name(reinterpret_cast<const char*>(body.data) + 2, name_len);
    return name == "MQTT" || name == "MQIsdp";
}

constexpr std::uint16_t kKeepaliveUnlimited = 65535;

}  // namespace

void Engine::Impl::on_connect_packet(Connection& c, std::uint8_t first_byte, mqtt::Bytes body, Millis now) {
    if ((first_byte >> 4) != static_cast<std::uint8_t>(mqtt::PacketType::Connect)) {
        // [MQTT-3.1.0-1]: the first packet must be CONNECT; close without a reply.
        drop_connection(c, now, detail::CloseKind::Abnormal);
        return;
    }
    mqtt::DecodeOptions opts;
    opts.sender = mqtt::Role::Client;
    mqtt::Connect p;
    const mqtt::Error e = mqtt::decode_connect(first_byte, body, opts, p);
    if (e) {
        const std::uint8_t level = peek_protocol_level(body);
        if (!known_protocol_name(body)) {
            // [MQTT-3.1.2-1]: the server MAY close without a CONNACK when the Protocol
            // Name is wrong; Mosquitto compatibility (version stays unknown: no reply).
        } else if (level == 5) {
            c.version = Version::V5;
            c.version_known = true;
        } else if (level == 3 || level == 4 || e.reason == Reason::UnsupportedProtocolVersion) {
            // Other levels get the 3.1.1 form `20 02 00 01` [MQTT-3.1.2-2] (HOSTILE row
            // 15), as mosquitto 2.0 answers them.
            c.version = level == 3 ? Version::V3_1 : Version::V3_1_1;
            c.version_known = true;
        }
        fail(c, e, now);
        return;
    }
    c.version = p.version;
    c.version_known = true;
    c.bridge = p.bridge;
    // Known before any reply, so that even a refusing CONNACK respects it
    // [MQTT-3.2.2-19]; after a CONNECT that did not decode it stays 0 (unknown).
    if (mqtt::is_v5(p.version)) c.client_max_packet = p.props.number(PropertyId::MaximumPacketSize, 0);
    if (mqtt::Error bad = check_connect(c, p)) {
        fail(c, bad, now);  // nothing after a rejected CONNECT is processed [MQTT-3.1.4-6]
        return;
    }
    if (start_password_check(c, first_byte, body, p, now)) return;  // resumes in on_auth_result
    accept_connect(c, p, now);
}

mqtt::Error Engine::Impl::check_connect(const Connection& c, const mqtt::Connect& p) const {
    const bool v5 = mqtt::is_v5(c.version);
    if (c.version == Version::V3_1 && (p.client_id.size < 1 || p.client_id.size > 23)) {
        // MQTT 3.1 §3.1: the Client Identifier is 1 to 23 characters.
        return {Reason::ClientIdentifierNotValid, "3.1 client id length"};
    }
    if (c.version == Version::V3_1_1 && p.client_id.empty() && !p.clean_start) {
        // [MQTT-3.1.3-8]: CONNACK 0x02 and close.
        return {Reason::ClientIdentifierNotValid, "empty client id without clean session"};
    }
    if (!v5) {
        // HOSTILE row 34, as mosquitto: a 3.1.1 keepalive above the maximum (or 0
        // when a maximum is configured) is refused with return code 0x02.
        const bool limited = cfg.max_keepalive < kKeepaliveUnlimited;
        if (p.keep_alive > cfg.max_keepalive || (limited && p.keep_alive == 0)) {
            return {Reason::ClientIdentifierNotValid, "keepalive above max_keepalive"};
        }
    }
    if (v5 && p.props.has(PropertyId::AuthenticationMethod)) {
        // No enhanced authentication method is configured [MQTT-4.12.0-1].
        return {Reason::BadAuthenticationMethod, "unsupported authentication method"};
    }
    if (mqtt::Error anon = anonymous_policy(c, p)) return anon;  // auth_hooks.cpp
    if (p.has_will) {
        if (p.will.topic.empty()) return {Reason::ProtocolError, "empty will topic"};
        if (mqtt::validate_topic_name(p.will.topic)) return {Reason::TopicNameInvalid, "bad will topic"};
        if (p.will.retain && !cfg.retain_available) {
            // 5.0 §3.2.2.3.5: reject a Will with retain when retain is unavailable.
            return {Reason::RetainNotSupported, "will retain unsupported"};
        }
    }
    return mqtt::kOk;
}

std::string Engine::Impl::assign_client_id() {
    char buf[40];
    for (;;) {
        ++assigned_ids;
        std::snprintf(buf, sizeof buf, "mote-%llx-%llx", static_cast<unsigned long long>(started_at),
                      static_cast<unsigned long long>(assigned_ids));
        std::string id(buf);
        if (sessions.find(id) == nullptr) return id;
    }
}

MessagePtr Engine::Impl::make_will(const mqtt::Connect& p, const std::string& client_id, Millis now) const {
    MessageFields f;
    f.topic = std::string_view(p.will.topic.chars(), p.will.topic.size);
    f.payload = p.will.payload.data;
    f.payload_size = p.will.payload.size;
    f.qos = p.will.qos;
    f.retain = p.will.retain;
    f.received_at = now;
    f.origin_client_id = client_id;
    std::vector<std::uint8_t> props;
    if (mqtt::is_v5(p.version)) {
        // Will properties are forwarded like PUBLISH properties, except the Will
        // Delay Interval (broker-side) and the Message Expiry Interval (kept as an
        // absolute time, set when the Will is published).
        props.resize(p.will.props.raw().size);
        mqtt::PropertyBuilder b(props.data(), props.size());
        for (const mqtt::Property& pr : p.will.props) {
            if (pr.id == PropertyId::WillDelayInterval || pr.id == PropertyId::MessageExpiryInterval) continue;
            b.add(pr);
        }
        f.properties = props.data();
        f.properties_size = b.size();
    }
    return Message::make(f);
}

Session& Engine::Impl::attach_session(Connection& c, const mqtt::Connect& p, const std::string& id, bool& present,
                                      Millis now) {
    if (Session* old = sessions.find(id); old != nullptr && old->conn != 0) {
        if (Connection* oc = find_conn(old->conn)) {
            // Session takeover [MQTT-3.1.4-3]: 5.0 gets DISCONNECT 0x8E, 3.1.1 a plain
            // close; the old Will follows the usual rules. Never two live connections.
            if (log.enabled(LogLevel::Notice)) {
                log.log(LogLevel::Notice, "takeover client=%s old=%llu new=%llu", id.c_str(),
                        static_cast<unsigned long long>(oc->id), static_cast<unsigned long long>(c.id));
            }
            if (!mqtt::is_v5(old->version) && old->expiry_s != 0 && !p.clean_start) {
                // 3.1.1 §3.1.2.5 leaves it open; Mosquitto compatibility: when the
                // session lives on (Clean Session 0 on both connections) the old
                // connection's Will is discarded, not published.
                old->will.reset();
            }
            fail(*oc, {Reason::SessionTakenOver, "session taken over"}, now);
        }
    }
    Session* s = sessions.find(id);  // the takeover may have ended the old session
    if (s != nullptr && p.clean_start) {
        // Clean Start / Clean Session: discard the existing session [MQTT-3.1.2-4].
        s->will.reset();  // a pending delayed Will is cancelled [MQTT-3.1.3-9]
        destroy_session(*s);
        s = nullptr;
    }
    present = s != nullptr;
    if (s == nullptr) {
        s = &sessions.create(id);
        stats.clients_total = sessions.size();
    }
    // Reconnecting in time cancels a delayed Will [MQTT-3.1.3-9] and the expiry.
    s->will.reset();
    s->will_at = 0;
    s->expires_at = 0;
    s->drop_logged = false;
    s->conn = c.id;
    s->version = p.version;
    c.session = s;
    return *s;
}

void Engine::Impl::accept_connect(Connection& c, const mqtt::Connect& p, Millis now) {
    const bool v5 = mqtt::is_v5(p.version);
    const bool assigned = p.client_id.empty();
    const std::string id = assigned ? assign_client_id() : std::string(p.client_id.chars(), p.client_id.size);
    bool present = false;
    Session& s = attach_session(c, p, id, present, now);
    set_identity(s, c, p);

    if (v5) {
        s.expiry_s = p.props.number(PropertyId::SessionExpiryInterval, 0);
        c.connect_expiry_zero = s.expiry_s == 0;
        c.client_receive_max = static_cast<std::uint16_t>(p.props.number(PropertyId::ReceiveMaximum, 65535));
        c.client_alias_max = static_cast<std::uint16_t>(p.props.number(PropertyId::TopicAliasMaximum, 0));
    } else {
        // 3.1.1: Clean Session 1 ends the session with the connection; 0 keeps it.
        s.expiry_s = p.clean_start ? 0 : detail::kNeverExpires;
    }
    if (p.has_will) {
        s.will = make_will(p, id, now);
        s.will_delay_s = v5 ? p.will.props.number(PropertyId::WillDelayInterval, 0) : 0;
        s.will_expiry_s = v5 ? p.will.props.number(PropertyId::MessageExpiryInterval, 0) : 0;
    }
    std::uint16_t server_keepalive = 0;
    c.keepalive_s = p.keep_alive;
    if (v5 && (p.keep_alive == 0 || p.keep_alive > cfg.max_keepalive)) {
        // [MQTT-3.2.2-21] [MQTT-3.2.2-22]: the client must use the Server Keep Alive.
        // Mosquitto compatibility: a Keep Alive of 0 gets max_keepalive too, even
        // at its default (65535).
        server_keepalive = cfg.max_keepalive;
        c.keepalive_s = cfg.max_keepalive;
    }
    c.state = ConnState::Connected;
    sessions.session_changed(s);
    send_connack_ok(c, p, present && !p.clean_start, assigned, server_keepalive);

    ++stats.clients_connected;
    stats.clients_maximum = std::max(stats.clients_maximum, stats.clients_connected);
    if (log.enabled(LogLevel::Info)) {
        log.log(LogLevel::Info, "connect client=%s peer=%s version=%u keepalive=%u clean=%d%s", id.c_str(),
                c.peer.address.c_str(), static_cast<unsigned>(p.version), static_cast<unsigned>(c.keepalive_s),
                p.clean_start ? 1 : 0, c.bridge ? " bridge=1" : "");
    }
    if (c.keepalive_s != 0) {
        schedule_conn(c, now + Millis{c.keepalive_s} * 1500);
    } else {
        c.timer_at = 0;  // the CONNECT timeout entry becomes stale
    }
    if (present) resume_session(s, c, now);
}

void Engine::Impl::send_connack_ok(Connection& c, const mqtt::Connect& p, bool present, bool assigned,
                                   std::uint16_t server_keepalive) {
    mqtt::Connack a;
    a.session_present = present;  // [MQTT-3.2.2-2] [MQTT-3.2.2-3]
    a.code = 0;
    std::uint8_t buf[128];
    mqtt::PropertyBuilder b(buf, sizeof buf);
    if (mqtt::is_v5(p.version)) {
        // Mosquitto compatibility: the properties mosquitto 2.0 sends, in its order.
        // Wildcard, Subscription Identifier and Shared Subscription Available are
        // left out: absent means available (§3.2.2.3.12-14), and all three are.
        if (cfg.max_topic_alias != 0) b.add_u16(PropertyId::TopicAliasMaximum, cfg.max_topic_alias);
        if (server_keepalive != 0) b.add_u16(PropertyId::ServerKeepAlive, server_keepalive);
        if (assigned) {
            // [MQTT-3.2.2-16]: tell the client the identifier we chose.
            const std::string& id = c.session->client_id;
            b.add_string(PropertyId::AssignedClientIdentifier, mqtt::Bytes::of(id.data(), id.size()));
        }
        if (!cfg.retain_available) b.add_byte(PropertyId::RetainAvailable, 0);  // absent means 1
        if (cfg.max_packet_size != 0 && cfg.max_packet_size < mqtt::kMaxRemainingLength + 5) {
            b.add_u32(PropertyId::MaximumPacketSize, cfg.max_packet_size);
        }
        if (cfg.max_inflight_messages != 0 && cfg.max_inflight_messages < 65535) {
            b.add_u16(PropertyId::ReceiveMaximum, static_cast<std::uint16_t>(cfg.max_inflight_messages));
        }
        a.props = b.view();
    }
    send_packet(c, mqtt::make_packet(a));
}

}  // namespace mote::broker
