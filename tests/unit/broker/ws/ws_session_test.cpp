// WebSocket session (broker/src/ws/ws_session.cpp), without sockets: the accept key
// (RFC 6455 §1.3 example), the upgrade answer and its refusals, frames split at
// every byte, ping/pong, the close handshake, and the frame header sizes.
#include <cstdint>
#include <string>
#include <vector>

#include "ws/ws_session.hpp"

// CppUTest last: its leak-detector macros redefine new for what follows.
#include <CppUTest/TestHarness.h>

using mote::broker::ws::WsSession;
using mote::mqtt::Bytes;

namespace {

struct Capture {
    std::string out;                      // everything the session sent
    std::vector<std::string> messages;    // binary messages delivered
};

void sink(void* user, Bytes b) { static_cast<Capture*>(user)->out.append(b.chars(), b.size); }
void deliver(void* user, Bytes m) { static_cast<Capture*>(user)->messages.emplace_back(m.chars(), m.size); }

const std::string kRequest =
    "GET /mqtt HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: mqtt\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n";

Bytes bytes(const std::string& s) { return Bytes{reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

// A masked client frame.
std::string frame(std::uint8_t first, const std::string& payload) {
    std::string f;
    f += static_cast<char>(first);
    f += static_cast<char>(0x80 | payload.size());  // payloads here are < 126 bytes
    const char key[4] = {0x11, 0x22, 0x33, 0x44};
    f.append(key, 4);
    for (std::size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ key[i % 4]);
    return f;
}

}  // namespace

TEST_GROUP(WsSession){};

TEST(WsSession, AcceptKeyRfc6455Example) {
    STRCMP_EQUAL("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", mote::broker::ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==").c_str());
}

TEST(WsSession, UpgradeAnswer) {
    Capture cap;
    WsSession s(&sink, &deliver, &cap, 1024);
    CHECK(s.feed(bytes(kRequest)) == WsSession::State::Open);
    STRCMP_EQUAL("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
                 cap.out.c_str());
    STRCMP_EQUAL("mqtt", s.subprotocol().c_str());
}

TEST(WsSession, RequestAndFramesSplitAtEveryByte) {
    const std::string connect("\x10\x0d\x00\x04MQTT\x04\x02\x00\x0a\x00\x01p", 15);
    // A binary first fragment, a continuation, a final continuation.
    const std::string all = kRequest + frame(0x02, connect.substr(0, 4)) + frame(0x00, connect.substr(4, 6)) +
                            frame(0x80, connect.substr(10));
    for (std::size_t cut = 1; cut < all.size(); ++cut) {
        Capture cap;
        WsSession s(&sink, &deliver, &cap, 1024);
        s.feed(bytes(all.substr(0, cut)));
        s.feed(bytes(all.substr(cut)));
        CHECK(s.state() == WsSession::State::Open);
        // Fragments are reassembled into one message.
        LONGS_EQUAL(1, cap.messages.size());
        CHECK(cap.messages[0] == connect);
    }
}

TEST(WsSession, PingGetsPongAndCloseGetsClose) {
    Capture cap;
    WsSession s(&sink, &deliver, &cap, 1024);
    s.feed(bytes(kRequest));
    cap.out.clear();
    s.feed(bytes(frame(0x89, "hi")));
    CHECK(cap.out == std::string("\x8a\x02hi", 4));
    cap.out.clear();
    CHECK(s.feed(bytes(frame(0x88, std::string("\x03\xe8", 2)))) == WsSession::State::Closing);
    CHECK(cap.out == std::string("\x88\x02\x03\xe8", 4));
}

TEST(WsSession, Refusals) {
    struct Case {
        std::string request;
        const char* status;
    };
    const Case cases[] = {
        {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400 "},
        {"POST / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", "HTTP/1.1 405 "},
        {"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\n\r\n",
         "HTTP/1.1 426 "},
        {"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
         "Sec-WebSocket-Key: c2hvcnQ=\r\n\r\n",
         "HTTP/1.1 400 "},
        {"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: chat\r\n\r\n",
         "HTTP/1.1 400 "},
        {std::string("\x10\x0d\x00\x04MQTT garbage\r\n\r\n", 20), "HTTP/1.1 400 "},
        {"GET / HTTP/1.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n", "HTTP/1.1 431 "},
    };
    for (const Case& c : cases) {
        Capture cap;
        WsSession s(&sink, &deliver, &cap, 1024);
        CHECK(s.feed(bytes(c.request)) == WsSession::State::Closing);
        CHECK_TEXT(cap.out.compare(0, std::string(c.status).size(), c.status) == 0, cap.out.c_str());
        CHECK_FALSE(s.failure().empty());
    }
}

TEST(WsSession, ProtocolViolationsClose) {
    const std::string unmasked("\x82\x02\xc0\x00", 4);
    const std::string fragmented_ping = frame(0x09, "x");
    const std::string text = frame(0x81, "hello");
    for (const std::string* f : {&unmasked, &fragmented_ping, &text}) {
        Capture cap;
        WsSession s(&sink, &deliver, &cap, 1024);
        s.feed(bytes(kRequest));
        cap.out.clear();
        // Closing (a close frame with a code) or Failed (wslay gave up: a close frame
        // without a code); the net layer closes the connection either way.
        CHECK(s.feed(bytes(*f)) != WsSession::State::Open);
        CHECK_EQUAL('\x88', cap.out.at(0));  // a close frame went out
        LONGS_EQUAL(0, cap.messages.size());
    }
}

TEST(WsSession, OversizedMessage1009) {
    Capture cap;
    WsSession s(&sink, &deliver, &cap, 100);
    s.feed(bytes(kRequest));
    cap.out.clear();
    CHECK(s.feed(bytes(frame(0x82, std::string(120, 'x')))) == WsSession::State::Closing);
    CHECK(cap.out == std::string("\x88\x02\x03\xf1", 4));  // 1009
}

TEST(WsSession, BinaryHeaderSizes) {
    Capture cap;
    WsSession s(&sink, &deliver, &cap, 1024);
    s.write_binary_header(125);
    s.write_binary_header(126);
    s.write_binary_header(70000);
    CHECK(cap.out == std::string("\x82\x7d" "\x82\x7e\x00\x7e" "\x82\x7f\x00\x00\x00\x00\x00\x01\x11\x70", 16));
}
