// libFuzzer target for the framing and decoding path.
//
// Input layout: byte 0 holds the number n (0..7) of split bytes that follow; those
// bytes give the sizes of the pieces the rest of the input is cut into (cycled), so
// the fuzzer chooses where the stream splits. The rest is a byte stream as a peer
// would send it.
//
// Checks, each ending in abort() on failure:
//  * Framer (fed piece by piece) and the stateless parse_fixed_header() walk agree
//    on every packet boundary, first byte, body and on where the stream breaks.
//  * Every complete packet is decoded for each version and both roles; every packet
//    that decodes is re-encoded, the encoding decodes again, and a second encoding
//    is byte-for-byte the first (decode(encode(p)) == p, compared on the wire).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "mote/common/codec.hpp"
#include "mote/common/framer.hpp"

using namespace mote::mqtt;

namespace {

constexpr std::size_t kBodyCap = 8192;
constexpr std::uint32_t kMaxPacket = 1U << 20;
constexpr std::size_t kMaxPackets = 256;
constexpr std::size_t kEncCap = 1U << 16;

// Effective limit of the Framer, mirrored for the stateless walk.
bool too_large(const FixedHeader& h) { return h.remaining_length > kBodyCap; }

struct Seen {
    std::uint8_t first;
    std::size_t off;  // body offset in the stream
    std::size_t len;
};

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "codec_fuzz: %s\n", what);
    std::abort();
}

std::uint8_t enc1[kEncCap];
std::uint8_t enc2[kEncCap];
std::uint8_t framer_buf[kBodyCap];

std::size_t encode_packet(const Packet& p, Version v, std::uint8_t* buf) {
    const Version ev = p.type == PacketType::Connect ? p.connect.version : v;
    const std::size_t want = encoded_size(p, ev);
    if (want == 0) fail("a decoded packet has no encoded size");
    if (want > kEncCap) return 0;
    const std::size_t n = encode(p, ev, buf, kEncCap);
    if (n != want) fail("encode() wrote a different size than encoded_size()");
    if (encode(p, ev, buf, want - 1) != 0) fail("encode() claimed success with too small a buffer");
    // encode() into want - 1 may have scribbled; write again.
    if (encode(p, ev, buf, kEncCap) != want) fail("encode() not repeatable");
    return n;
}

void round_trip(std::uint8_t first, Bytes body) {
    const Version versions[] = {Version::V3_1, Version::V3_1_1, Version::V5};
    const Role roles[] = {Role::Client, Role::Server};
    for (Version v : versions) {
        for (Role r : roles) {
            for (int strict = 0; strict < 2; ++strict) {
                DecodeOptions opts;
                opts.version = v;
                opts.sender = r;
                opts.strict_utf8 = strict != 0;
                Packet p;
                if (decode(first, body, opts, p)) continue;  // rejected: fine
                const std::size_t n1 = encode_packet(p, v, enc1);
                if (n1 == 0) continue;
                const FixedHeader h1 = parse_fixed_header(Bytes{enc1, n1}, 0xFFFFFFFFU);
                if (h1.status != FrameStatus::Complete || h1.total_size() != n1) fail("re-encoding is not one whole packet");
                Packet q;
                const Error e = decode(h1.first_byte, Bytes{enc1 + h1.header_size, h1.remaining_length}, opts, q);
                if (e) {
                    std::fprintf(stderr, "re-decode failed: %s\n", e.cause);
                    fail("decode(encode(p)) failed");
                }
                if (q.type != p.type) fail("packet type changed in the round trip");
                const std::size_t n2 = encode_packet(q, v, enc2);
                if (n2 != n1 || std::memcmp(enc1, enc2, n1) != 0) fail("second round trip differs from the first");
            }
        }
    }
}

// The stateless walk: packets as the broker frames them over one big buffer.
std::size_t walk(Bytes s, Seen* seen, FrameStatus& end) {
    std::size_t count = 0;
    std::size_t off = 0;
    end = FrameStatus::NeedMore;
    while (count < kMaxPackets) {
        const FixedHeader h = parse_fixed_header(s.from(off), kMaxPacket);
        if (h.status == FrameStatus::Invalid || (h.status == FrameStatus::Complete && too_large(h))) {
            end = FrameStatus::Invalid;
            return count;
        }
        if (h.status == FrameStatus::NeedMore || s.size - off < h.total_size()) return count;
        seen[count++] = Seen{h.first_byte, off + h.header_size, h.remaining_length};
        off += h.total_size();
    }
    return count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t nsplit = data[0] % 8U;
    if (size < 1 + nsplit) return 0;
    const std::uint8_t* splits = data + 1;
    const Bytes stream{data + 1 + nsplit, size - 1 - nsplit};

    static Seen seen[kMaxPackets];
    FrameStatus walk_end = FrameStatus::NeedMore;
    const std::size_t expected = walk(stream, seen, walk_end);

    Framer fr(framer_buf, sizeof framer_buf, kMaxPacket);
    std::size_t got = 0;
    std::size_t off = 0;
    std::size_t piece = 0;
    bool broke = false;
    while (off < stream.size && got < kMaxPackets && !broke) {
        std::size_t len = stream.size - off;
        if (nsplit != 0) {
            const std::size_t want = splits[piece++ % nsplit] + 1U;
            if (want < len) len = want;
        }
        Bytes chunk = stream.sub(off, len);
        off += len;
        while (!chunk.empty() && got < kMaxPackets) {
            const Frame f = fr.feed(chunk);
            if (f.consumed > chunk.size) fail("framer consumed more than it was given");
            if (f.status == FrameStatus::Invalid) {
                if (walk_end != FrameStatus::Invalid || got != expected) fail("framer broke where the walk did not");
                broke = true;
                break;
            }
            if (f.status == FrameStatus::NeedMore) {
                if (f.consumed != chunk.size) fail("NeedMore without using the whole chunk");
                break;
            }
            if (got >= expected) fail("framer found a packet the walk did not");
            const Seen& s = seen[got++];
            if (f.first_byte != s.first || f.body.size != s.len ||
                (s.len != 0 && std::memcmp(f.body.data, stream.data + s.off, s.len) != 0)) {
                fail("framer and walk disagree on a packet");
            }
            round_trip(f.first_byte, f.body);
            chunk = chunk.from(f.consumed);
        }
    }
    if (expected < kMaxPackets) {
        if (got != expected) fail("framer found fewer packets than the walk");
        if ((walk_end == FrameStatus::Invalid) != broke) fail("walk broke where the framer did not");
    }
    return 0;
}
