// How connections and sessions end: the one protocol-error reply function (STYLE
// #6), closing, Wills, session expiry, timers (CONNECT timeout, keepalive, Will
// delay, session expiry, $SYS) and shutdown.
#include <algorithm>

#include "engine/engine_impl.hpp"

namespace mote::broker {

using detail::CloseKind;
using detail::Connection;
using detail::ConnState;
using detail::Session;
using detail::TimerKind;
using detail::TimerRef;
using mqtt::PropertyId;
using mqtt::Reason;

namespace {

// The 3.1/3.1.1 CONNACK return code for a refused CONNECT, where 3.1.1 §3.2.2.3
// has one; other failures are a plain close. 0 means none.
std::uint8_t connack_311_code(Reason r) {
    switch (r) {
    case Reason::UnsupportedProtocolVersion:
        return 0x01;
    case Reason::ClientIdentifierNotValid:
        return 0x02;
    case Reason::ServerUnavailable:
    case Reason::ServerBusy:
        return 0x03;
    case Reason::BadUserNameOrPassword:
        return 0x04;
    case Reason::NotAuthorized:
        return 0x05;
    default:
        return 0;
    }
}

}  // namespace

void Engine::Impl::fail(Connection& c, mqtt::Error e, Millis now) {
    if (log.enabled(LogLevel::Notice)) {
        log.log(LogLevel::Notice, "closing conn=%llu client=%s reason=0x%02x (%s)",
                static_cast<unsigned long long>(c.id), c.session ? c.session->client_id.c_str() : "-",
                static_cast<unsigned>(e.reason), e.cause);
    }
    const bool v5 = c.version_known && mqtt::is_v5(c.version);
    if (c.state == ConnState::AwaitConnect) {
        if (v5) {
            send_connack_code(c, static_cast<std::uint8_t>(e.reason), e.cause);
        } else if (c.version_known && connack_311_code(e.reason) != 0) {
            send_connack_code(c, connack_311_code(e.reason));
        }
    } else if (v5 && mqtt::is_error(e.reason)) {
        send_disconnect(c, e.reason, e.cause);
    }
    // A protocol-error close publishes the Will (5.0 §3.1.2.5, 3.1.1 §3.1.2.5).
    drop_connection(c, now, CloseKind::Abnormal);
}

void Engine::Impl::drop_connection(Connection& c, Millis now, CloseKind kind, bool socket_gone) {
    const ConnectionId id = c.id;
    Session* s = c.session;
    if (c.state == ConnState::Connected && stats.clients_connected > 0) --stats.clients_connected;
    if (s != nullptr && log.enabled(LogLevel::Info)) {
        const char* how = kind == CloseKind::Normal ? "normal" : (kind == CloseKind::Shutdown ? "shutdown" : "abnormal");
        log.log(LogLevel::Info, "disconnect client=%s how=%s", s->client_id.c_str(), how);
    }
    conns.erase(id);  // `c` is gone from here on
    if (!socket_gone) io.close(id);
    if (s != nullptr && s->conn == id) detach_session(*s, now, kind);
}

void Engine::Impl::detach_session(Session& s, Millis now, CloseKind kind) {
    s.conn = 0;
    std::uint32_t expiry = s.expiry_s;
    if (expiry == detail::kNeverExpires && cfg.persistent_client_expiration != 0) {
        expiry = static_cast<std::uint32_t>(std::min<std::uint64_t>(cfg.persistent_client_expiration,
                                                                    detail::kNeverExpires - 1));
    }
    if (kind == CloseKind::Abnormal && s.will) {
        // The Will goes out after its delay or when the session ends, whichever is
        // first [MQTT-3.1.3-9] (5.0 §3.1.3.2.2).
        const std::uint32_t delay = std::min(s.will_delay_s, expiry);
        if (delay == 0) {
            publish_will(s, now);
        } else {
            s.will_at = now + Millis{delay} * 1000;
        }
    } else {
        s.will.reset();  // [MQTT-3.1.2-10]: discarded on a normal DISCONNECT
    }
    if (kind == CloseKind::Shutdown) {
        sessions.session_changed(s);  // sessions stay as they are, without the Will
        return;
    }
    if (expiry == 0) {
        destroy_session(s);
        return;
    }
    s.expires_at = expiry == detail::kNeverExpires ? 0 : now + Millis{expiry} * 1000;
    sessions.session_changed(s);
    schedule_session(s);
}

void Engine::Impl::publish_will(Session& s, Millis now) {
    MessagePtr w = std::move(s.will);
    s.will.reset();
    s.will_at = 0;
    if (!w) return;
    if (s.will_expiry_s != 0) {
        // The Will's Message Expiry Interval counts from when it is published.
        w = Message::retimed(*w, now, now + Millis{s.will_expiry_s} * 1000);
    }
    if (any_acl && !acl_allows(s, w->topic, detail::kAclWrite)) {
        // As mosquitto: a Will goes out only if its client may publish to its topic.
        if (log.enabled(LogLevel::Notice)) {
            log.log(LogLevel::Notice, "will of client=%s denied by the ACL", s.client_id.c_str());
        }
        return;
    }
    ++stats.messages_received;
    ++stats.publish_received_by_qos[w->qos];
    publish_message(w, now);
}

void Engine::Impl::destroy_session(Session& s) {
    remove_all_subscriptions(s);
    for (auto& kv : conns) {
        if (kv.second.session == &s) kv.second.session = nullptr;  // defensive: none expected
    }
    const std::string id = s.client_id;
    sessions.erase(id);  // `s` is gone from here on
    stats.clients_total = sessions.size();
}

void Engine::Impl::on_disconnect(Connection& c, const mqtt::Disconnect& d, Millis now) {
    Session& s = *c.session;
    if (mqtt::is_v5(c.version)) {
        mqtt::Property p;
        if (d.props.find(PropertyId::SessionExpiryInterval, p)) {
            if (c.connect_expiry_zero && p.number != 0) {
                // 5.0 §3.14.2.2.2: 0 in CONNECT cannot become non-zero (HOSTILE row 61).
                fail(c, {Reason::ProtocolError, "session expiry changed from 0"}, now);
                return;
            }
            s.expiry_s = p.number;
        }
    }
    // Only Normal Disconnection (0x00) discards the Will; 0x04 and the error codes
    // publish it (5.0 §3.1.2.5). 3.1.1 DISCONNECT always discards it.
    const bool normal = d.reason == Reason::Success || !mqtt::is_v5(c.version);
    drop_connection(c, now, normal ? CloseKind::Normal : CloseKind::Abnormal);
}

void Engine::Impl::schedule_conn(Connection& c, Millis at) {
    c.timer_at = at;
    c.timer_seq = ++timer_seq;
    // An entry due no later than `at` is already queued: it re-queues itself for
    // `at` when it comes due (an idle connection keeps one heap entry, not one per
    // rescheduling).
    if (c.timer_queued != 0 && c.timer_queued <= at) return;
    c.timer_queued = at;
    conn_timers.push_back({at, c.timer_seq, c.id});
    std::push_heap(conn_timers.begin(), conn_timers.end(), detail::later);
}

void Engine::Impl::run_conn_timer(const detail::ConnTimer& t, Millis now) {
    Connection* c = find_conn(t.conn);
    if (c == nullptr || c->timer_queued != t.at) return;  // stale entry
    c->timer_queued = 0;
    if (c->timer_at == 0) return;  // cancelled
    if (c->timer_at != t.at) {
        // Postponed since this entry was queued: queue it again, in the place among
        // same-millisecond timers it got when it was scheduled.
        c->timer_queued = c->timer_at;
        conn_timers.push_back({c->timer_at, c->timer_seq, c->id});
        std::push_heap(conn_timers.begin(), conn_timers.end(), detail::later);
        return;
    }
    conn_timer(*c, now);
}

void Engine::Impl::add_timer(Millis at, TimerRef&& t) {
    t.seq = ++timer_seq;
    timers.emplace(at, std::move(t));
}

Millis Engine::Impl::next_deadline() const {
    Millis at = timers.empty() ? 0 : timers.begin()->first;
    if (!conn_timers.empty() && (at == 0 || conn_timers.front().at < at)) at = conn_timers.front().at;
    return at;
}

bool Engine::Impl::run_next_timer(Millis now) {
    const bool conn_due = !conn_timers.empty() && conn_timers.front().at <= now;
    const bool other_due = !timers.empty() && timers.begin()->first <= now;
    if (!conn_due && !other_due) return false;
    const bool conn_first =
        conn_due && (!other_due || conn_timers.front().at < timers.begin()->first ||
                     (conn_timers.front().at == timers.begin()->first && conn_timers.front().seq < timers.begin()->second.seq));
    if (conn_first) {
        std::pop_heap(conn_timers.begin(), conn_timers.end(), detail::later);
        const detail::ConnTimer t = conn_timers.back();
        conn_timers.pop_back();
        if (conn_timers.empty()) std::vector<detail::ConnTimer>().swap(conn_timers);
        run_conn_timer(t, now);
        return true;
    }
    auto node = timers.extract(timers.begin());
    run_timer(node.key(), node.mapped(), now);
    return true;
}

void Engine::Impl::schedule_session(Session& s) {
    Millis at = s.expires_at;
    if (s.will_at != 0 && (at == 0 || s.will_at < at)) at = s.will_at;
    s.timer_at = at;
    if (at == 0) return;
    TimerRef t;
    t.kind = TimerKind::Session;
    t.client_id = s.client_id;
    add_timer(at, std::move(t));
}

void Engine::Impl::run_timer(Millis at, const TimerRef& t, Millis now) {
    switch (t.kind) {
    case TimerKind::Session:
        if (Session* s = sessions.find(t.client_id); s != nullptr && s->timer_at == at && s->conn == 0) {
            session_timer(*s, now);
        }
        return;
    case TimerKind::Sys:
        publish_sys(now);
        schedule_sys(now);
        return;
    }
}

void Engine::Impl::conn_timer(Connection& c, Millis now) {
    c.timer_at = 0;
    if (c.state == ConnState::AwaitConnect) {
        // No CONNECT within connect_timeout: close without a reply.
        drop_connection(c, now, CloseKind::Abnormal);
        return;
    }
    if (c.keepalive_s == 0) return;
    // [MQTT-3.1.2-22] (3.1.1 [MQTT-3.1.2-24]): nothing for 1.5 keepalive periods.
    const Millis deadline = c.last_rx + Millis{c.keepalive_s} * 1500;
    if (now >= deadline) {
        fail(c, {Reason::KeepAliveTimeout, "keepalive timeout"}, now);
        return;
    }
    schedule_conn(c, deadline);
}

void Engine::Impl::session_timer(Session& s, Millis now) {
    s.timer_at = 0;
    if (s.will_at != 0 && s.will_at <= now) publish_will(s, now);
    if (s.expires_at != 0 && s.expires_at <= now) {
        publish_will(s, now);  // the session ends: a still-delayed Will goes now
        if (log.enabled(LogLevel::Info)) log.log(LogLevel::Info, "session expired client=%s", s.client_id.c_str());
        destroy_session(s);
        return;
    }
    sessions.session_changed(s);  // the Will may have gone
    schedule_session(s);
}

void Engine::Impl::shutdown(Millis now) {
    shut_down = true;
    std::vector<ConnectionId> ids;
    ids.reserve(conns.size());
    for (const auto& kv : conns) ids.push_back(kv.first);
    for (ConnectionId id : ids) {
        Connection* c = find_conn(id);
        if (c == nullptr) continue;
        if (c->state == ConnState::Connected && mqtt::is_v5(c->version)) {
            send_disconnect(*c, Reason::ServerShuttingDown, "broker shutting down");
        }
        drop_connection(*c, now, CloseKind::Shutdown);
    }
    timers.clear();
    conn_timers.clear();
}

}  // namespace mote::broker
