// The HTTP endpoint's options (docs/dashboard.md): http_listener,
// http_dashboard and http_dashboard_websocket_url. Kept apart from config.cpp so
// that the option table is the only shared line.
#include <string>

#include "config/config_options.hpp"

namespace mote::broker::config_detail {

bool Parser::on_http_listener(const Line& ln) {
    if (ln.args.size() > 2) {
        return fail(ln, "expected 'http_listener PORT [BIND_ADDRESS]', got '" + ln.rest + "'");
    }
    std::uint64_t port = 0;
    if (!parse_u64(ln.args[0], port) || port == 0 || port > 65535) {
        return fail(ln, "expected a port from 1 to 65535, got '" + ln.args[0] + "'");
    }
    cfg_.http_port = static_cast<std::uint16_t>(port);
    // Loopback unless the operator names an address: the endpoint shows broker
    // internals and has no authentication yet.
    cfg_.http_bind_address = ln.args.size() == 2 ? ln.args[1] : std::string("127.0.0.1");
    cfg_.http_file = ln.file;
    cfg_.http_line = ln.number;
    return true;
}

bool Parser::on_http_dashboard(const Line& ln) { return boolean(ln, cfg_.http_dashboard); }

bool Parser::on_http_dashboard_websocket_url(const Line& ln) {
    if (!one_arg(ln, "a ws:// or wss:// URL")) {
        return false;
    }
    const std::string& url = ln.args[0];
    const bool ws = url.compare(0, 5, "ws://") == 0 && url.size() > 5;
    const bool wss = url.compare(0, 6, "wss://") == 0 && url.size() > 6;
    if (!ws && !wss) {
        return fail(ln, "expected a ws:// or wss:// URL, got '" + url + "'");
    }
    // The URL goes into a JSON string for the page: refuse what would need escaping.
    for (const char ch : url) {
        const auto u = static_cast<unsigned char>(ch);
        if (u < 0x21 || u > 0x7e || ch == '"' || ch == '\\' || ch == '<' || ch == '>') {
            return fail(ln, "the URL may contain only printable ASCII without quotes, '\\', '<' or '>'");
        }
    }
    cfg_.http_dashboard_websocket_url = url;
    return true;
}

bool Parser::finish_http() {
    if (cfg_.http_dashboard && cfg_.http_port == 0) {
        // dispatch() recorded "file:line" of this single option.
        const std::string& where = seen_["http_dashboard"];
        const auto colon = where.rfind(':');
        err_.file = where.substr(0, colon);
        err_.line = std::stoi(where.substr(colon + 1));
        err_.option = "http_dashboard";
        err_.message = "the dashboard is served by the HTTP endpoint: add an 'http_listener PORT' line";
        return false;
    }
    if (cfg_.http_port == 0) {
        return true;
    }
    for (const ListenerConfig& l : cfg_.listeners) {
        const bool overlap = l.bind_address.empty() || l.bind_address == cfg_.http_bind_address;
        if (l.port == cfg_.http_port && overlap) {
            err_.file = cfg_.http_file;
            err_.line = cfg_.http_line;
            err_.option = "http_listener";
            err_.message = "port " + std::to_string(cfg_.http_port) + " is already used by the listener at " +
                           l.file + ":" + std::to_string(l.line);
            return false;
        }
    }
    return true;
}

}  // namespace mote::broker::config_detail
