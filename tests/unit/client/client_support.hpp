// Test support for the firmware client: a scripted fake transport (incoming bytes
// delivered in configurable splits, outgoing bytes recorded per connection), a fake
// clock, broker-side packet builders made with the codec, and a Rig that wires a
// Client to them and records events and messages.
//
// The same tests build against the 3.1.1-only client (CMake -DMOTE_MQTT5=OFF, which
// makes MOTE_MQTT_V5 0 for the codec and the client): there kVersions holds 3.1.1
// alone, and the tests of 5.0 features are compiled out with #if MOTE_MQTT_V5.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <CppUTest/TestHarness.h>

#include "mote/client/client.hpp"
#include "mote/common/codec.hpp"
#include "mote/common/framer.hpp"

namespace client_test {

namespace mq = mote::mqtt;
namespace mc = mote::client;
using Buf = std::vector<std::uint8_t>;

// The protocol versions this build of the client speaks, and kAnyVersion for tests
// of behaviour that does not depend on the version (5.0 where it is built, as these
// tests always used, so that the 3.1.1-only build runs them too).
#if MOTE_MQTT_V5
inline constexpr mq::Version kVersions[] = {mq::Version::V3_1_1, mq::Version::V5};
inline constexpr mq::Version kAnyVersion = mq::Version::V5;
#else
inline constexpr mq::Version kVersions[] = {mq::Version::V3_1_1};
inline constexpr mq::Version kAnyVersion = mq::Version::V3_1_1;
#endif

// The broker-side builders and Sent::decode() use this build's codec. A 3.1.1-only
// codec has no 5.0 layout, so there a Version::V5 packet would not be what the test
// means: only tests of 5.0 features (compiled out in that build) may ask for one.
inline void expect_built(mq::Version v) {
#if MOTE_MQTT_V5
    (void)v;
#else
    CHECK_TEXT(v != mq::Version::V5, "a 5.0 packet in the 3.1.1-only build");
#endif
}

struct FakeClock {
    std::uint32_t t = 1000;
    std::uint32_t now_ms() { return t; }
};

struct FakeTransport {
    int open_result = 1;     // what open() answers
    int opens = 0;
    int closes = 0;
    bool is_open = false;
    bool broken = false;     // recv/send return -1 (link lost)
    std::deque<std::uint8_t> in;
    Buf out;                 // bytes written on the current connection
    std::size_t out_read = 0;
    std::size_t split = 0;   // max bytes per recv (0 = no limit)
    bool random_split = false;
    std::uint32_t rng = 12345;
    std::size_t send_cap = 0;  // max bytes per send (0 = no limit)
    bool stall_send = false;   // send() answers 0 ("try later") forever

