// POSIX port: a non-blocking TCP socket transport and a monotonic millisecond clock,
// for Linux hosts and ARM Linux boards (also under qemu-arm). Fulfils the Transport
// and Clock contracts of client.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mote::client {

class PosixTransport {
public:
    // `host` is a numeric IPv4 or IPv6 address (no DNS lookup: it would block);
    // the string must outlive the transport.
    PosixTransport(const char* host, std::uint16_t port) : host_(host), port_(port) {}
    ~PosixTransport() { close(); }
    PosixTransport(const PosixTransport&) = delete;
    PosixTransport& operator=(const PosixTransport&) = delete;

    // 1 connected, 0 connect in progress, < 0 failed (socket closed again).
    int open();
    // > 0 bytes moved, 0 would block, < 0 closed or failed. SIGPIPE is suppressed.
    // recv() serves the client's small reads (it asks for one packet's bytes at a
    // time: header, then body) from a read buffer filled by one ::recv() of up to
    // kReadBuffer bytes, so a burst of packets costs one system call, not two per
    // packet. What the peer sent before closing is delivered before the "closed".
    std::ptrdiff_t send(const std::uint8_t* data, std::size_t len);
    std::ptrdiff_t recv(std::uint8_t* data, std::size_t cap);
    void close();
    int fd() const { return fd_; }

    static constexpr std::size_t kReadBuffer = 2048;

private:
    const char* host_;
    std::uint16_t port_;
    int fd_ = -1;
    bool connecting_ = false;
    std::size_t read_off_ = 0;  // read_buf_[read_off_, read_len_) is not handed out yet
    std::size_t read_len_ = 0;
    std::uint8_t read_buf_[kReadBuffer];
};

struct PosixClock {
    std::uint32_t now_ms();  // CLOCK_MONOTONIC, truncated to 32 bits
};

}  // namespace mote::client
