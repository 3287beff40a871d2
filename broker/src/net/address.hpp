// Resolving a listener's bind address, shared by the MQTT listeners and the HTTP
// endpoint. Start-up only: a host name is resolved synchronously.
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>

namespace mote::broker::net {

// Fills `out` with `host` (an IPv4 or IPv6 literal, or a host name such as
// "localhost") and `port`. Returns 0 or a libuv error code (uv_strerror).
int resolve_bind_address(uv_loop_t* loop, const std::string& host, std::uint16_t port, sockaddr_storage& out);

}  // namespace mote::broker::net
