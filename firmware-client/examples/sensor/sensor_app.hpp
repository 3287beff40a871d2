// The sensor program shared by the mps2-an385 firmware and the Linux build: publishes
// {"seq":N,"t":T} to sensors/{id}/temperature (QoS 1) every period, obeys commands on
// sensors/{id}/cmd ("period=MS" changes the period, "stop" disconnects cleanly), and
// gives up after a bounded run time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "mote/client/client.hpp"

namespace sensor {

namespace mq = mote::mqtt;
namespace mc = mote::client;

struct SensorLimits : mc::DefaultLimits {
    static constexpr std::size_t rx_bytes = 256;
    static constexpr std::size_t tx_bytes = 128;
    static constexpr std::size_t inflight = 2;
    static constexpr std::size_t queue_messages = 4;
    static constexpr std::size_t queue_bytes = 256;
    static constexpr std::size_t subscriptions = 1;
    static constexpr std::size_t filter_bytes = 48;
};

// Exit codes.
constexpr int kExitOk = 0;
constexpr int kExitTimeout = 2;
constexpr int kExitUnsupportedVersion = 3;  // 5.0 asked of a 3.1.1-only build

// Appends the decimal form of v; returns the new length.
inline std::size_t put_uint(char* out, std::size_t at, std::uint32_t v) {
    char tmp[10];
    std::size_t n = 0;
    do {
        tmp[n++] = static_cast<char>('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    while (n != 0) out[at++] = tmp[--n];
    return at;
}
inline std::size_t put_str(char* out, std::size_t at, const char* s) {
    while (*s != '\0') out[at++] = *s++;
    return at;
}

template <class Transport, class Clock>
class SensorApp {
public:
    using Client = mc::Client<Transport, Clock, SensorLimits>;

    SensorApp(Transport& t, Clock& c, const char* id, mq::Version version, std::uint32_t period_ms,
              std::uint32_t max_run_ms)
        : clock_(c), client_(t, c, make_options(id, version)), period_ms_(period_ms), max_run_ms_(max_run_ms) {
        std::size_t n = put_str(telemetry_topic_, 0, "sensors/");
        n = put_str(telemetry_topic_, n, id);
        n = put_str(telemetry_topic_, n, "/temperature");
        telemetry_len_ = n;
        n = put_str(cmd_topic_, 0, "sensors/");
        n = put_str(cmd_topic_, n, id);
        n = put_str(cmd_topic_, n, "/cmd");
        cmd_len_ = n;
    }

    // Call once; then, if it returned kExitOk, step() until it returns >= 0 (the
    // exit code). Otherwise it returns the exit code.
    int begin() {
        start_ms_ = clock_.now_ms();
        next_pub_ = start_ms_;
        client_.subscribe(mq::Bytes(reinterpret_cast<const std::uint8_t*>(cmd_topic_), cmd_len_), 1, &on_cmd, this);
        return client_.start() == mc::Status::Ok ? kExitOk : kExitUnsupportedVersion;
    }

    int step() {
        client_.poll();
        const std::uint32_t now = clock_.now_ms();
        if (now - start_ms_ >= max_run_ms_) return kExitTimeout;
        if (stopping_) {
            // Read every acknowledgement first, then DISCONNECT (an exit with unread
            // bytes would look like a lost connection to the broker).
            if (!disconnect_sent_ && (client_.idle() || !client_.connected())) {
                client_.disconnect();
                disconnect_sent_ = true;
            }
            if (disconnect_sent_ && client_.state() == mc::ConnState::Idle) return kExitOk;
            return -1;
        }
        if (client_.connected() && static_cast<std::int32_t>(now - next_pub_) >= 0) {
            publish_reading();
            next_pub_ = now + period_ms_;
        }
        return -1;
    }

    std::uint32_t period_ms() const { return period_ms_; }
    std::uint32_t seq() const { return seq_; }

private:
    static mc::Options make_options(const char* id, mq::Version version) {
        mc::Options o;
        o.version = version;
        o.client_id = mq::Bytes::of(id, std::strlen(id));
        o.keep_alive_s = 10;
        o.clean_start = true;
        o.backoff_min_ms = 200;
        o.backoff_max_ms = 2000;
        o.jitter_seed = static_cast<std::uint32_t>(std::strlen(id)) * 2654435761u;
        return o;
    }

    void publish_reading() {
        // A made-up temperature wandering between 20.0 and 24.9 (tenths of a degree).
        const std::uint32_t tenths = 200u + (seq_ * 7u) % 50u;
        char buf[48];
        std::size_t n = put_str(buf, 0, "{\"seq\":");
        n = put_uint(buf, n, seq_);
        n = put_str(buf, n, ",\"t\":");
        n = put_uint(buf, n, tenths / 10u);
        buf[n++] = '.';
        n = put_uint(buf, n, tenths % 10u);
        buf[n++] = '}';
        const mq::Bytes topic(reinterpret_cast<const std::uint8_t*>(telemetry_topic_), telemetry_len_);
        if (client_.publish(topic, mq::Bytes(reinterpret_cast<const std::uint8_t*>(buf), n), 1, false) ==
            mc::Status::Ok)
            ++seq_;
    }

    static void on_cmd(void* user, const mc::Message& m) {
        auto* self = static_cast<SensorApp*>(user);
        const char* p = m.payload.chars();
        const std::size_t n = m.payload.size;
        if (n == 4 && std::memcmp(p, "stop", 4) == 0) {
            self->stopping_ = true;
            return;
        }
        if (n > 7 && std::memcmp(p, "period=", 7) == 0) {
            std::uint32_t v = 0;
            for (std::size_t i = 7; i < n && i < 15; ++i) {
                if (p[i] < '0' || p[i] > '9') return;
                v = v * 10u + static_cast<std::uint32_t>(p[i] - '0');
            }
            if (v >= 10u && v <= 600000u) self->period_ms_ = v;
        }
    }

    Clock& clock_;
    Client client_;
    std::uint32_t period_ms_;
    std::uint32_t max_run_ms_;
    std::uint32_t start_ms_ = 0;
    std::uint32_t next_pub_ = 0;
    std::uint32_t seq_ = 0;
    bool stopping_ = false;
    bool disconnect_sent_ = false;
    char telemetry_topic_[48] = {};
    std::size_t telemetry_len_ = 0;
    char cmd_topic_[48] = {};
    std::size_t cmd_len_ = 0;
};

}  // namespace sensor
