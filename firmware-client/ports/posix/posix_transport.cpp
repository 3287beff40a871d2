// POSIX socket transport (see posix_transport.hpp).
#include "mote/client/posix_transport.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mote::client {
namespace {

bool would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK || e == EINTR; }

}  // namespace

int PosixTransport::open() {
    if (fd_ >= 0 && !connecting_) return 1;
    if (fd_ < 0) {
        sockaddr_storage ss{};
        socklen_t len = 0;
        auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
        if (inet_pton(AF_INET, host_, &v4->sin_addr) == 1) {
            v4->sin_family = AF_INET;
            v4->sin_port = htons(port_);
            len = sizeof(sockaddr_in);
        } else if (inet_pton(AF_INET6, host_, &v6->sin6_addr) == 1) {
            v6->sin6_family = AF_INET6;
            v6->sin6_port = htons(port_);
            len = sizeof(sockaddr_in6);
        } else {
            return -1;
        }
        fd_ = ::socket(ss.ss_family, SOCK_STREAM, 0);
        if (fd_ < 0) return -1;
        const int flags = ::fcntl(fd_, F_GETFL, 0);
        ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
        int one = 1;
        // Small MQTT packets should leave at once.
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&ss), len) == 0) {
            connecting_ = false;
            return 1;
        }
        if (errno != EINPROGRESS) {
            close();
            return -1;
        }
        connecting_ = true;
    }
    pollfd p{};
    p.fd = fd_;
    p.events = POLLOUT;
    if (::poll(&p, 1, 0) <= 0) return 0;
    int err = 0;
    socklen_t el = sizeof err;
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
        close();
        return -1;
    }
    connecting_ = false;
    return 1;
}

std::ptrdiff_t PosixTransport::send(const std::uint8_t* data, std::size_t len) {
    if (fd_ < 0) return -1;
    const ssize_t n = ::send(fd_, data, len, MSG_NOSIGNAL);
    if (n >= 0) return n;
    return would_block(errno) ? 0 : -1;
}

std::ptrdiff_t PosixTransport::recv(std::uint8_t* data, std::size_t cap) {
    if (fd_ < 0) return -1;
    if (read_off_ == read_len_) {
        const ssize_t n = ::recv(fd_, read_buf_, sizeof read_buf_, 0);
        if (n == 0) return -1;  // orderly shutdown by the peer: the contract's "closed"
        if (n < 0) return would_block(errno) ? 0 : -1;
        read_off_ = 0;
        read_len_ = static_cast<std::size_t>(n);
    }
    const std::size_t avail = read_len_ - read_off_;
    const std::size_t n = cap < avail ? cap : avail;
    std::memcpy(data, read_buf_ + read_off_, n);
    read_off_ += n;
    return static_cast<std::ptrdiff_t>(n);
}

void PosixTransport::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    connecting_ = false;
    read_off_ = read_len_ = 0;  // a new connection starts with nothing buffered
}

std::uint32_t PosixClock::now_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    const auto ms = static_cast<std::uint64_t>(ts.tv_sec) * 1000u + static_cast<std::uint64_t>(ts.tv_nsec) / 1000000u;
    return static_cast<std::uint32_t>(ms);
}

}  // namespace mote::client
