#include "http/routes.hpp"

#include "http/assets.hpp"

namespace mote::broker::http {

namespace {

// Every answer: no caching of live data, no MIME sniffing, no framing by others.
constexpr const char* kCommonHeaders =
    "Cache-Control: no-store\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "X-Frame-Options: DENY\r\n";

// The page loads only its own files and connects only to WebSockets and to this
// endpoint (for /metrics and /config.json). MQTT.js runs its keepalive timer in a
// worker made from a blob: URL, so that background tabs keep their connection.
constexpr const char* kPageHeaders =
    "Content-Security-Policy: default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; worker-src blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'\r\n";

Response asset_response(const Asset& a) {
    Response r;
    r.content_type = a.content_type;
    r.static_body = a.data;
    r.static_size = a.size;
    r.extra_headers = kPageHeaders;
    return r;
}

}  // namespace

const char* status_text(int status) {
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
    }
}

Response error_response(int status, const std::string& reason) {
    Response r;
    r.status = status;
    r.body = reason + "\n";
    return r;
}

std::string response_head(const Response& r, bool keep_alive) {
    const std::size_t length = r.static_body != nullptr ? r.static_size : r.body.size();
    std::string h;
    h.reserve(384);
    h += "HTTP/1.1 ";
    h += std::to_string(r.status);
    h += ' ';
    h += status_text(r.status);
    h += "\r\nContent-Type: ";
    h += r.content_type;
    h += "\r\nContent-Length: ";
    h += std::to_string(length);
    h += "\r\n";
    h += kCommonHeaders;
    h += r.extra_headers;
    h += keep_alive && !r.close ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    h += "\r\n";
    return h;
}

std::string dashboard_config_json(const std::string& websocket_url, int websocket_port) {
    // The URL was checked at configuration time to need no JSON escaping.
    std::string j = "{\"websocket_url\":";
    j += websocket_url.empty() ? "null" : "\"" + websocket_url + "\"";
    j += ",\"websocket_port\":";
    j += websocket_port > 0 ? std::to_string(websocket_port) : "null";
    j += ",\"default_filter\":\"sensors/#\",\"metrics_path\":\"/metrics\"}\n";
    return j;
}

Response route(const Request& req, const Site& site) {
    if (req.method == Method::Other) {
        Response r = error_response(405, "method " + req.method_name + " not allowed: use GET or HEAD");
        r.extra_headers = "Allow: GET, HEAD\r\n";
        return r;
    }
    if (req.path == "/healthz") {
        if (site.shutting_down && site.shutting_down()) {
            return error_response(503, "shutting down");
        }
        Response r;
        r.body = "ok\n";
        return r;
    }
    if (req.path == "/metrics") {
        Response r;
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        r.body = site.metrics ? site.metrics() : std::string();
        return r;
    }
    if (site.dashboard) {
        if (req.path == "/config.json") {
            Response r;
            r.content_type = "application/json";
            r.body = site.config_json;
            return r;
        }
        if (const Asset* a = find_asset(req.path)) {
            return asset_response(*a);
        }
    }
    return error_response(404, "not found: " + std::string(req.path.size() > 200 ? "(long path)" : req.path));
}

}  // namespace mote::broker::http
