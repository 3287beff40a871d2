#include "net/cli.hpp"

#include "tls/tls_context.hpp"

#include <cstdlib>
#include <cstring>

namespace mote::broker::net {

namespace {

bool parse_port(const char* text, std::uint16_t& port) {
    if (text == nullptr || *text == '\0') {
        return false;
    }
    unsigned long v = 0;
    for (const char* p = text; *p != '\0'; ++p) {
        if (*p < '0' || *p > '9') {
            return false;
        }
        v = v * 10 + static_cast<unsigned long>(*p - '0');
        if (v > 65535) {
            return false;
        }
    }
    if (v == 0) {
        return false;
    }
    port = static_cast<std::uint16_t>(v);
    return true;
}

bool is(const char* arg, const char* short_form, const char* long_form) {
    return (short_form != nullptr && std::strcmp(arg, short_form) == 0) ||
           (long_form != nullptr && std::strcmp(arg, long_form) == 0);
}

}  // namespace

bool parse_cli(int argc, const char* const* argv, CliOptions& out, std::string& error) {
    for (int i = 1; i < argc; ++i) {
        const char* arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (is(arg, "-c", "--config-file")) {
            if (!has_value) {
                error = std::string(arg) + " needs a file name";
                return false;
            }
            out.config_file = argv[++i];
        } else if (is(arg, "-p", "--port")) {
            if (!has_value || !parse_port(argv[i + 1], out.port)) {
                error = std::string(arg) + " needs a port from 1 to 65535, got '" +
                        (has_value ? argv[i + 1] : "") + "'";
                return false;
            }
            out.has_port = true;
            ++i;
        } else if (is(arg, "-v", "--verbose")) {
            out.verbose = true;
        } else if (is(arg, "-h", "--help")) {
            out.help = true;
        } else if (is(arg, nullptr, "--version")) {
            out.version = true;
        } else if (is(arg, nullptr, "--test-config")) {
            out.test_config = true;
        } else if (arg[0] == '-') {
            error = "unknown option '" + std::string(arg) + "'";
            return false;
        } else {
            error = "unexpected argument '" + std::string(arg) + "'";
            return false;
        }
    }
    return true;
}

std::string usage_text(const char* program) {
    std::string p = program;
    return "Usage: " + p + " [-c FILE] [-p PORT] [-v] [--test-config]\n"
           "\n"
           "Mote MQTT broker (MQTT 3.1, 3.1.1 and 5.0).\n"
           "\n"
           "  -c, --config-file FILE  read the mosquitto.conf-style configuration FILE\n"
           "  -p, --port PORT         without listeners in the config: listen on\n"
           "                          127.0.0.1:PORT instead of 127.0.0.1:1883;\n"
           "                          with listeners: also listen on 127.0.0.1:PORT\n"
           "  -v, --verbose           log debug lines too\n"
           "      --test-config       load and check the configuration, print\n"
           "                          'configuration OK' or the error, then exit (0/1)\n"
           "  -h, --help              show this help and exit\n"
           "      --version           show the version and exit\n"
           "\n"
           "Without a configuration file Mote listens on 127.0.0.1 only.\n"
           "Signals: SIGINT/SIGTERM shut down gracefully, SIGHUP reloads the configuration.\n"
           "Exit status: 0 normal, 1 configuration or start-up error, 2 usage error.\n";
}

void apply_cli(const CliOptions& cli, BrokerConfig& cfg) {
    if (cfg.listeners.empty()) {
        ListenerConfig l;
        l.bind_address = "127.0.0.1";
        l.port = cli.has_port ? cli.port : 1883;
        l.file = cli.has_port ? "command line (-p)" : "built-in default";
        cfg.listeners.push_back(l);
    } else if (cli.has_port) {
        ListenerConfig l;
        l.bind_address = "127.0.0.1";
        l.port = cli.port;
        l.file = "command line (-p)";
        cfg.listeners.push_back(l);
    }
}

bool validate_for_net(const BrokerConfig& cfg, ConfigError& err) {
    for (const ListenerConfig& l : cfg.listeners) {
        // Loads the certificates and keys once, so that --test-config and SIGHUP
        // report a bad file with its line, as the parser does.
        if (l.tls.enabled() && !tls::TlsContext::create(l, err)) {
            return false;
        }
    }
    return true;
}

}  // namespace mote::broker::net
