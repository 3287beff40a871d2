#include "bridge/bridge.hpp"

#include <algorithm>
#include <cstring>
#include <random>

#include "bridge/topic_map.hpp"
#include "mote/common/codec.hpp"
#include "mote/common/framer.hpp"
#include "mote/common/properties.hpp"

namespace mote::broker::bridge {

using mqtt::PacketType;
using mqtt::PropertyId;
using mqtt::Reason;

namespace {

constexpr std::uint64_t kTimerMs = 50;
constexpr Millis kLocalRetryMs = 1000;

std::string_view view(mqtt::Bytes b) { return {b.chars(), b.size}; }
mqtt::Bytes bytes(const std::string& s) {
    return mqtt::Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

void put_u16(std::vector<std::uint8_t>& out, std::size_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}

void put_varint(std::vector<std::uint8_t>& out, std::uint32_t v) {
    std::uint8_t tmp[4];
    const std::size_t n = mqtt::encode_varint(v, tmp);
    out.insert(out.end(), tmp, tmp + n);
}

// A whole packet: fixed header (type and flags, Remaining Length) and `body`.
// (Sized once and copied: GCC 12 at -O3 warns, wrongly, about the
// reserve-then-insert form.)
std::vector<std::uint8_t> packet(std::uint8_t first_byte, const std::vector<std::uint8_t>& body) {
    std::uint8_t head[5];
    head[0] = first_byte;
    const std::size_t n = 1 + mqtt::encode_varint(static_cast<std::uint32_t>(body.size()), head + 1);
    std::vector<std::uint8_t> out(n + body.size());
    std::memcpy(out.data(), head, n);
    if (!body.empty()) std::memcpy(out.data() + n, body.data(), body.size());
    return out;
}

}  // namespace

Bridge::Bridge(const BridgeConfig& cfg, ConnectionId local_id, uv_loop_t* loop, Engine& engine, Logger& log,
               std::uint32_t sys_interval_s, const tls::TlsContext* tls)
    : cfg_(cfg),
      loop_(loop),
      engine_(engine),
      log_(log),
      clock_{loop},
      uplink_(loop, cfg, log, tls),
      local_ids_in_use_(65536, false),
      sys_interval_s_(sys_interval_s) {
    main_.id = local_id;
    main_.client_id = cfg_.local_clientid;
    live_.id = local_id + 1;
    live_.client_id = cfg_.local_clientid + ".live";
    remote_id_ = cfg_.remote_clientid;
    client::Options o;
    o.version = cfg_.protocol_version == 5 ? mqtt::Version::V5 : mqtt::Version::V3_1_1;
    o.client_id = bytes(remote_id_);
    o.has_username = cfg_.has_remote_username;
    o.username = bytes(cfg_.remote_username);
    o.has_password = cfg_.has_remote_password;
    o.password = bytes(cfg_.remote_password);
    o.keep_alive_s = cfg_.keepalive_interval;
    o.clean_start = cfg_.cleansession;
    o.receive_maximum = cfg_.receive_maximum;  // capped at BridgeLimits::inflight
    o.bridge = cfg_.try_private;
    // A 5.0 session that should outlive the connection needs an expiry; without
    // bridge_session_expiry_interval a persistent bridge session never expires.
    o.session_expiry_s = cfg_.session_expiry_interval != 0 ? cfg_.session_expiry_interval
                         : cfg_.cleansession                ? 0
                                                            : 0xFFFFFFFFu;
    if (cfg_.notifications && !cfg_.notifications_local_only) {
        // The upstream broker publishes "0" for us when the link dies (mosquitto's
        // convention for the connection state topic).
        o.has_will = true;
        o.will_topic = bytes(cfg_.notification_topic);
        o.will_payload = bytes(state_zero_);
        o.will_qos = 1;
        o.will_retain = true;
    }
    o.backoff_min_ms = cfg_.restart_timeout_base * 1000u;
    o.backoff_max_ms = std::max(cfg_.restart_timeout_cap, cfg_.restart_timeout_base) * 1000u;
    o.jitter_seed = static_cast<std::uint32_t>(std::random_device{}());
    o.overflow = client::OverflowPolicy::RefuseNewest;
    o.on_event = [](void* self, const client::Event& ev) { static_cast<Bridge*>(self)->on_client_event(ev); };
    o.event_user = this;
    client_ = std::make_unique<UpClient>(uplink_, clock_, o);
    for (std::size_t i = 0; i < cfg_.topics.size(); ++i) {
        if (!comes_in(cfg_.topics[i])) continue;
        routes_.push_back(std::make_unique<InRoute>(InRoute{this, i}));
        mqtt::SubscribeOptions so;
        so.qos = cfg_.topics[i].qos;
        // Loop prevention on a 5.0 link: what the bridge publishes upstream does
        // not come back [MQTT-3.8.3-3]; retained flags pass as published.
        so.no_local = true;
        so.retain_as_published = true;
        const std::string filter = remote_filter(cfg_.topics[i]);
        const client::Status st = client_->subscribe(
            bytes(filter), so,
            [](void* user, const client::Message& m) {
                auto* r = static_cast<InRoute*>(user);
                r->self->on_upstream_message(r->topic, m);
            },
            routes_.back().get());
        if (st != client::Status::Ok) {
            log_.log(LogLevel::Error, "bridge %s: cannot subscribe upstream to %s (filter too long or too many)",
                     cfg_.name.c_str(), filter.c_str());
        }
    }
}

Bridge::~Bridge() = default;

std::uint64_t Bridge::queued() const {
    std::uint64_t n = engine_.session_backlog(main_.client_id).queued + main_.pending.size();
    if (live_first()) n += engine_.session_backlog(live_.client_id).queued + live_.pending.size();
    return n;
}

std::uint64_t Bridge::inflight() const {
    // The engine's in-flight messages of a session are those handed to the bridge;
    // the ones still pending here count as queued.
    const auto one = [this](const LocalLink& l) {
        const std::uint64_t f = engine_.session_backlog(l.client_id).inflight;
        return f >= l.pending.size() ? f - l.pending.size() : 0;
    };
    return one(main_) + (live_first() ? one(live_) : 0);
}

std::uint64_t Bridge::dropped() const {
    std::uint64_t n = stats_.dropped + engine_.session_backlog(main_.client_id).dropped;
    if (live_first()) n += engine_.session_backlog(live_.client_id).dropped;
    return n;
}

BridgeStats Bridge::stats() const {
    BridgeStats s = stats_;
    s.link_losses = client_->stats().link_losses;
    return s;
}

// ------------------------------------------------------------------ lifecycle

void Bridge::start() {
    uv_timer_init(loop_, &timer_);
    timer_.data = this;
    timer_open_ = true;
    uv_timer_start(&timer_, [](uv_timer_t* t) { static_cast<Bridge*>(t->data)->service(); }, kTimerMs, kTimerMs);
    uv_unref(reinterpret_cast<uv_handle_t*>(&timer_));
    local_connect(main_);
    if (live_first()) local_connect(live_);
    service();
}

void Bridge::stop() {
    if (stopping_) return;
    stopping_ = true;
    if (started_) {
        client_->disconnect();
        client_->poll();
    }
}

void Bridge::close_handles() {
    if (timer_open_) {
        timer_open_ = false;
        uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
    }
    uplink_.close();
}

// ------------------------------------------------------------------ local side

Bridge::LocalLink* Bridge::link_of(ConnectionId id) {
    if (id == main_.id) return &main_;
    if (id == live_.id && live_first()) return &live_;
    return nullptr;
}

void Bridge::local_connect(LocalLink& l) {
    PeerInfo peer;
    peer.address = "bridge:" + cfg_.name;
    peer.bridge = &cfg_;
    engine_.on_open(l.id, peer, now());
    l.open = true;
    l.closed = false;
    mqtt::Connect c;
    c.version = mqtt::Version::V5;
    c.clean_start = cfg_.local_cleansession;
    c.client_id = bytes(l.client_id);
    std::uint8_t props[16];
    mqtt::PropertyBuilder b(props, sizeof props);
    b.add_u32(PropertyId::SessionExpiryInterval, cfg_.local_cleansession ? 0 : 0xFFFFFFFFu);
    b.add_u16(PropertyId::ReceiveMaximum, kLocalWindow);
    c.props = b.view();
    std::vector<std::uint8_t> buf(l.client_id.size() + 64);
    const std::size_t n = mqtt::encode_connect(c, buf.data(), buf.size());
    to_engine(l, buf.data(), n);
}
void Bridge::to_engine(LocalLink& l, const std::uint8_t* pkt, std::size_t size) {
    if (!l.open || l.closed || size == 0) return;
    const mqtt::FixedHeader h = mqtt::parse_fixed_header(mqtt::Bytes(pkt, size), 0xFFFFFFFFu);
    if (h.status != mqtt::FrameStatus::Complete || h.total_size() != size) return;  // our own encoding: cannot happen
    engine_.on_packet(l.id, h.first_byte, mqtt::Bytes(pkt + h.header_size, h.remaining_length), size, now());
}
SendResult Bridge::from_engine(ConnectionId id, mqtt::Bytes b, const MessagePtr* msg) {
    LocalLink* l = link_of(id);
    if (l == nullptr || !l->open || l->closed) return SendResult::Dropped;
    l->inbox.insert(l->inbox.end(), b.data, b.data + b.size);
    if (msg != nullptr && *msg) l->inbox.insert(l->inbox.end(), (*msg)->payload.begin(), (*msg)->payload.end());
    return SendResult::Ok;
}
void Bridge::engine_closed(ConnectionId id) {
    LocalLink* l = link_of(id);
    if (l == nullptr || !l->open) return;
    l->closed = true;
    l->up = false;
}
void Bridge::handle_local(LocalLink& l, std::uint8_t first_byte, mqtt::Bytes body) {
    const auto type = static_cast<PacketType>(first_byte >> 4);
    mqtt::DecodeOptions d;
    d.version = mqtt::Version::V5;
    d.sender = mqtt::Role::Server;
    switch (type) {
        case PacketType::Connack:
            on_local_connack(l, body, first_byte);
            return;
        case PacketType::Publish:
            on_local_publish(l, first_byte, body);
            return;
        case PacketType::Puback:
        case PacketType::Pubrec:
        case PacketType::Pubrel:
        case PacketType::Pubcomp: {
            mqtt::Ack a;
            if (mqtt::decode_ack(first_byte, body, d, a)) return;
            if (type == PacketType::Pubrel) {
                local_ack(l, PacketType::Pubcomp, a.packet_id);  // the engine's QoS 2 flow to us ends
                return;
            }
            if (&l != &main_) return;  // only main_ publishes into the engine
            if (type == PacketType::Pubrec && static_cast<std::uint8_t>(a.reason) < 0x80) {
                local_ack(l, PacketType::Pubrel, a.packet_id);
                return;
            }
            // PUBACK, PUBCOMP or a failed PUBREC: our local publish is done.
            if (local_ids_in_use_[a.packet_id]) {
                local_ids_in_use_[a.packet_id] = false;
                --local_inflight_;
            }
            return;
        }
        case PacketType::Suback: {
            mqtt::SubackLike s;
            if (mqtt::decode_suback(first_byte, body, d, s)) return;
            for (std::size_t i = 0; i < s.codes.size; ++i) {
                if (s.codes[i] >= 0x80) {
                    log_.log(LogLevel::Error, "bridge %s: the local subscription was refused (0x%02x)", cfg_.name.c_str(),
                             s.codes[i]);
                }
            }
            return;
        }
        default:
            return;  // UNSUBACK, DISCONNECT (followed by Io::close), PINGRESP
    }
}

void Bridge::on_local_connack(LocalLink& l, mqtt::Bytes body, std::uint8_t first_byte) {
    mqtt::DecodeOptions d;
    d.version = mqtt::Version::V5;
    d.sender = mqtt::Role::Server;
    mqtt::Connack c;
    if (mqtt::decode_connack(first_byte, body, d, c) || c.code != 0) {
        log_.log(LogLevel::Error, "bridge %s: the local session %s was refused (0x%02x)", cfg_.name.c_str(),
                 l.client_id.c_str(), c.code);
        return;
    }
    l.up = true;
    const bool routing_here = (&l == &live_) == live_routing_;
    // Filters of a resumed session that the configuration no longer has go away;
    // a session that does not hold the routing now keeps none.
    unsubscribe_all(l, routing_here);
    if (routing_here) subscribe_out(l, &l == &main_ && !live_routing_ ? 0 : 2);
    if (&l != &main_) return;
    engine_receive_max_ = static_cast<std::uint16_t>(c.props.number(PropertyId::ReceiveMaximum, 65535));
    if (cfg_.notifications) {
        std::string zero = "0";
        queue_in(cfg_.notification_topic, 1, true, bytes(zero));
    }
    if (!started_ && !stopping_) {
        started_ = true;
        client_->start();
    }
}

void Bridge::unsubscribe_all(LocalLink& l, bool keep_configured) {
    for (const std::string& f : engine_.session_filters(l.client_id)) {
        bool configured = false;
        for (const BridgeTopic& t : cfg_.topics) configured = configured || (goes_out(t) && local_filter(t) == f);
        if (configured && keep_configured) continue;
        std::vector<std::uint8_t> buf(f.size() + 16);
        const std::size_t n = mqtt::encode_one_filter(PacketType::Unsubscribe, next_control_id(), bytes(f),
                                                      mqtt::SubscribeOptions(), mqtt::Version::V5, buf.data(),
                                                      buf.size());
        to_engine(l, buf.data(), n);
    }
}

void Bridge::route_to_live(bool live) {
    // live_first: the `out` subscriptions move between the two sessions in one
    // step, with nothing routed in between (the engine runs only inside these
    // calls), so every message lands in exactly one session. Retained messages
    // are not sent again at a switch (Retain Handling 2).
    if (!live_first() || live == live_routing_) return;
    LocalLink& to = live ? live_ : main_;
    LocalLink& from = live ? main_ : live_;
    if (!to.up) return;  // (a local session being reconnected: keep the routing where it is)
    live_routing_ = live;
    subscribe_out(to, 2);
    // A session that is down now drops its subscriptions when it is back (its CONNACK).
    if (from.up) unsubscribe_all(from, false);
}
void Bridge::subscribe_out(LocalLink& l, std::uint8_t retain_handling) {
    for (std::size_t i = 0; i < cfg_.topics.size(); ++i) {
        const BridgeTopic& t = cfg_.topics[i];
        if (!goes_out(t)) continue;
        // One SUBSCRIBE per topic line, with the line's index + 1 as Subscription
        // Identifier: each forwarded PUBLISH says which mapping applies. No Local:
        // what the bridge brings in is not sent back out.
        const std::string filter = local_filter(t);
        std::vector<std::uint8_t> body;
        put_u16(body, next_control_id());
        std::vector<std::uint8_t> props;
        props.push_back(static_cast<std::uint8_t>(PropertyId::SubscriptionIdentifier));
        put_varint(props, static_cast<std::uint32_t>(i + 1));
        put_varint(body, static_cast<std::uint32_t>(props.size()));
        body.insert(body.end(), props.begin(), props.end());
        put_u16(body, filter.size());
        body.insert(body.end(), filter.begin(), filter.end());
        mqtt::SubscribeOptions o;
        o.qos = t.qos;
        o.no_local = true;
        o.retain_as_published = cfg_.outgoing_retain;
        o.retain_handling = retain_handling;
        body.push_back(o.to_byte());
        const std::vector<std::uint8_t> pkt = packet(0x82, body);
        to_engine(l, pkt.data(), pkt.size());
    }
}
void Bridge::local_ack(LocalLink& l, PacketType type, std::uint16_t id) {
    std::uint8_t buf[4];
    mqtt::Ack a;
    a.packet_id = id;
    const std::size_t n = mqtt::encode_ack(type, a, mqtt::Version::V3_1_1, buf, sizeof buf);  // 4 bytes, valid in 5.0
    to_engine(l, buf, n);
}
void Bridge::on_local_publish(LocalLink& l, std::uint8_t first_byte, mqtt::Bytes body) {
    mqtt::DecodeOptions d;
    d.version = mqtt::Version::V5;
    d.sender = mqtt::Role::Server;
    mqtt::Publish p;
    if (mqtt::decode_publish(first_byte, body, d, p)) return;
    const std::uint32_t sub_id = p.props.number(PropertyId::SubscriptionIdentifier, 0);
    OutMsg m;
    m.local_pid = p.qos > 0 ? p.packet_id : 0;
    m.qos = p.qos;
    m.retain = p.retain && cfg_.outgoing_retain;
    const std::string local_topic(view(p.topic));
    if (sub_id == 0 || sub_id > cfg_.topics.size() || !to_remote(cfg_.topics[sub_id - 1], local_topic, m.topic)) {
        note_drop("no topic line maps", local_topic);
        if (p.qos == 1) local_ack(l, PacketType::Puback, p.packet_id);
        if (p.qos == 2) local_ack(l, PacketType::Pubrec, p.packet_id);
        return;
    }
    if (p.qos == 0 && !up_) {
        note_drop("QoS 0 while the upstream link is down", local_topic);
        return;
    }
    if (p.dup && p.qos > 0) {
        // A resend after a restart of the local session: the same packet id may
        // already be pending (not yet in the client) or in the client's outbox.
        for (const OutMsg& o : l.pending) {
            if (o.local_pid == m.local_pid) return;
        }
        for (const auto& [tok, t] : tokens_) {
            if (t.link == &l && t.local_pid == m.local_pid) return;
        }
    }
    m.payload.assign(p.payload.data, p.payload.data + p.payload.size);
    l.pending.push_back(std::move(m));
}

void Bridge::note_drop(const char* why, const std::string& topic) {
    ++stats_.dropped;
    const Millis t = now();
    if (t >= next_drop_log_) {
        next_drop_log_ = t + 10000;  // one line per 10 s at most
        log_.log(LogLevel::Warning, "bridge %s: dropped a message on %s: %s (%llu dropped so far)", cfg_.name.c_str(),
                 topic.c_str(), why, static_cast<unsigned long long>(stats_.dropped));
    }
}

// ------------------------------------------------------------------ service

void Bridge::service_link(LocalLink& l) {
    if (l.closed && l.open) {
        // The engine closed the local side (takeover by a client with the same id,
        // or shutdown): report it, and reconnect unless the broker is stopping.
        engine_.on_closed(l.id, now());
        l.open = false;
        l.up = false;
        l.inbox.clear();
        l.retry_at = now() + kLocalRetryMs;
        if (&l == &main_) {
            pending_in_.clear();
            std::fill(local_ids_in_use_.begin(), local_ids_in_use_.end(), false);
            local_inflight_ = 0;
        }
        if (!stopping_) {
            log_.log(LogLevel::Warning, "bridge %s: the local session %s was closed by the broker; reconnecting",
                     cfg_.name.c_str(), l.client_id.c_str());
        }
    }
    if (!l.open && !stopping_ && now() >= l.retry_at) {
        // Messages handed over before the close come again from the session.
        l.pending.clear();
        for (auto it = tokens_.begin(); it != tokens_.end();) {
            it = it->second.link == &l ? tokens_.erase(it) : std::next(it);
        }
        local_connect(l);
    }
    for (int round = 0; round < 8 && !l.inbox.empty(); ++round) {
        std::vector<std::uint8_t> batch;
        batch.swap(l.inbox);  // the engine may append while we handle these
        std::size_t off = 0;
        while (off < batch.size()) {
            const mqtt::FixedHeader h =
                mqtt::parse_fixed_header(mqtt::Bytes(batch.data() + off, batch.size() - off), 0xFFFFFFFFu);
            if (h.status != mqtt::FrameStatus::Complete || h.total_size() > batch.size() - off) break;
            handle_local(l, h.first_byte, mqtt::Bytes(batch.data() + off + h.header_size, h.remaining_length));
            off += h.total_size();
        }
    }
}

void Bridge::service() {
    service_link(main_);
    if (live_first()) service_link(live_);
    if (started_) {
        pump_out();
        client_->poll();
        // The client handles at most 16 packets per poll: go on while it has input.
        for (int i = 0; i < 64 && uplink_.buffered() != 0; ++i) client_->poll();
        pump_out();
        client_->poll();
    }
    if (sys_interval_s_ != 0 && main_.up && now() >= next_sys_) {
        next_sys_ = now() + sys_interval_s_ * 1000ULL;
        publish_sys();
    }
    pump_in();
}
void Bridge::publish_sys() {
    // Mote's own topics (mosquitto has only the connection state topic): retained,
    // so a dashboard that subscribes later sees them at once.
    const BridgeStats st = stats();
    const std::string base = "$SYS/broker/bridge/" + cfg_.name + "/";
    const std::pair<const char*, std::string> items[] = {
        {"state", up_ ? "connected" : "disconnected"},
        {"address", uplink_.peer()},
        {"messages/queued", std::to_string(queued())},
        {"messages/inflight", std::to_string(inflight())},
        {"messages/dropped", std::to_string(dropped())},
        {"messages/sent", std::to_string(st.sent)},
        {"messages/received", std::to_string(st.received)},
        {"connects", std::to_string(st.connects)},
    };
    for (const auto& [leaf, value] : items) queue_in(base + leaf, 0, true, bytes(value));
}

std::size_t Bridge::publish_size(const OutMsg& m) const {
    // The PUBLISH as it goes upstream (no properties are forwarded).
    const std::size_t rest = 2 + m.topic.size() + (m.qos > 0 ? 2 : 0) + (cfg_.protocol_version == 5 ? 1 : 0) +
                             m.payload.size();
    return 1 + mqtt::varint_size(static_cast<std::uint32_t>(std::min<std::size_t>(rest, mqtt::kMaxVarInt))) + rest;
}

bool Bridge::take_token() {
    if (cfg_.outgoing_rate == 0) return true;
    const Millis t = now();
    const double burst = std::max(1.0, cfg_.outgoing_rate / 20.0);  // 50 ms worth
    if (rate_at_ == 0) {
        rate_at_ = t;
        rate_tokens_ = burst;
    }
    rate_tokens_ = std::min(burst, rate_tokens_ + static_cast<double>(t - rate_at_) * cfg_.outgoing_rate / 1000.0);
    rate_at_ = t;
    if (rate_tokens_ < 1.0) return false;
    rate_tokens_ -= 1.0;
    return true;
}

void Bridge::drop_out(LocalLink& l, const OutMsg& m, const char* why) {
    note_drop(why, m.topic);
    if (m.qos == 1) local_ack(l, PacketType::Puback, m.local_pid);
    if (m.qos == 2) local_ack(l, PacketType::Pubrec, m.local_pid);
}

void Bridge::pump_out() {
    // fifo: one queue, paced as a whole. live_first: the live session first and
    // unpaced, then the backlog, paced.
    if (live_first() && !pump_link(live_, false)) return;
    pump_link(main_, true);
}

bool Bridge::pump_link(LocalLink& l, bool paced) {
    while (!l.pending.empty() && up_) {
        OutMsg& m = l.pending.front();
        if (cfg_.max_packet_size != 0 && publish_size(m) > cfg_.max_packet_size) {
            drop_out(l, m, "larger than bridge_max_packet_size");
            l.pending.pop_front();
            continue;
        }
        if (paced && m.qos > 0 && cfg_.outgoing_rate != 0 && !take_token()) return false;
        std::uint32_t token = 0;
        const client::Status st = client_->publish(bytes(m.topic), mqtt::Bytes(m.payload.data(), m.payload.size()),
                                                   m.qos, m.retain, &token);
        if (st == client::Status::QueueFull) return false;  // the client's window is full: later
        if (st == client::Status::Ok) {
            if (m.qos > 0) {
                tokens_[token] = Token{&l, m.local_pid, m.qos};
            } else {
                ++stats_.sent;
            }
        } else {
            drop_out(l, m, st == client::Status::TooLarge ? "too large for the bridge" : "refused by the client");
        }
        l.pending.pop_front();
    }
    return true;
}
std::uint16_t Bridge::next_control_id() {
    // SUBSCRIBE/UNSUBSCRIBE ids: any id not used by a local PUBLISH in flight.
    return next_local_id();
}

std::uint16_t Bridge::next_local_id() {
    for (int i = 0; i < 65535; ++i) {
        if (++last_local_id_ == 0) last_local_id_ = 1;
        if (!local_ids_in_use_[last_local_id_]) return last_local_id_;
    }
    return 0;
}

void Bridge::queue_in(const std::string& topic, std::uint8_t qos, bool retain, mqtt::Bytes payload) {
    if (pending_in_.size() >= kMaxPendingIn) {
        note_drop("the local side is not taking messages", topic);
        return;
    }
    InMsg m;
    m.qos = qos;
    m.retain = retain;
    m.topic = topic;
    m.payload.assign(payload.data, payload.data + payload.size);
    pending_in_.push_back(std::move(m));
}

void Bridge::pump_in() {
    while (!pending_in_.empty() && main_.up) {
        InMsg& m = pending_in_.front();
        std::uint16_t id = 0;
        if (m.qos > 0) {
            if (local_inflight_ >= engine_receive_max_) return;
            id = next_local_id();
            if (id == 0) return;
        }
        mqtt::Publish p;
        p.qos = m.qos;
        p.retain = m.retain;
        p.topic = bytes(m.topic);
        p.packet_id = id;
        p.payload = mqtt::Bytes(m.payload.data(), m.payload.size());
        std::vector<std::uint8_t> buf(m.topic.size() + m.payload.size() + 16);
        const std::size_t n = mqtt::encode_publish(p, mqtt::Version::V5, buf.data(), buf.size());
        if (id != 0) {
            local_ids_in_use_[id] = true;
            ++local_inflight_;
        }
        pending_in_.pop_front();
        to_engine(main_, buf.data(), n);
    }
}

// ------------------------------------------------------------------ upstream events

void Bridge::on_client_event(const client::Event& ev) {
    switch (ev.type) {
        case client::EventType::Connected: {
            up_ = true;
            ++stats_.connects;
            uplink_.connected();
            route_to_live(true);
            log_.log(LogLevel::Notice, "bridge %s: connected to %s as %s (session %s)", cfg_.name.c_str(),
                     uplink_.peer().c_str(), remote_id_.c_str(), ev.session_present ? "resumed" : "new");
            if (cfg_.notifications) {
                std::string one = "1";
                queue_in(cfg_.notification_topic, 1, true, bytes(one));
                if (!cfg_.notifications_local_only) {
                    client_->publish(bytes(cfg_.notification_topic), bytes(one), 1, true);
                }
            }
            return;
        }
        case client::EventType::ConnectRefused:
            // 3.1.1 return codes arrive as their 5.0 equivalents (0x05 as 0x87).
            log_.log(LogLevel::Warning,
                     "bridge %s: %s refused the connection (reason 0x%02x as a 5.0 code); retrying with backoff",
                     cfg_.name.c_str(), uplink_.peer().c_str(), static_cast<unsigned>(ev.reason));
            refusal_logged_ = true;
            return;
        case client::EventType::Disconnected:
            if (up_) {
                log_.log(stopping_ ? LogLevel::Info : LogLevel::Warning,
                         "bridge %s: disconnected from %s (reason 0x%02x)%s", cfg_.name.c_str(), uplink_.peer().c_str(),
                         static_cast<unsigned>(ev.reason), stopping_ ? "" : "; reconnecting with backoff");
                if (cfg_.notifications) {
                    std::string zero = "0";
                    queue_in(cfg_.notification_topic, 1, true, bytes(zero));
                }
            } else if (!refusal_logged_ && !stopping_) {
                // The attempt ended before a CONNACK was accepted: garbage or a
                // malformed CONNACK (0x81/0x82), no CONNACK in time, a failed TLS
                // handshake or connect (logged by the Uplink as well).
                log_.log(LogLevel::Warning, "bridge %s: connection to %s failed before CONNACK (reason 0x%02x); "
                         "retrying with backoff", cfg_.name.c_str(), uplink_.peer().c_str(),
                         static_cast<unsigned>(ev.reason));
            }
            refusal_logged_ = false;
            if (up_ && !stopping_) route_to_live(false);
            up_ = false;
            return;
        case client::EventType::Delivered: {
            auto it = tokens_.find(ev.token);
            if (it == tokens_.end()) return;  // a notification of our own
            const Token t = it->second;
            tokens_.erase(it);
            if (static_cast<std::uint8_t>(ev.reason) >= 0x80) {
                ++stats_.refused_upstream;
                note_drop("refused by the upstream broker", cfg_.name);
            } else {
                ++stats_.sent;
            }
            local_ack(*t.link, t.qos == 1 ? PacketType::Puback : PacketType::Pubrec, t.local_pid);
            return;
        }
        case client::EventType::SubscribeFailed:
            log_.log(LogLevel::Error, "bridge %s: %s refused a subscription (0x%02x)", cfg_.name.c_str(),
                     uplink_.peer().c_str(), static_cast<unsigned>(ev.reason));
            return;
        default:
            return;
    }
}

void Bridge::on_upstream_message(std::size_t topic_index, const client::Message& m) {
    const BridgeTopic& t = cfg_.topics[topic_index];
    std::string local;
    if (!to_local(t, view(m.topic), local)) {
        note_drop("no topic line maps it back", std::string(view(m.topic)));
        return;
    }
    ++stats_.received;
    queue_in(local, std::min(m.qos, t.qos), m.retain, m.payload);
}

}  // namespace mote::broker::bridge
