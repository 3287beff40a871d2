// The smallest program a firmware engineer writes against the client: options, a
// subscription with a callback, start(), poll(). Run with a closed port it must
// come back from poll() (nothing blocks) and report the failed connection.
#include <cstdio>
#include <cstdlib>

#include "mote/client/client.hpp"
#include "mote/client/posix_transport.hpp"

namespace {
void on_message(void*, const mote::client::Message&) {}
}  // namespace

int main(int argc, char** argv) {
    const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 1);
    static mote::client::PosixTransport tcp("127.0.0.1", port);
    static mote::client::PosixClock clock;
    mote::client::Options opts;
    opts.version = mote::mqtt::Version::V5;
    opts.client_id = mote::mqtt::Bytes::of("consumer");
    static mote::client::Client<mote::client::PosixTransport, mote::client::PosixClock> client(tcp, clock, opts);
    client.subscribe(mote::mqtt::Bytes::of("sensors/+/cmd"), 1, on_message, nullptr);
    client.start();
    for (int i = 0; i < 100; ++i) client.poll();
    std::printf("consumer: connected %u time(s), %u link loss(es) (no broker on that port)\n",
                static_cast<unsigned>(client.stats().connects), static_cast<unsigned>(client.stats().link_losses));
    return 0;
}
