#include "http/metrics.hpp"

#include <unistd.h>

#include <cstdio>

namespace mote::broker::http {

namespace {

class Writer {
public:
    explicit Writer(std::string& out) : out_(out) {}

    // HELP and TYPE lines, once per metric family.
    void family(const char* name, const char* type, const char* help) {
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        out_ += help;
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }
    void sample(const char* name, std::uint64_t v, const std::string& labels = std::string()) {
        out_ += name;
        if (!labels.empty()) {
            out_ += '{';
            out_ += labels;
            out_ += '}';
        }
        out_ += ' ';
        out_ += std::to_string(v);
        out_ += '\n';
    }
    void one(const char* name, const char* type, const char* help, std::uint64_t v) {
        family(name, type, help);
        sample(name, v);
    }
    void by_qos(const char* name, const char* help, const std::uint64_t (&v)[3]) {
        family(name, "counter", help);
        for (int q = 0; q < 3; ++q) {
            sample(name, v[q], "qos=\"" + std::to_string(q) + "\"");
        }
    }

private:
    std::string& out_;
};

void render_engine(Writer& w, const MetricsSnapshot& m) {
    const EngineStats& e = m.engine;
    w.one("mote_clients_connected", "gauge", "MQTT clients connected now (CONNECT accepted).", e.clients_connected);
    w.one("mote_clients_maximum", "gauge", "Most MQTT clients connected at once since start.", e.clients_maximum);
    w.one("mote_sessions", "gauge", "Sessions held, connected or not.", e.clients_total);
    w.by_qos("mote_messages_received_total", "PUBLISH messages received from clients (wills included), by QoS.",
             e.publish_received_by_qos);
    w.by_qos("mote_messages_sent_total", "PUBLISH messages sent to subscribers, by QoS.", e.publish_sent_by_qos);
    w.by_qos("mote_publish_bytes_received_total", "Wire bytes of PUBLISH packets received, by QoS.",
             e.publish_bytes_received_by_qos);
    w.by_qos("mote_publish_bytes_sent_total", "Wire bytes of PUBLISH packets sent, by QoS.",
             e.publish_bytes_sent_by_qos);
    w.one("mote_bytes_received_total", "counter", "Wire bytes of every MQTT packet received.", e.bytes_received);
    w.one("mote_bytes_sent_total", "counter", "Wire bytes of every MQTT packet sent.", e.bytes_sent);
    w.one("mote_messages_dropped_total", "counter",
          "Messages dropped: queue full, expired, over a size limit, or too large for the subscriber.",
          e.messages_dropped);
    w.one("mote_messages_queued", "gauge", "Messages waiting in sessions to be sent (not in flight).",
          m.queues.queued);
    w.one("mote_messages_inflight", "gauge", "QoS 1/2 messages sent and not yet acknowledged.", m.queues.inflight);
    w.one("mote_retained_messages", "gauge", "Retained messages held.", e.retained_messages);
    w.one("mote_subscriptions", "gauge", "Subscriptions held, of connected and offline sessions.", e.subscriptions);
}

void render_net(Writer& w, const MetricsSnapshot& m) {
    w.family("mote_listener_connections", "gauge", "Open connections per MQTT listener.");
    std::uint64_t open = 0;
    for (const ListenerSnapshot& l : m.listeners) {
        w.sample("mote_listener_connections", l.connections,
                 "listener=\"" + escape_label(l.name) + "\",protocol=\"" + escape_label(l.protocol) + "\"");
        open += l.connections;
    }
    w.one("mote_connections", "gauge", "Open MQTT connections on all listeners (before and after CONNECT).", open);
    w.one("mote_connections_accepted_total", "counter", "MQTT connections accepted since start.",
          m.connections_accepted);
    w.one("mote_connections_refused_total", "counter", "MQTT connections refused over a listener's max_connections.",
          m.connections_refused);
    w.one("mote_slow_consumer_disconnects_total", "counter",
          "Connections closed because their output exceeded the hard cap.", m.slow_consumer_disconnects);
    w.one("mote_http_requests_total", "counter", "HTTP requests answered by this endpoint.", m.http.requests);
    w.one("mote_http_rejected_total", "counter", "HTTP requests answered with an error status.", m.http.rejected);
    w.one("mote_http_refused_total", "counter", "HTTP connections refused over the connection limit.",
          m.http.refused);
    w.one("mote_http_timeouts_total", "counter", "HTTP requests not complete in time (408).", m.http.timeouts);
    w.one("mote_http_connections", "gauge", "Open HTTP connections.", m.http.connections);
}

void render_bridges(Writer& w, const MetricsSnapshot& m) {
    if (m.bridges.empty()) return;
    struct Family {
        const char* name;
        const char* type;
        const char* help;
        std::uint64_t BridgeSnapshot::*field;
    };
    static const Family families[] = {
        {"mote_bridge_queued_messages", "gauge", "Messages waiting in a bridge's backlog (its local session).",
         &BridgeSnapshot::queued},
        {"mote_bridge_inflight_messages", "gauge", "Messages handed to a bridge and not yet acknowledged upstream.",
         &BridgeSnapshot::inflight},
        {"mote_bridge_dropped_total", "counter",
         "Messages a bridge dropped: backlog limits, too large, unmappable, QoS 0 while the link is down.",
         &BridgeSnapshot::dropped},
        {"mote_bridge_sent_total", "counter", "Messages a bridge delivered upstream.", &BridgeSnapshot::sent},
        {"mote_bridge_received_total", "counter", "Messages a bridge brought in from upstream.",
         &BridgeSnapshot::received},
        {"mote_bridge_connects_total", "counter", "Connections a bridge made to its upstream broker.",
         &BridgeSnapshot::connects},
    };
    w.family("mote_bridge_connected", "gauge", "1 while a bridge is connected to its upstream broker.");
    for (const BridgeSnapshot& b : m.bridges) {
        w.sample("mote_bridge_connected", b.connected ? 1 : 0, "bridge=\"" + escape_label(b.name) + "\"");
    }
    for (const Family& f : families) {
        w.family(f.name, f.type, f.help);
        for (const BridgeSnapshot& b : m.bridges) {
            w.sample(f.name, b.*f.field, "bridge=\"" + escape_label(b.name) + "\"");
        }
    }
}

}  // namespace

std::string escape_label(const std::string& value) {
    std::string out;
    out.reserve(value.size());
    for (const char ch : value) {
        if (ch == '\\') {
            out += "\\\\";
        } else if (ch == '"') {
            out += "\\\"";
        } else if (ch == '\n') {
            out += "\\n";
        } else {
            out += ch;
        }
    }
    return out;
}

std::string render_metrics(const MetricsSnapshot& m) {
    std::string out;
    out.reserve(8192);
    Writer w(out);
    w.family("mote_build_info", "gauge", "Always 1; the version is the label.");
    w.sample("mote_build_info", 1, "version=\"" + escape_label(m.version) + "\"");
    w.one("mote_uptime_seconds", "gauge", "Seconds since the broker started.", m.uptime_seconds);
    w.one("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", m.resident_bytes);
    render_engine(w, m);
    render_net(w, m);
    render_bridges(w, m);
    return out;
}

std::uint64_t process_resident_bytes() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (f == nullptr) {
        return 0;
    }
    unsigned long long size = 0;
    unsigned long long resident = 0;
    const int n = std::fscanf(f, "%llu %llu", &size, &resident);
    std::fclose(f);
    if (n != 2) {
        return 0;
    }
    const long page = sysconf(_SC_PAGESIZE);
    return page > 0 ? resident * static_cast<std::uint64_t>(page) : 0;
}

}  // namespace mote::broker::http
