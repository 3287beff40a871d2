// What the HTTP endpoint answers, sans-I/O: a parsed request in, the whole
// response bytes out. The libuv side (http_server.cpp) only moves bytes.
//
//   GET /healthz      200 "ok" while the broker runs (503 while it shuts down)
//   GET /metrics      Prometheus text format 0.0.4 (metrics.hpp)
//   GET /             the dashboard page, /dashboard.js, /dashboard.css,
//   GET /mqtt.min.js  /config.json: only with `http_dashboard true`
// HEAD is answered like GET without the body; any other method gets 405, an
// unknown path 404. Nothing here reveals client identities or changes state, so
// nothing needs authentication yet (docs/dashboard.md).
#pragma once

#include <functional>
#include <string>

#include "http/request.hpp"

namespace mote::broker::http {

struct Site {
    bool dashboard = false;
    std::string config_json;                 // body of /config.json
    std::function<std::string()> metrics;    // body of /metrics
    std::function<bool()> shutting_down;     // /healthz answers 503 when true
};

struct Response {
    int status = 200;
    const char* content_type = "text/plain; charset=utf-8";
    std::string body;                         // owned body (dynamic answers)
    const unsigned char* static_body = nullptr;  // or a static asset, not copied
    std::size_t static_size = 0;
    const char* extra_headers = "";           // whole lines, each ending in \r\n
    bool close = false;                       // send "Connection: close" and close after
};

Response route(const Request& req, const Site& site);
// An error answer with a one-line plain-text body.
Response error_response(int status, const std::string& reason);
// Status line and headers. `keep_alive` false adds "Connection: close"; for HEAD the
// caller sends only this. Content-Length is the body's length either way.
std::string response_head(const Response& r, bool keep_alive);
const char* status_text(int status);

// Builds the /config.json body from the configuration (websocket_url, the first
// websockets listener's port, the default filter).
std::string dashboard_config_json(const std::string& websocket_url, int websocket_port);

}  // namespace mote::broker::http
