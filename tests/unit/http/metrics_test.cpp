// http::render_metrics(): the exact Prometheus text for a known snapshot (the
// interop test checks it with the prometheus_client parser against a workload).
#include "http/metrics.hpp"

#include <CppUTest/TestHarness.h>

#include <string>

using namespace mote::broker::http;

namespace {

bool has_line(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos || text.compare(0, line.size() + 1, line + "\n") == 0;
}

}  // namespace

TEST_GROUP(Metrics) {};

TEST(Metrics, SamplesCarryTheSnapshot) {
    MetricsSnapshot m;
    m.version = "1.2.3";
    m.uptime_seconds = 42;
    m.resident_bytes = 4096;
    m.engine.clients_connected = 3;
    m.engine.publish_received_by_qos[0] = 5;
    m.engine.publish_received_by_qos[2] = 7;
    m.engine.publish_bytes_sent_by_qos[1] = 99;
    m.engine.messages_dropped = 2;
    m.engine.retained_messages = 4;
    m.engine.subscriptions = 6;
    m.queues.queued = 8;
    m.queues.inflight = 1;
    m.listeners.push_back({"127.0.0.1:1883", "mqtt", 2});
    m.listeners.push_back({"[::1]:8080", "websockets", 1});
    m.http.requests = 10;
    const std::string t = render_metrics(m);
    CHECK(has_line(t, "mote_build_info{version=\"1.2.3\"} 1"));
    CHECK(has_line(t, "mote_uptime_seconds 42"));
    CHECK(has_line(t, "process_resident_memory_bytes 4096"));
    CHECK(has_line(t, "mote_clients_connected 3"));
    CHECK(has_line(t, "mote_messages_received_total{qos=\"0\"} 5"));
    CHECK(has_line(t, "mote_messages_received_total{qos=\"1\"} 0"));
    CHECK(has_line(t, "mote_messages_received_total{qos=\"2\"} 7"));
    CHECK(has_line(t, "mote_publish_bytes_sent_total{qos=\"1\"} 99"));
    CHECK(has_line(t, "mote_messages_dropped_total 2"));
    CHECK(has_line(t, "mote_messages_queued 8"));
    CHECK(has_line(t, "mote_messages_inflight 1"));
    CHECK(has_line(t, "mote_retained_messages 4"));
    CHECK(has_line(t, "mote_subscriptions 6"));
    CHECK(has_line(t, "mote_listener_connections{listener=\"127.0.0.1:1883\",protocol=\"mqtt\"} 2"));
    CHECK(has_line(t, "mote_listener_connections{listener=\"[::1]:8080\",protocol=\"websockets\"} 1"));
    CHECK(has_line(t, "mote_connections 3"));
    CHECK(has_line(t, "mote_http_requests_total 10"));
    CHECK(has_line(t, "# TYPE mote_messages_received_total counter"));
    CHECK(has_line(t, "# TYPE mote_messages_queued gauge"));
    // One TYPE line per family, each before its samples.
    CHECK(t.find("# TYPE mote_listener_connections gauge") < t.find("mote_listener_connections{"));
    CHECK_EQUAL(t.find("# TYPE mote_messages_sent_total"), t.rfind("# TYPE mote_messages_sent_total"));
}

TEST(Metrics, LabelValuesAreEscaped) {
    STRCMP_EQUAL("a\\\\b\\\"c\\nd", escape_label("a\\b\"c\nd").c_str());
}

TEST(Metrics, ResidentBytesOfThisProcess) { CHECK(process_resident_bytes() > 0); }

TEST(Metrics, BridgesHaveTheirFamiliesOnlyWhenConfigured) {
    MetricsSnapshot m;
    CHECK(render_metrics(m).find("mote_bridge_") == std::string::npos);
    BridgeSnapshot up;
    up.name = "cloud";
    up.connected = true;
    up.queued = 12;
    up.inflight = 3;
    up.dropped = 1;
    up.sent = 100;
    up.received = 7;
    up.connects = 2;
    BridgeSnapshot backup;
    backup.name = "backup";
    m.bridges = {up, backup};
    const std::string t = render_metrics(m);
    CHECK(has_line(t, "mote_bridge_connected{bridge=\"cloud\"} 1"));
    CHECK(has_line(t, "mote_bridge_connected{bridge=\"backup\"} 0"));
    CHECK(has_line(t, "mote_bridge_queued_messages{bridge=\"cloud\"} 12"));
    CHECK(has_line(t, "mote_bridge_inflight_messages{bridge=\"cloud\"} 3"));
    CHECK(has_line(t, "mote_bridge_dropped_total{bridge=\"cloud\"} 1"));
    CHECK(has_line(t, "mote_bridge_sent_total{bridge=\"cloud\"} 100"));
    CHECK(has_line(t, "mote_bridge_received_total{bridge=\"cloud\"} 7"));
    CHECK(has_line(t, "mote_bridge_connects_total{bridge=\"cloud\"} 2"));
    CHECK(has_line(t, "# TYPE mote_bridge_dropped_total counter"));
    CHECK(has_line(t, "# TYPE mote_bridge_queued_messages gauge"));
    CHECK_EQUAL(t.find("# TYPE mote_bridge_sent_total"), t.rfind("# TYPE mote_bridge_sent_total"));
}
