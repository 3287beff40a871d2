// The one entry point net::Server uses to run the HTTP endpoint on its loop.
#pragma once

#include <uv.h>

#include <memory>
#include <string>

#include "http/http_server.hpp"

namespace mote::broker::net {
class Server;
}

namespace mote::broker::http {

// With cfg.http_port set: binds the endpoint and returns it; on failure returns
// nullptr with `error` set. Without it: returns nullptr and leaves `error` empty.
// `server` must outlive the result (the metrics read its engine and listeners).
std::unique_ptr<HttpServer> start_http(net::Server& server, uv_loop_t& loop, const BrokerConfig& cfg, Logger& log,
                                       std::string& error);

}  // namespace mote::broker::http
