// libFuzzer target for the firmware client: a broker that sends anything, in any
// pieces, at any pace (HOSTILE_INPUTS section 5 beyond the rows the unit tests name).
//
// Input layout: byte 0 chooses the session: bit 0 MQTT 5.0 (when built in), bit 1 a
// valid CONNACK arrives first (so the rest reaches a connected client), bit 2
// Session Present on it, bit 3 clean start. Then records of three parts: a count n,
// up to n bytes that the broker sends, and a control byte: its low 5 bits are the
// most bytes one recv() hands over (0: all), bits 5-6 advance the clock by 0, 50,
// 1000 or 30000 ms, bit 7 queues one more PUBLISH (QoS from the bytes' count).
//
// Checks, each ending in abort() on failure:
//  * what the client writes is always a sequence of whole packets that decode (as a
//    server decodes a client's packets, in the session's version): no malformed
//    output whatever state the input drove it into;
//  * the first packet on every connection is CONNECT;
//  * the client's state is one of its states after every poll();
//  * after the input, disconnect() brings it to Idle within a bounded number of
//    polls (a broker cannot wedge it).
// Memory errors, UB, leaks and hangs are the sanitizers' and libFuzzer's to report.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <vector>

#include "mote/client/client.hpp"
#include "mote/common/codec.hpp"
#include "mote/common/framer.hpp"

namespace mq = mote::mqtt;
namespace mc = mote::client;

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "client_fuzz: %s\n", what);
    std::abort();
}

mq::Version g_version = mq::Version::V3_1_1;

// Decodes everything in `out` from `from` on; every byte must belong to a whole,
// valid packet of a client. Returns the offset after the last packet.
std::size_t check_output(const std::vector<std::uint8_t>& out, std::size_t from, bool first_is_connect) {
    std::size_t off = from;
    while (off < out.size()) {
        const mq::Bytes rest(out.data() + off, out.size() - off);
        const mq::FixedHeader h = mq::parse_fixed_header(rest, mq::kMaxRemainingLength + 5);
        if (h.status != mq::FrameStatus::Complete || rest.size < h.total_size()) fail("the client wrote a partial packet");
        const auto type = static_cast<mq::PacketType>(h.first_byte >> 4);
        if (off == 0 && first_is_connect && type != mq::PacketType::Connect) fail("a connection did not start with CONNECT");
        mq::DecodeOptions o;
        o.version = g_version;
        o.sender = mq::Role::Client;
        mq::Packet p;
        const mq::Bytes body(rest.data + h.header_size, h.remaining_length);
        if (mq::decode(h.first_byte, body, o, p)) fail("the client wrote a packet that does not decode");
        off += h.total_size();
    }
    return off;
}

struct FuzzClock {
    std::uint32_t t = 5000;
    std::uint32_t now_ms() { return t; }
};

struct FuzzTransport {
    std::deque<std::uint8_t> in;  // what the broker sent and the client has not read
    std::size_t per_recv = 0;     // most bytes per recv(); 0 = no limit
    bool is_open = false;
    std::vector<std::uint8_t> out;  // this connection's bytes from the client
    std::size_t checked = 0;

    int open() {
        is_open = true;
        out.clear();
        checked = 0;
        return 1;
    }
    std::ptrdiff_t send(const std::uint8_t* d, std::size_t n) {
        if (!is_open) fail("send() on a closed link");
        out.insert(out.end(), d, d + n);
        return static_cast<std::ptrdiff_t>(n);
    }
    std::ptrdiff_t recv(std::uint8_t* d, std::size_t cap) {
        if (!is_open) fail("recv() on a closed link");
        std::size_t n = in.size() < cap ? in.size() : cap;
        if (per_recv != 0 && n > per_recv) n = per_recv;
        for (std::size_t i = 0; i < n; ++i) {
            d[i] = in.front();
            in.pop_front();
        }
        return static_cast<std::ptrdiff_t>(n);
    }
    void close() {
        if (is_open) checked = check_output(out, checked, true);
        is_open = false;
    }
};

