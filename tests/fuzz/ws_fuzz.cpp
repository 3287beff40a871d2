// libFuzzer target for the WebSocket input path (broker/src/ws/ws_session.cpp): the
// HTTP upgrade request (libhttp-parser) and the frames (libwslay) that follow,
// split into chunks at fuzzer-chosen points. The first byte chooses whether a valid
// upgrade request is prepended (so the frame parser is reached quickly) and the
// chunk sizes; the session must never crash, read out of bounds or leak, and its
// output must stay bounded by what it was given.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ws/ws_session.hpp"

namespace {

struct Out {
    std::size_t bytes = 0;
    std::size_t messages = 0;
};

void sink(void* user, mote::mqtt::Bytes b) { static_cast<Out*>(user)->bytes += b.size; }
void deliver(void* user, mote::mqtt::Bytes m) {
    auto* o = static_cast<Out*>(user);
    ++o->messages;
    // Touch every byte so ASan checks the view.
    std::uint8_t x = 0;
    for (std::size_t i = 0; i < m.size; ++i) x = static_cast<std::uint8_t>(x ^ m.data[i]);
    o->bytes += x & 1U;
}

const char kUpgrade[] =
    "GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: mqtt\r\n\r\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::uint8_t mode = data[0];
    const std::size_t chunk = 1 + data[1] % 64U;
    std::string input;
    if (mode & 1U) input = kUpgrade;
    input.append(reinterpret_cast<const char*>(data + 2), size - 2);
    Out out;
    mote::broker::ws::WsSession s(&sink, &deliver, &out, 4096);
    const auto* p = reinterpret_cast<const std::uint8_t*>(input.data());
    std::size_t off = 0;
    while (off < input.size()) {
        const std::size_t n = (mode & 2U) ? input.size() - off : std::min(chunk, input.size() - off);
        const auto st = s.feed(mote::mqtt::Bytes{p + off, n});
        off += n;
        if (st != mote::broker::ws::WsSession::State::Upgrading && st != mote::broker::ws::WsSession::State::Open) {
            break;
        }
    }
    if (s.state() == mote::broker::ws::WsSession::State::Open) {
        s.write_binary_header(out.messages);
    }
    s.close(1000);
    s.drain(mote::mqtt::Bytes{p, std::min<std::size_t>(input.size(), 16)});
    return 0;
}
