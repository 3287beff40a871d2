// Micro-benchmarks of the common/ codec: decode and encode of a typical PUBLISH
// (3.1.1 and 5.0) and CONNECT, and framing a 64 KiB buffer of back-to-back PUBLISH
// packets with both the stateless parse_fixed_header() walk and the incremental
// Framer. Each benchmark reports ns per packet as the counter "ns_per_pkt" (Google Benchmark
// prints it with an "s" suffix because it is an inverted rate; the number is ns).
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "mote/common/codec.hpp"
#include "mote/common/framer.hpp"
#include "mote/common/properties.hpp"

using namespace mote::mqtt;

namespace {

// A typical sensor publish: 22-byte topic, 64-byte payload, QoS 1.
struct PublishSample {
    std::uint8_t payload[64];
    std::uint8_t props[64];
    Publish pub;
    explicit PublishSample(bool v5) {
        for (std::size_t i = 0; i < sizeof payload; ++i) payload[i] = static_cast<std::uint8_t>('0' + i % 10);
        pub.qos = 1;
        pub.topic = Bytes::of("sensors/42/temperature");
        pub.packet_id = 4242;
        pub.payload = Bytes{payload, sizeof payload};
        if (v5) {
            PropertyBuilder b(props, sizeof props);
            b.add_u32(PropertyId::MessageExpiryInterval, 3600).add_pair(PropertyId::UserProperty, Bytes::of("unit"), Bytes::of("C"));
            if (!b.ok()) std::abort();
            pub.props = b.view();
        }
    }
};

struct ConnectSample {
    std::uint8_t props[32];
    Connect c;
    explicit ConnectSample(Version v) {
        c.version = v;
        c.protocol_name = Bytes::of("MQTT");
        c.clean_start = true;
        c.keep_alive = 60;
        c.client_id = Bytes::of("sensor-0042-a1b2c3");
        c.has_username = true;
        c.username = Bytes::of("gateway");
        c.has_password = true;
        c.password = Bytes::of("s3cret-pass");
        if (is_v5(v)) {
            PropertyBuilder b(props, sizeof props);
            b.add_u32(PropertyId::SessionExpiryInterval, 300).add_u16(PropertyId::ReceiveMaximum, 16);
            if (!b.ok()) std::abort();
            c.props = b.view();
        }
    }
};

std::vector<std::uint8_t> encode_or_die(const Packet& p, Version v) {
    std::vector<std::uint8_t> out(encoded_size(p, v));
    if (out.empty() || encode(p, v, out.data(), out.size()) != out.size()) std::abort();
    return out;
}

void per_packet(benchmark::State& state, std::size_t packets_per_iter) {
    state.counters["ns_per_pkt"] = benchmark::Counter(static_cast<double>(packets_per_iter) * 1e-9,
                                                  benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void decode_bench(benchmark::State& state, const std::vector<std::uint8_t>& wire, Version v) {
    const FixedHeader h = parse_fixed_header(Bytes{wire.data(), wire.size()}, 0xFFFFFFFFU);
    if (h.status != FrameStatus::Complete) std::abort();
    DecodeOptions opts;
    opts.version = v;
    opts.sender = Role::Client;
    const Bytes body{wire.data() + h.header_size, h.remaining_length};
    for (auto _ : state) {
        Packet p;
        const Error e = decode(h.first_byte, body, opts, p);
        benchmark::DoNotOptimize(e);
        benchmark::DoNotOptimize(p);
        if (e) state.SkipWithError(e.cause);
    }
    per_packet(state, 1);
}

void encode_bench(benchmark::State& state, const Packet& p, Version v) {
    std::uint8_t buf[512];
    for (auto _ : state) {
        const std::size_t n = encode(p, v, buf, sizeof buf);
        benchmark::DoNotOptimize(n);
        benchmark::ClobberMemory();
    }
    per_packet(state, 1);
}

void BM_DecodePublish(benchmark::State& state, Version v) {
    const PublishSample s(is_v5(v));
    decode_bench(state, encode_or_die(make_packet(s.pub), v), v);
}
void BM_EncodePublish(benchmark::State& state, Version v) {
    const PublishSample s(is_v5(v));
    encode_bench(state, make_packet(s.pub), v);
}
void BM_DecodeConnect(benchmark::State& state, Version v) {
    const ConnectSample s(v);
    decode_bench(state, encode_or_die(make_packet(s.c), v), v);
}
void BM_EncodeConnect(benchmark::State& state, Version v) {
    const ConnectSample s(v);
    encode_bench(state, make_packet(s.c), v);
}

// 64 KiB of back-to-back 3.1.1 PUBLISH packets (the last one may be cut short, as a
// read buffer's tail would be).
std::vector<std::uint8_t> publish_stream(std::size_t& whole) {
    const PublishSample s(false);
    const std::vector<std::uint8_t> one = encode_or_die(make_packet(s.pub), Version::V3_1_1);
    std::vector<std::uint8_t> buf;
    buf.reserve(64 * 1024);
    whole = 0;
    while (buf.size() + one.size() <= 64 * 1024) {
        buf.insert(buf.end(), one.begin(), one.end());
        ++whole;
    }
    return buf;
}

void BM_FrameWalk64K(benchmark::State& state) {
    std::size_t whole = 0;
    const std::vector<std::uint8_t> stream = publish_stream(whole);
    for (auto _ : state) {
        std::size_t off = 0;
        std::size_t n = 0;
        for (;;) {
            const FixedHeader h = parse_fixed_header(Bytes{stream.data() + off, stream.size() - off}, 1U << 20);
            if (h.status != FrameStatus::Complete || stream.size() - off < h.total_size()) break;
            off += h.total_size();
            ++n;
        }
        if (n != whole) state.SkipWithError("wrong packet count");
        benchmark::DoNotOptimize(n);
    }
    per_packet(state, whole);
}

void BM_Framer64K(benchmark::State& state) {
    std::size_t whole = 0;
    const std::vector<std::uint8_t> stream = publish_stream(whole);
    std::vector<std::uint8_t> body(4096);
    for (auto _ : state) {
        Framer fr(body.data(), body.size(), 1U << 20);
        Bytes in{stream.data(), stream.size()};
        std::size_t n = 0;
        while (!in.empty()) {
            const Frame f = fr.feed(in);
            if (f.status == FrameStatus::Complete) ++n;
            if (f.status == FrameStatus::Invalid) break;
            in = in.from(f.consumed);
        }
        if (n != whole) state.SkipWithError("wrong packet count");
        benchmark::DoNotOptimize(n);
    }
    per_packet(state, whole);
}

}  // namespace

BENCHMARK_CAPTURE(BM_DecodePublish, v311, Version::V3_1_1);
BENCHMARK_CAPTURE(BM_DecodePublish, v5, Version::V5);
BENCHMARK_CAPTURE(BM_EncodePublish, v311, Version::V3_1_1);
BENCHMARK_CAPTURE(BM_EncodePublish, v5, Version::V5);
BENCHMARK_CAPTURE(BM_DecodeConnect, v311, Version::V3_1_1);
BENCHMARK_CAPTURE(BM_DecodeConnect, v5, Version::V5);
BENCHMARK_CAPTURE(BM_EncodeConnect, v311, Version::V3_1_1);
BENCHMARK_CAPTURE(BM_EncodeConnect, v5, Version::V5);
BENCHMARK(BM_FrameWalk64K);
BENCHMARK(BM_Framer64K);

BENCHMARK_MAIN();
