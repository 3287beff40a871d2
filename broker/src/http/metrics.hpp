// The Prometheus text exposition (format 0.0.4) of the broker's counters,
// rendered from a snapshot: pure, so unit tests check the exact text. The
// metric names and their meanings are listed in docs/dashboard.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mote/broker/engine.hpp"

namespace mote::broker::http {

struct ListenerSnapshot {
    std::string name;      // "127.0.0.1:1883"
    std::string protocol;  // "mqtt", "websockets"
    std::uint64_t connections = 0;
};

struct HttpStats {
    std::uint64_t requests = 0;          // complete requests answered
    std::uint64_t rejected = 0;          // answered with 4xx/5xx (bad input, not found, ...)
    std::uint64_t refused = 0;           // connections over the limit
    std::uint64_t timeouts = 0;          // requests not complete in time (408)
    std::uint64_t connections = 0;       // open now
};

// One bridge (docs/bridge.md): its link state and its backlog.
struct BridgeSnapshot {
    std::string name;
    bool connected = false;
    std::uint64_t queued = 0;    // backlog waiting in the bridge's local session
    std::uint64_t inflight = 0;  // handed to the bridge, not yet acknowledged upstream
    std::uint64_t dropped = 0;   // backlog limits, too large, unmappable, QoS 0 while down
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    std::uint64_t connects = 0;
};

struct MetricsSnapshot {
    std::string version;
    std::uint64_t uptime_seconds = 0;
    std::uint64_t resident_bytes = 0;  // 0: unknown (no /proc)
    EngineStats engine;
    QueueStats queues;
    std::uint64_t connections_accepted = 0;
    std::uint64_t connections_refused = 0;
    std::uint64_t slow_consumer_disconnects = 0;
    std::vector<ListenerSnapshot> listeners;
    std::vector<BridgeSnapshot> bridges;
    HttpStats http;
};

// The whole /metrics body.
std::string render_metrics(const MetricsSnapshot& m);

// A label value with '\', '"' and newline escaped as the format requires.
std::string escape_label(const std::string& value);

// This process's resident set size in bytes from /proc/self/statm; 0 if unknown.
std::uint64_t process_resident_bytes();

}  // namespace mote::broker::http
