// mote-bench command line.
#pragma once

#include <cstdint>
#include <string>

#include "mote/common/protocol.hpp"

namespace mote::bench {

enum class Scenario : std::uint8_t { FanIn, FanOut, ManyToMany, Storm };

struct Options {
    Scenario scenario = Scenario::FanIn;
    std::string host = "127.0.0.1";
    int port = 1883;
    unsigned pubs = 8;
    unsigned subs = 1;
    unsigned qos = 0;
    unsigned payload = 64;            // bytes; at least the 24-byte stamp
    double rate = 0;                  // total PUBLISH/s over all publishers; 0 = as fast as possible
    double duration = 5;              // seconds of publishing (when count == 0)
    std::uint64_t count = 0;          // messages per publisher; 0 = use duration
    unsigned window = 16;             // QoS 1/2 in-flight PUBLISH per publisher
    std::uint64_t backlog = 5000;     // max published-but-undelivered per subscriber; 0 = off
    mqtt::Version version = mqtt::Version::V3_1_1;
    unsigned conns = 1000;            // storm: idle connections
    double connect_rate = 0;          // storm: connections/s; 0 = as fast as possible
    double hold = 3;                  // storm: seconds to hold the connections
    unsigned max_pending = 256;       // storm: connects in progress at once
    double drain = 5;                 // seconds without a delivery before giving up
    double time_limit = 0;            // hard limit in seconds; 0 = derived
    int broker_pid = 0;
    std::string label;                // free text copied into the JSON line
    std::string tls_cafile;           // --tls CAFILE: connect over TLS, verify against CAFILE
    bool ws = false;                  // --ws: MQTT over WebSockets (subprotocol mqtt)
    bool persistent = false;          // subscribers connect with Clean Session 0 (3.1.1)
};

// Parses argv; on error prints a message and returns false. `--help` prints usage and
// exits the process.
bool parse_options(int argc, char** argv, Options& o);

const char* scenario_name(Scenario s);

}  // namespace mote::bench
