// PosixTransport (firmware-client/ports/posix): the Transport contract over a real
// loopback TCP connection. The client asks for a packet's bytes a few at a time;
// the port serves them from its read buffer, delivers what the peer sent before it
// closed and only then says "closed", and starts every connection empty.
#include <CppUTest/TestHarness.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "mote/client/posix_transport.hpp"

using mote::client::PosixTransport;

namespace {

// A listening socket on 127.0.0.1 and a free port chosen by the kernel.
struct Listener {
    int fd = -1;
    std::uint16_t port = 0;
    Listener() {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd, 4) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            FAIL("cannot listen on 127.0.0.1");
        }
        port = ntohs(a.sin_port);
    }
    ~Listener() {
        if (fd >= 0) ::close(fd);
    }
    int accept_one() const {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 5000) != 1) return -1;
        return ::accept(fd, nullptr, nullptr);
    }
};

void open_or_fail(PosixTransport& t) {
    for (int i = 0; i < 500; ++i) {
        const int r = t.open();
        if (r == 1) return;
        if (r < 0) FAIL("open() failed");
        ::usleep(2000);
    }
    FAIL("open() did not complete");
}

// Reads until recv() says closed, in pieces of the sizes in `caps` (cycled).
std::vector<std::uint8_t> read_until_closed(PosixTransport& t, const std::vector<std::size_t>& caps) {
    std::vector<std::uint8_t> got;
    std::uint8_t buf[4096];
    for (std::size_t i = 0, idle = 0; idle < 2500; ++i) {
        const std::ptrdiff_t n = t.recv(buf, caps[i % caps.size()]);
        if (n < 0) return got;
        if (n == 0) {
            ++idle;
            ::usleep(2000);
            continue;
        }
        CHECK(static_cast<std::size_t>(n) <= caps[i % caps.size()]);
        got.insert(got.end(), buf, buf + n);
    }
    FAIL("recv() never said closed");
    return got;
}

}  // namespace

TEST_GROUP(PosixTransport) {};

TEST(PosixTransport, SmallReadsGetEveryByteAndClosedComesLast) {
    Listener l;
    PosixTransport t("127.0.0.1", l.port);
    open_or_fail(t);
    const int peer = l.accept_one();
    CHECK(peer >= 0);
    // More than the read buffer, so that it is refilled while the client reads.
    std::vector<std::uint8_t> sent(3 * PosixTransport::kReadBuffer + 123);
    for (std::size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<std::uint8_t>(i * 31 + 7);
    CHECK_EQUAL(static_cast<ssize_t>(sent.size()), ::send(peer, sent.data(), sent.size(), 0));
    ::close(peer);  // the orderly shutdown arrives behind the data
    const std::vector<std::uint8_t> got = read_until_closed(t, {2, 1, 3, 100, 4096});
    CHECK(got == sent);
    CHECK(t.recv(nullptr, 0) < 0);  // stays closed
    t.close();
}

TEST(PosixTransport, ANewConnectionStartsWithNothingBuffered) {
    Listener l;
    PosixTransport t("127.0.0.1", l.port);
    open_or_fail(t);
    int peer = l.accept_one();
    const std::uint8_t first[100] = {1};
    CHECK_EQUAL(100, ::send(peer, first, sizeof first, 0));
    std::uint8_t buf[16];
    std::ptrdiff_t n = 0;
    for (int i = 0; i < 2500 && n == 0; ++i, ::usleep(2000)) n = t.recv(buf, 10);
    CHECK_EQUAL(10, n);  // 90 bytes stay buffered...
    t.close();           // ...and go with the connection
    ::close(peer);
    open_or_fail(t);
    peer = l.accept_one();
    const std::uint8_t second[3] = {'a', 'b', 'c'};
    CHECK_EQUAL(3, ::send(peer, second, sizeof second, 0));
    ::close(peer);
    const std::vector<std::uint8_t> got = read_until_closed(t, {16});
    CHECK(got == std::vector<std::uint8_t>(second, second + 3));
    t.close();
}
