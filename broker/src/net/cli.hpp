// The mote-broker command line: parsed into CliOptions before anything else runs.
// Pure (no I/O), so a wrong option can be reported before the config is read.
#pragma once

#include <cstdint>
#include <string>

#include "mote/broker/config.hpp"

namespace mote::broker::net {

struct CliOptions {
    std::string config_file;  // -c FILE; empty: built-in defaults
    bool has_port = false;    // -p PORT given
    std::uint16_t port = 0;
    bool verbose = false;      // -v: debug log lines too
    bool help = false;         // -h / --help
    bool version = false;      // --version
    bool test_config = false;  // --test-config: load, validate, report, exit
};

// Parses argv[1..argc). Returns false with `error` set ("unknown option '-x'",
// "-p needs a port from 1 to 65535, got 'abc'") on any usage error; the caller
// exits with status 2.
bool parse_cli(int argc, const char* const* argv, CliOptions& out, std::string& error);

// The --help text.
std::string usage_text(const char* program);

// Applies -p to a loaded configuration. Without any listener in the config the
// broker listens on 127.0.0.1 only (secure default), on -p's port or 1883. With
// listeners configured, -p adds one more listener on 127.0.0.1:PORT (mosquitto
// also adds -p to the configured listeners; Mote keeps it on loopback).
void apply_cli(const CliOptions& cli, BrokerConfig& cfg);

// Checks what the config parser cannot know: listener kinds the net layer does not
// implement yet. Fills `err` (file and line of the listener) and returns false.
bool validate_for_net(const BrokerConfig& cfg, ConfigError& err);

}  // namespace mote::broker::net
