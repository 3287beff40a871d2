// Size reference application (scripts/size-report.sh): connect, subscribe QoS 1,
// publish QoS 1, receive its own message, disconnect, over a dummy transport whose
// bytes come from volatile "registers" (so nothing is optimised away). Built twice:
// with the client (this file) and, with MOTE_SIZE_BASELINE=1, the same program with
// the client calls removed, so the difference is what the MQTT client adds.
#include <cstddef>
#include <cstdint>

#if !MOTE_SIZE_BASELINE
#include "mote/client/client.hpp"
#endif

namespace {

volatile std::uint8_t g_tx_reg;
volatile std::uint8_t g_rx_reg;
volatile std::uint32_t g_rx_ready;
volatile std::uint32_t g_ticks;

struct DummyTransport {
    int open() { return 1; }
    std::ptrdiff_t send(const std::uint8_t* d, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) g_tx_reg = d[i];
        return static_cast<std::ptrdiff_t>(n);
    }
    std::ptrdiff_t recv(std::uint8_t* d, std::size_t cap) {
        if (cap == 0 || g_rx_ready == 0) return 0;
        d[0] = g_rx_reg;
        return 1;
    }
    void close() {}
};

struct DummyClock {
    std::uint32_t now_ms() { return g_ticks; }
};

DummyTransport g_transport;
DummyClock g_clock;

}  // namespace

#if MOTE_SIZE_BASELINE

int main() {
    // The same I/O the client would do, without MQTT.
    std::uint8_t buf[32] = {};
    std::uint32_t n = 0;
    for (;;) {
        g_transport.open();
        buf[0] = static_cast<std::uint8_t>(g_clock.now_ms());
        g_transport.send(buf, 1);
        if (g_transport.recv(buf, sizeof buf) > 0 && ++n == 100) break;
    }
    g_transport.close();
    return 0;
}

#else

namespace {

struct SizeLimits : mote::client::DefaultLimits {
    static constexpr std::size_t rx_bytes = 128;
    static constexpr std::size_t tx_bytes = 128;
    static constexpr std::size_t inflight = 2;
    static constexpr std::size_t queue_messages = 2;
    static constexpr std::size_t queue_bytes = 64;
    static constexpr std::size_t subscriptions = 1;
    static constexpr std::size_t filter_bytes = 32;
    static constexpr std::size_t client_id_bytes = 24;
};

bool g_got = false;

void on_msg(void*, const mote::client::Message& m) { g_got = m.payload.size == 4; }

mote::client::Options make_options() {
    mote::client::Options o;
#if MOTE_MQTT_V5
    o.version = mote::mqtt::Version::V5;
#else
    o.version = mote::mqtt::Version::V3_1_1;
#endif
    o.client_id = mote::mqtt::Bytes(reinterpret_cast<const std::uint8_t*>("sensor-1"), 8);
    return o;
}

mote::client::Client<DummyTransport, DummyClock, SizeLimits> g_client(g_transport, g_clock, make_options());

const std::uint8_t kTopic[] = {'s', '/', '1'};
const std::uint8_t kPayload[] = {'2', '1', '.', '5'};

}  // namespace

int main() {
    const mote::mqtt::Bytes topic(kTopic, sizeof kTopic);
    g_client.subscribe(topic, 1, &on_msg, nullptr);
    g_client.start();
    g_client.publish(topic, mote::mqtt::Bytes(kPayload, sizeof kPayload), 1, false);
    bool stopping = false;
    for (;;) {
        g_client.poll();
        if (g_got && g_client.idle() && !stopping) {
            g_client.disconnect();
            stopping = true;
        }
        if (stopping && g_client.state() == mote::client::ConnState::Idle) break;
    }
    return 0;
}

#endif