// Small tables, so that the limits (full outbox, full incoming QoS 2 table, packets
// larger than the receive buffer) are easy to reach.
struct FuzzLimits : mc::DefaultLimits {
    static constexpr std::size_t rx_bytes = 64;
    static constexpr std::size_t tx_bytes = 64;
    static constexpr std::size_t inflight = 2;
    static constexpr std::size_t queue_messages = 4;
    static constexpr std::size_t queue_bytes = 96;
    static constexpr std::size_t subscriptions = 2;
    static constexpr std::size_t filter_bytes = 16;
    static constexpr std::size_t client_id_bytes = 8;
};

void on_message(void*, const mc::Message& m) {
    // Touch every view: they must point at readable bytes.
    volatile std::uint8_t sink = 0;
    for (std::size_t i = 0; i < m.topic.size; ++i) sink = static_cast<std::uint8_t>(sink + m.topic[i]);
    for (std::size_t i = 0; i < m.payload.size; ++i) sink = static_cast<std::uint8_t>(sink + m.payload[i]);
    (void)sink;
}

bool valid_state(mc::ConnState s) { return static_cast<unsigned>(s) <= static_cast<unsigned>(mc::ConnState::Closing); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t mode = data[0];
    g_version = (mode & 1U) != 0 && MOTE_MQTT_V5 != 0 ? mq::Version::V5 : mq::Version::V3_1_1;

    FuzzTransport t;
    FuzzClock clock;
    mc::Options o;
    o.version = g_version;
    o.client_id = mq::Bytes::of("fuzz");
    o.keep_alive_s = 10;
    o.clean_start = (mode & 8U) != 0;
    o.on_unmatched = &on_message;
    o.backoff_min_ms = 20;
    o.backoff_max_ms = 200;
    o.connect_timeout_ms = 2000;
    o.ping_timeout_ms = 1000;
    mc::Client<FuzzTransport, FuzzClock, FuzzLimits> client(t, clock, o);
    (void)client.subscribe(mq::Bytes::of("a/+"), 1, &on_message, nullptr);
    (void)client.subscribe(mq::Bytes::of("$share/g/#"), 2, &on_message, nullptr);
    for (std::uint8_t q = 0; q < 3; ++q) (void)client.publish(mq::Bytes::of("a/b"), mq::Bytes::of("x"), q, q == 1);
    if (client.start() != mc::Status::Ok) fail("start() refused a version that is built in");

    if ((mode & 2U) != 0) {
        client.poll();  // opens and writes CONNECT
        const bool v5 = g_version == mq::Version::V5;
        const std::uint8_t sp = (mode & 4U) != 0 ? 1 : 0;
        const std::uint8_t connack[] = {0x20, static_cast<std::uint8_t>(v5 ? 3 : 2), sp, 0, 0};
        t.in.insert(t.in.end(), connack, connack + (v5 ? 5 : 4));
    }

    std::size_t off = 1;
    while (off < size) {
        std::size_t n = data[off++];
        if (n > size - off) n = size - off;
        t.in.insert(t.in.end(), data + off, data + off + n);
        off += n;
        const std::uint8_t ctl = off < size ? data[off++] : 0;
        t.per_recv = ctl & 0x1FU;
        static const std::uint32_t kSteps[] = {0, 50, 1000, 30000};
        clock.t += kSteps[(ctl >> 5) & 3U];
        if ((ctl & 0x80U) != 0) (void)client.publish(mq::Bytes::of("a/c"), mq::Bytes::of("y"), n % 3, false);
        for (int i = 0; i < 4; ++i) {
            client.poll();
            if (!valid_state(client.state())) fail("the client is in no state");
            if (t.is_open) t.checked = check_output(t.out, t.checked, true);
        }
    }

    // However the broker behaved, the application can still stop the client.
    client.disconnect();
    for (int i = 0; i < 64 && client.state() != mc::ConnState::Idle; ++i) {
        clock.t += 500;
        client.poll();
    }
    if (client.state() != mc::ConnState::Idle) fail("disconnect() did not bring the client to Idle");
    if (t.is_open) fail("the link is still open after the client stopped");
    return 0;
}
