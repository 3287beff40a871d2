// mote-broker: command line, configuration, logging, then one event loop (Server)
// until SIGINT/SIGTERM. Exit status: 0 normal, 1 configuration or start-up error,
// 2 usage error.
#include <csignal>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "auth/security.hpp"
#include "mote/broker/config.hpp"
#include "mote/broker/log.hpp"
#include "net/cli.hpp"
#include "net/server.hpp"
#include "service/notify.hpp"

#ifndef MOTE_VERSION
#define MOTE_VERSION "0.0.0"
#endif

namespace {

using mote::broker::BrokerConfig;
using mote::broker::ConfigError;
using mote::broker::LogLevel;
namespace net = mote::broker::net;

// Reads the configuration the command line names and applies the command line on
// top; used at start-up and on SIGHUP.
bool load(const net::CliOptions& cli, BrokerConfig& cfg, ConfigError& err) {
    cfg = BrokerConfig{};
    if (!cli.config_file.empty() && !mote::broker::load_config_file(cli.config_file, cfg, err)) {
        return false;
    }
    net::apply_cli(cli, cfg);
    return net::validate_for_net(cfg, err);
}

std::string listener_list(const BrokerConfig& cfg) {
    std::string out;
    for (const auto& l : cfg.listeners) {
        out += out.empty() ? "" : ", ";
        const bool v6 = l.bind_address.find(':') != std::string::npos;
        const std::string host = l.bind_address.empty() ? "*" : (v6 ? "[" + l.bind_address + "]" : l.bind_address);
        out += host + ":" + std::to_string(l.port);
    }
    return out;
}

int run_broker(const net::CliOptions& cli, const BrokerConfig& cfg,
               std::shared_ptr<const mote::broker::auth::Security> security) {
    mote::broker::Logger log;
    std::string error;
    if (!log.configure(cfg, error)) {
        std::fprintf(stderr, "mote-broker: error: %s\n", error.c_str());
        return 1;
    }
    log.set_verbose(cli.verbose);
    // Declared before the Server: its handles live on the Server's loop (notify.hpp).
    mote::broker::service::ServiceNotifier notifier(log);
    net::Server server(cfg, log);
    server.set_security(std::move(security));
    if (!server.listen(error)) {
        log.log(LogLevel::Error, "%s", error.c_str());
        if (!cfg.log_dest.empty()) {
            // The log may go to a file: the operator starting it must see why too.
            std::fprintf(stderr, "mote-broker: error: %s\n", error.c_str());
        }
        return 1;
    }
    server.set_reload([&cli](BrokerConfig& out, ConfigError& err) { return load(cli, out, err); });
    log.log(LogLevel::Notice, "mote-broker %s starting; config %s; listening on %s", MOTE_VERSION,
            cfg.config_file.empty() ? "(built-in defaults)" : cfg.config_file.c_str(),
            listener_list(cfg).c_str());
    notifier.start(server.loop(), "listening on " + listener_list(cfg));
    server.run();
    notifier.close();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    // A peer that resets while we write must give EPIPE, not kill the broker.
    std::signal(SIGPIPE, SIG_IGN);

    net::CliOptions cli;
    std::string error;
    if (!net::parse_cli(argc, argv, cli, error)) {
        std::fprintf(stderr, "mote-broker: %s\nTry 'mote-broker --help' for more information.\n",
                     error.c_str());
        return 2;
    }
    if (cli.help) {
        std::fputs(net::usage_text("mote-broker").c_str(), stdout);
        return 0;
    }
    if (cli.version) {
        std::printf("mote-broker %s\n", MOTE_VERSION);
        return 0;
    }
    BrokerConfig cfg;
    ConfigError err;
    if (!load(cli, cfg, err)) {
        std::fprintf(stderr, "mote-broker: configuration error: %s\n", err.to_string().c_str());
        return 1;
    }
    // The password and ACL files: a bad line stops the start-up, naming file and line.
    std::shared_ptr<const mote::broker::auth::Security> security;
    if (!mote::broker::auth::load_security(cfg, security, err)) {
        std::fprintf(stderr, "mote-broker: configuration error: %s\n", err.to_string().c_str());
        return 1;
    }
    if (cli.test_config) {
        std::printf("configuration OK\n");
        return 0;
    }
    try {
        return run_broker(cli, cfg, std::move(security));
    } catch (const std::exception& e) {
        // Start-up failures only (STYLE #8): the data path does not throw.
        std::fprintf(stderr, "mote-broker: error: %s\n", e.what());
        return 1;
    }
}
