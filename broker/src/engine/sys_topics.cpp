// $SYS/broker/... statistics, published as retained QoS 0 messages every
// sys_interval seconds (docs/sys-topics.md lists them). Names follow mosquitto:
//   $SYS/broker/version                 "mote <version>"
//   $SYS/broker/uptime                  "<n> seconds"
//   $SYS/broker/clients/connected       connected clients
//   $SYS/broker/clients/total           sessions, connected or not
//   $SYS/broker/clients/maximum         most clients connected at once
//   $SYS/broker/messages/received       PUBLISH received (Wills included)
//   $SYS/broker/messages/sent           PUBLISH sent
//   $SYS/broker/messages/dropped        messages dropped (queue full, expired, too large)
//   $SYS/broker/bytes/received          bytes received (mosquitto's total)
//   $SYS/broker/bytes/sent              bytes sent (mosquitto's total)
//   $SYS/broker/load/bytes/received     the same totals under the name the brief gives
//   $SYS/broker/load/bytes/sent
//   $SYS/broker/subscriptions/count     subscriptions
//   $SYS/broker/retained messages/count retained messages
// Not on the data path: this runs once per interval.
#include <cstdio>

#include "engine/engine_impl.hpp"

#ifndef MOTE_VERSION
#define MOTE_VERSION "0.1.0"
#endif

namespace mote::broker {

void Engine::Impl::schedule_sys(Millis now) {
    if (cfg.sys_interval == 0) return;
    detail::TimerRef t;
    t.kind = detail::TimerKind::Sys;
    add_timer(now + Millis{cfg.sys_interval} * 1000, std::move(t));
}

void Engine::Impl::publish_sys(Millis now) {
    auto put = [&](const char* topic, const std::string& value) {
        MessageFields f;
        f.topic = topic;
        f.payload = reinterpret_cast<const std::uint8_t*>(value.data());
        f.payload_size = value.size();
        f.retain = true;
        f.received_at = now;
        publish_message(Message::make(f), now);
    };
    auto num = [](std::uint64_t v) { return std::to_string(v); };
    put("$SYS/broker/version", std::string("mote ") + MOTE_VERSION);
    put("$SYS/broker/uptime", num((now - started_at) / 1000) + " seconds");
    put("$SYS/broker/clients/connected", num(stats.clients_connected));
    put("$SYS/broker/clients/total", num(stats.clients_total));
    put("$SYS/broker/clients/maximum", num(stats.clients_maximum));
    put("$SYS/broker/messages/received", num(stats.messages_received));
    put("$SYS/broker/messages/sent", num(stats.messages_sent));
    put("$SYS/broker/messages/dropped", num(stats.messages_dropped));
    put("$SYS/broker/bytes/received", num(stats.bytes_received));
    put("$SYS/broker/bytes/sent", num(stats.bytes_sent));
    put("$SYS/broker/load/bytes/received", num(stats.bytes_received));
    put("$SYS/broker/load/bytes/sent", num(stats.bytes_sent));
    put("$SYS/broker/subscriptions/count", num(stats.subscriptions));
    put("$SYS/broker/retained messages/count", num(stats.retained_messages));
}

}  // namespace mote::broker
