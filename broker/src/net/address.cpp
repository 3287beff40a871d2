// Bind addresses for the MQTT listeners (server.cpp) and the HTTP endpoint
// (broker/src/http/http_server.cpp).
#include "net/address.hpp"

#include <cstring>

namespace mote::broker::net {

// Resolves a bind address: an IPv4 or IPv6 literal, or a host name such as
// "localhost" (resolved once, synchronously, at start-up).
int resolve_bind_address(uv_loop_t* loop, const std::string& host, std::uint16_t port, sockaddr_storage& out) {
    std::memset(&out, 0, sizeof out);
    if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&out)) == 0) {
        return 0;
    }
    if (uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&out)) == 0) {
        return 0;
    }
    uv_getaddrinfo_t req;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    const int r = uv_getaddrinfo(loop, &req, nullptr, host.c_str(), nullptr, &hints);
    if (r != 0) {
        return r;
    }
    std::memcpy(&out, req.addrinfo->ai_addr, req.addrinfo->ai_addrlen);
    uv_freeaddrinfo(req.addrinfo);
    if (out.ss_family == AF_INET6) {
        reinterpret_cast<sockaddr_in6*>(&out)->sin6_port = htons(port);
    } else {
        reinterpret_cast<sockaddr_in*>(&out)->sin_port = htons(port);
    }
    return 0;
}

}  // namespace mote::broker::net