    int open() {
        ++opens;
        if (open_result > 0) {
            is_open = true;
            broken = false;
            in.clear();
            out.clear();
            out_read = 0;
        }
        return open_result;
    }
    std::ptrdiff_t send(const std::uint8_t* d, std::size_t n) {
        if (!is_open || broken) return -1;
        if (stall_send) return 0;
        if (send_cap != 0) n = std::min(n, send_cap);
        out.insert(out.end(), d, d + n);
        return static_cast<std::ptrdiff_t>(n);
    }
    std::ptrdiff_t recv(std::uint8_t* d, std::size_t cap) {
        if (!is_open || broken) return -1;
        if (in.empty()) return 0;
        std::size_t n = std::min(cap, in.size());
        if (random_split) {
            rng = rng * 1103515245u + 12345u;
            n = std::min(n, static_cast<std::size_t>(1 + (rng >> 16) % 7));
        } else if (split != 0) {
            n = std::min(n, split);
        }
        for (std::size_t i = 0; i < n; ++i) {
            d[i] = in.front();
            in.pop_front();
        }
        return static_cast<std::ptrdiff_t>(n);
    }
    void close() {
        if (is_open) ++closes;
        is_open = false;
    }
    void push(const Buf& b) { in.insert(in.end(), b.begin(), b.end()); }
};

// One packet the client wrote, decoded on demand (views point into `body`).
struct Sent {
    std::uint8_t first = 0;
    Buf body;
    mq::PacketType type() const { return static_cast<mq::PacketType>(first >> 4); }
    mq::Packet decode(mq::Version v) const {
        expect_built(v);
        mq::Packet p;
        mq::DecodeOptions o;
        o.version = v;
        o.sender = mq::Role::Client;
        const mq::Error e = mq::decode(first, mq::Bytes(body.data(), body.size()), o, p);
        if (e) p.type = mq::PacketType::Reserved;
        return p;
    }
};

// Splits what the client wrote since the last call into packets.
inline std::vector<Sent> take_sent(FakeTransport& t) {
    std::vector<Sent> r;
    for (;;) {
        const mq::Bytes rest(t.out.data() + t.out_read, t.out.size() - t.out_read);
        const mq::FixedHeader h = mq::parse_fixed_header(rest, 1u << 20);
        if (h.status != mq::FrameStatus::Complete || rest.size < h.total_size()) break;
        Sent s;
        s.first = h.first_byte;
        s.body.assign(rest.data + h.header_size, rest.data + h.total_size());
        r.push_back(std::move(s));
        t.out_read += h.total_size();
    }
    return r;
}

// ------------------------------------------------------------- broker-side builders
inline mq::Bytes B(const char* s) { return mq::Bytes::of(s, std::strlen(s)); }
inline std::string S(mq::Bytes b) { return std::string(b.chars(), b.size); }

inline Buf connack(mq::Version v, bool session_present, std::uint8_t code, mq::Properties props = {}) {
    expect_built(v);
    mq::Connack c;
    c.session_present = session_present;
    c.code = code;
    c.props = props;
    Buf b(256);
    b.resize(mq::encode_connack(c, v, b.data(), b.size()));
    return b;
}

inline Buf publish(mq::Version v, std::uint8_t qos, std::uint16_t id, const char* topic, const char* payload,
                   bool dup = false, mq::Properties props = {}) {
    expect_built(v);
    mq::Publish p;
    p.qos = qos;
    p.packet_id = id;
    p.dup = dup;
    p.topic = B(topic);
    p.payload = B(payload);
    p.props = props;
    Buf b(4096);
    b.resize(mq::encode_publish(p, v, b.data(), b.size()));
    return b;
}

inline Buf ack(mq::PacketType type, mq::Version v, std::uint16_t id, mq::Reason r = mq::Reason::Success,
               mq::Properties props = {}) {
    expect_built(v);
    mq::Ack a;
    a.packet_id = id;
    a.reason = r;
    a.props = props;
    Buf b(256);
    b.resize(mq::encode_ack(type, a, v, b.data(), b.size()));
    return b;
}

inline Buf suback(mq::PacketType type, mq::Version v, std::uint16_t id, const Buf& codes,
                  mq::Properties props = {}) {
    expect_built(v);
    mq::SubackLike s;
    s.packet_id = id;
    s.codes = mq::Bytes(codes.data(), codes.size());
    s.props = props;
    Buf b(256);
    b.resize(mq::encode_suback(type, s, v, b.data(), b.size()));
    return b;
}

inline Buf pingresp() { return Buf{0xD0, 0x00}; }

// ------------------------------------------------------------- the rig
struct Received {
    std::string topic;
    std::string payload;
    std::uint8_t qos;
    bool dup;
};

template <class Limits = mc::DefaultLimits>
struct Rig {
    using Client = mc::Client<FakeTransport, FakeClock, Limits>;

    FakeTransport t;
    FakeClock c;
    mc::Options o;
    std::unique_ptr<Client> cl;
    std::vector<mc::Event> events;
    std::vector<Received> msgs;

    explicit Rig(mq::Version v) {
        o.version = v;
        o.client_id = B("dev1");
        o.keep_alive_s = 30;
        o.on_event = &Rig::on_event;
        o.event_user = this;
        o.on_unmatched = &Rig::on_msg;
        o.unmatched_user = this;
        o.backoff_min_ms = 100;
        o.backoff_max_ms = 1000;
    }
    mq::Version v() const { return o.version; }
    Client& make() {
        cl = std::make_unique<Client>(t, c, o);
        return *cl;
    }
    static void on_event(void* u, const mc::Event& e) { static_cast<Rig*>(u)->events.push_back(e); }
    static void on_msg(void* u, const mc::Message& m) {
        static_cast<Rig*>(u)->msgs.push_back({S(m.topic), S(m.payload), m.qos, m.dup});
    }
    // Polls until the fake transport's input is drained (plus a few rounds).
    void poll(int rounds = 3) {
        for (int guard = 0; guard < 100000 && !t.in.empty() && t.is_open; ++guard) cl->poll();
        for (int i = 0; i < rounds; ++i) cl->poll();
    }
    void feed(const Buf& b) {
        t.push(b);
        poll();
    }
    void advance(std::uint32_t ms) {
        c.t += ms;
        poll();
    }
    // Starts the client (if needed), expects CONNECT, answers CONNACK.
    void connect(bool session_present = false, mq::Properties props = {}) {
        if (!cl) make();
        if (cl->state() == mc::ConnState::Idle) cl->start();
        poll();
        take_sent(t);
        feed(connack(v(), session_present, 0, props));
    }
    std::size_t count(mc::EventType type) const {
        return static_cast<std::size_t>(
            std::count_if(events.begin(), events.end(), [&](const mc::Event& e) { return e.type == type; }));
    }
    // Reconnects after a fault: advances past the backoff until the client opens.
    void reopen() {
        const int before = t.opens;
        for (int i = 0; i < 200 && t.opens == before; ++i) advance(50);
    }
};

}  // namespace client_test
