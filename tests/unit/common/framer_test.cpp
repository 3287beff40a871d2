// parse_fixed_header() and Framer: Remaining Length rules of §1.5.5 / §2.1.4
// ([MQTT-1.5.5-1]), the size limit judged before the body (HOSTILE_INPUTS rows
// 1, 2, 3, 5 and client row C1), and incremental framing under every split.
#include <CppUTest/TestHarness.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "mote/common/framer.hpp"

using namespace mote::mqtt;

namespace {

using ByteVec = std::vector<std::uint8_t>;

Bytes view(const ByteVec& v) { return Bytes{v.data(), v.size()}; }

// Remaining Length as the minimal Variable Byte Integer (written independently of
// the code under test, from the §1.5.5 algorithm).
void put_vbi(ByteVec& out, std::uint32_t x) {
    do {
        std::uint8_t d = static_cast<std::uint8_t>(x % 128U);
        x /= 128U;
        if (x > 0) d = static_cast<std::uint8_t>(d | 0x80U);
        out.push_back(d);
    } while (x > 0);
}

struct Pkt {
    std::uint8_t first;
    ByteVec body;
};

ByteVec encode(const Pkt& p) {
    ByteVec out{p.first};
    put_vbi(out, static_cast<std::uint32_t>(p.body.size()));
    out.insert(out.end(), p.body.begin(), p.body.end());
    return out;
}

ByteVec body_of(std::size_t n, std::uint8_t seed) {
    ByteVec v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 7U);
    return v;
}

// A stream with RL of 0, 1, 2 and 3 bytes.
std::vector<Pkt> sample_packets() {
    return {
        {0xC0, {}},                                       // PINGREQ
        {0x10, {0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 10, 0, 1, 'p'}},  // CONNECT 3.1.1
        {0x32, body_of(127, 1)},                          // RL 127: one byte
        {0x30, body_of(128, 2)},                          // RL 128: two bytes
        {0x40, {0x00, 0x01}},                             // PUBACK
        {0x34, body_of(16384, 3)},                        // RL 16384: three bytes
        {0xE0, {}},                                       // DISCONNECT
    };
}

ByteVec concat(const std::vector<Pkt>& pkts) {
    ByteVec s;
    for (const Pkt& p : pkts) {
        const ByteVec e = encode(p);
        s.insert(s.end(), e.begin(), e.end());
    }
    return s;
}

// Feeds `stream` in the chunks given by `cuts` (ascending offsets) and checks that
// exactly `expect` comes out, in order.
void frame_with_cuts(const ByteVec& stream, const std::vector<std::size_t>& cuts, const std::vector<Pkt>& expect) {
    std::vector<std::uint8_t> buf(20000);
    Framer fr(buf.data(), buf.size(), 1U << 20);
    std::size_t got = 0;
    std::size_t start = 0;
    for (std::size_t ci = 0; ci <= cuts.size(); ++ci) {
        const std::size_t end = ci < cuts.size() ? cuts[ci] : stream.size();
        Bytes chunk{stream.data() + start, end - start};
        while (!chunk.empty()) {
            const Frame f = fr.feed(chunk);
            CHECK(f.status != FrameStatus::Invalid);
            CHECK(f.consumed <= chunk.size);
            if (f.status == FrameStatus::Complete) {
                CHECK(got < expect.size());
                CHECK_EQUAL(expect[got].first, f.first_byte);
                CHECK_EQUAL(expect[got].body.size(), f.body.size);
                CHECK(f.body.size == 0 || std::memcmp(f.body.data, expect[got].body.data(), f.body.size) == 0);
                ++got;
            } else {
                // NeedMore only once the chunk is used up.
                CHECK_EQUAL(chunk.size, f.consumed);
            }
            chunk = chunk.from(f.consumed);
        }
        start = end;
    }
    CHECK_EQUAL(expect.size(), got);
}

}  // namespace

TEST_GROUP(FixedHeader) {};

TEST(FixedHeader, NeedsAtLeastTheWholeLength) {
    const ByteVec one{0x30};
    CHECK(parse_fixed_header(view(one), 1000).status == FrameStatus::NeedMore);
    CHECK(parse_fixed_header(Bytes{}, 1000).status == FrameStatus::NeedMore);
    const ByteVec partial{0x30, 0x80, 0x80};
    CHECK(parse_fixed_header(view(partial), 1U << 30).status == FrameStatus::NeedMore);
}

TEST(FixedHeader, LengthsOfOneToFourBytes) {
    const std::uint32_t values[] = {0, 1, 127, 128, 16383, 16384, 2097151, 2097152, kMaxRemainingLength};
    for (std::uint32_t v : values) {
        ByteVec h{0x30};
        put_vbi(h, v);
        const FixedHeader fh = parse_fixed_header(view(h), 0xFFFFFFFFU);
        CHECK(fh.status == FrameStatus::Complete);
        CHECK_EQUAL(v, fh.remaining_length);
        CHECK_EQUAL(h.size(), fh.header_size);
        CHECK_EQUAL(0x30, fh.first_byte);
    }
}

TEST(FixedHeader, MaximumRemainingLength) {
    // §1.5.5: FF FF FF 7F = 268 435 455, the largest four-byte value.
    const ByteVec h{0x30, 0xFF, 0xFF, 0xFF, 0x7F};
    const FixedHeader fh = parse_fixed_header(view(h), 0xFFFFFFFFU);
    CHECK(fh.status == FrameStatus::Complete);
    CHECK_EQUAL(268435455U, fh.remaining_length);
    CHECK_EQUAL(5U + 268435455U, fh.total_size());
}

TEST(FixedHeader, FiveLengthBytesAreMalformed) {
    // HOSTILE row 1 / client row C1: [MQTT-1.5.5-1] at most four bytes; decided at
    // the fourth, so a fifth byte is never needed.
    const ByteVec h{0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
    const FixedHeader fh = parse_fixed_header(view(h), 0xFFFFFFFFU);
    CHECK(fh.status == FrameStatus::Invalid);
    CHECK(fh.error.reason == Reason::MalformedPacket);
    const ByteVec four{0x10, 0xFF, 0xFF, 0xFF, 0x80};
    CHECK(parse_fixed_header(view(four), 0xFFFFFFFFU).status == FrameStatus::Invalid);
}

TEST(FixedHeader, NonMinimalLengthsAreMalformed) {
    // HOSTILE row 2: C0 80 00 is PINGREQ with RL 0 written in two bytes.
    const ByteVec cases[] = {
        {0xC0, 0x80, 0x00},
        {0x30, 0xFF, 0x00},
        {0x30, 0x80, 0x80, 0x00},
        {0x30, 0x80, 0x80, 0x80, 0x00},
        {0x30, 0x81, 0x80, 0x00},
    };
    for (const ByteVec& c : cases) {
        const FixedHeader fh = parse_fixed_header(view(c), 0xFFFFFFFFU);
        CHECK(fh.status == FrameStatus::Invalid);
        CHECK(fh.error.reason == Reason::MalformedPacket);
    }
    // The minimal forms of nearby values are accepted.
    const ByteVec ok{0x30, 0x80, 0x01};
    CHECK(parse_fixed_header(view(ok), 0xFFFFFFFFU).status == FrameStatus::Complete);
}

TEST(FixedHeader, TooLargeIsDecidedFromTheHeader) {
    // HOSTILE row 3: 30 80 80 80 74 announces ~243 MB; the header alone decides.
    const ByteVec h{0x30, 0x80, 0x80, 0x80, 0x74};
    const FixedHeader fh = parse_fixed_header(view(h), 65536);
    CHECK(fh.status == FrameStatus::Invalid);
    CHECK(fh.error.reason == Reason::PacketTooLarge);
    // The limit covers the whole packet, header included: RL 98 + 2 = 100.
    ByteVec at{0x30};
    put_vbi(at, 98);
    CHECK(parse_fixed_header(view(at), 100).status == FrameStatus::Complete);
    CHECK(parse_fixed_header(view(at), 99).status == FrameStatus::Invalid);
    CHECK(parse_fixed_header(view(at), 99).error.reason == Reason::PacketTooLarge);
}

TEST(FixedHeader, BodyMayStillBeIncomplete) {
    const ByteVec h{0x30, 0x05, 0x00, 0x01};
    const FixedHeader fh = parse_fixed_header(view(h), 1000);
    CHECK(fh.status == FrameStatus::Complete);
    CHECK_EQUAL(7U, fh.total_size());
    CHECK(h.size() < fh.total_size());
}

TEST_GROUP(Framer) {};

TEST(Framer, AllAtOnceByteByByteAndEverySplit) {
    const std::vector<Pkt> pkts = sample_packets();
    const ByteVec stream = concat(pkts);
    frame_with_cuts(stream, {}, pkts);
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < stream.size(); ++i) every.push_back(i);
    frame_with_cuts(stream, every, pkts);
    for (std::size_t i = 1; i < stream.size(); ++i) frame_with_cuts(stream, {i}, pkts);
}

TEST(Framer, EveryTwoCutSplitOfASmallStream) {
    const std::vector<Pkt> pkts = {{0xC0, {}}, {0x40, {0, 1}}, {0x32, body_of(130, 9)}, {0xD0, {}}};
    const ByteVec stream = concat(pkts);
    for (std::size_t i = 1; i < stream.size(); ++i) {
        for (std::size_t j = i + 1; j < stream.size(); ++j) frame_with_cuts(stream, {i, j}, pkts);
    }
}

TEST(Framer, RandomChunkSizes) {
    const std::vector<Pkt> pkts = sample_packets();
    const ByteVec stream = concat(pkts);
    std::mt19937 rng(12345);
    for (int round = 0; round < 200; ++round) {
        std::vector<std::size_t> cuts;
        std::size_t at = 0;
        for (;;) {
            at += 1 + rng() % 300;
            if (at >= stream.size()) break;
            cuts.push_back(at);
        }
        frame_with_cuts(stream, cuts, pkts);
    }
}

TEST(Framer, StopsAfterOnePacket) {
    const ByteVec stream{0xC0, 0x00, 0x40, 0x02, 0x00, 0x07};
    std::uint8_t buf[8];
    Framer fr(buf, sizeof buf, 100);
    Frame f = fr.feed(view(stream));
    CHECK(f.status == FrameStatus::Complete);
    CHECK_EQUAL(2U, f.consumed);
    CHECK_EQUAL(0xC0, f.first_byte);
    CHECK_EQUAL(0U, f.body.size);
    f = fr.feed(view(stream).from(2));
    CHECK(f.status == FrameStatus::Complete);
    CHECK_EQUAL(4U, f.consumed);
    CHECK_EQUAL(0x40, f.first_byte);
    CHECK_EQUAL(2U, f.body.size);
    CHECK_EQUAL(0x07, f.body[1]);
    f = fr.feed(Bytes{});
    CHECK(f.status == FrameStatus::NeedMore);
    CHECK_EQUAL(0U, f.consumed);
}

TEST(Framer, FiveLengthBytesByteByByte) {
    // HOSTILE row 1: invalid after at most five bytes (type + four length bytes).
    const ByteVec stream{0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x00};
    std::uint8_t buf[16];
    Framer fr(buf, sizeof buf, 0xFFFFFFFFU);
    std::size_t fed = 0;
    Frame f;
    while (fed < stream.size()) {
        f = fr.feed(view(stream).sub(fed, 1));
        fed += f.consumed;
        if (f.status != FrameStatus::NeedMore) break;
    }
    CHECK(f.status == FrameStatus::Invalid);
    CHECK(f.error.reason == Reason::MalformedPacket);
    CHECK_EQUAL(5U, fed);
}

TEST(Framer, NonMinimalLength) {
    const ByteVec stream{0xC0, 0x80, 0x00};
    std::uint8_t buf[4];
    Framer fr(buf, sizeof buf, 100);
    const Frame f = fr.feed(view(stream));
    CHECK(f.status == FrameStatus::Invalid);
    CHECK(f.error.reason == Reason::MalformedPacket);
}

TEST(Framer, TooLargeBeforeAnyBodyByteIsBuffered) {
    // HOSTILE rows 3 and 5: the header announces more than the limit; nothing of the
    // body is consumed or written.
    ByteVec stream{0x30, 0x80, 0x80, 0x80, 0x74};
    stream.resize(stream.size() + 1000, 0x01);
    std::vector<std::uint8_t> buf(70000, 0xEE);
    Framer fr(buf.data(), buf.size(), 65536);
    const Frame f = fr.feed(view(stream));
    CHECK(f.status == FrameStatus::Invalid);
    CHECK(f.error.reason == Reason::PacketTooLarge);
    CHECK_EQUAL(5U, f.consumed);
    for (std::uint8_t x : buf) CHECK_EQUAL(0xEE, x);
}

TEST(Framer, BufferCapacityEdges) {
    // The body buffer holds exactly cap bytes; a body of cap + 1 is too large even
    // when max_packet_size would allow it, and nothing is written past cap.
    constexpr std::size_t kCap = 130;
    for (std::size_t n = kCap - 2; n <= kCap + 2; ++n) {
        std::vector<std::uint8_t> mem(kCap + 16, 0xAA);
        Framer fr(mem.data(), kCap, 1U << 20);
        const ByteVec stream = encode({0x30, body_of(n, 5)});
        std::size_t fed = 0;
        Frame f;
        while (fed < stream.size()) {
            f = fr.feed(view(stream).sub(fed, 1));
            fed += f.consumed;
            if (f.status != FrameStatus::NeedMore) break;
        }
        if (n <= kCap) {
            CHECK(f.status == FrameStatus::Complete);
            CHECK_EQUAL(n, f.body.size);
        } else {
            CHECK(f.status == FrameStatus::Invalid);
            CHECK(f.error.reason == Reason::PacketTooLarge);
        }
        for (std::size_t i = kCap; i < mem.size(); ++i) CHECK_EQUAL(0xAA, mem[i]);
    }
}

TEST(Framer, MaxPacketSizeEdges) {
    std::vector<std::uint8_t> buf(1000);
    const ByteVec stream = encode({0x30, body_of(98, 1)});  // 100 bytes in all
    Framer at(buf.data(), buf.size(), 100);
    CHECK(at.feed(view(stream)).status == FrameStatus::Complete);
    Framer below(buf.data(), buf.size(), 99);
    CHECK(below.feed(view(stream)).error.reason == Reason::PacketTooLarge);
    below.reset();
    below.set_max_packet_size(100);
    CHECK(below.feed(view(stream)).status == FrameStatus::Complete);
}

TEST(Framer, FramesEveryPacketTypeTypeChecksBelongToDecode) {
    // The framer only frames: reserved type 0 and AUTH (HOSTILE row 7) come out as
    // packets, and decode() rejects them with the version-specific reason.
    const ByteVec stream{0x00, 0x00, 0xF0, 0x00};
    std::uint8_t buf[4];
    Framer fr(buf, sizeof buf, 100);
    Frame f = fr.feed(view(stream));
    CHECK(f.status == FrameStatus::Complete);
    CHECK_EQUAL(0x00, f.first_byte);
    f = fr.feed(view(stream).from(f.consumed));
    CHECK(f.status == FrameStatus::Complete);
    CHECK_EQUAL(0xF0, f.first_byte);
}

TEST(Framer, InvalidUntilReset) {
    std::uint8_t buf[8];
    Framer fr(buf, sizeof buf, 100);
    const ByteVec bad{0xC0, 0x80, 0x00};
    CHECK(fr.feed(view(bad)).status == FrameStatus::Invalid);
    const ByteVec ping{0xC0, 0x00};
    CHECK(fr.feed(view(ping)).status == FrameStatus::Invalid);
    fr.reset();
    const Frame f = fr.feed(view(ping));
    CHECK(f.status == FrameStatus::Complete);
    CHECK_EQUAL(0xC0, f.first_byte);
}

TEST_GROUP(FramerPull) {};

namespace {

// Reads `stream` through space()/commit() the way the firmware client does, at most
// `chunk` bytes per read, and checks the packets, and that space() never asks for a
// byte of the next packet (nothing is read ahead).
void pull_all(const ByteVec& stream, std::size_t chunk, const std::vector<Pkt>& expect) {
    std::vector<std::uint8_t> buf(20000);
    Framer fr(buf.data(), buf.size(), 1U << 20);
    std::size_t off = 0;
    std::size_t got = 0;
    std::size_t packet_end = expect.empty() ? 0 : encode(expect[0]).size();
    for (int guard = 0; guard < 1000000 && got < expect.size(); ++guard) {
        std::size_t n = 0;
        std::uint8_t* dst = fr.space(n);
        CHECK(off + n <= packet_end);
        if (n > chunk) n = chunk;
        if (n > 0) std::memcpy(dst, stream.data() + off, n);
        off += n;
        const Frame f = fr.commit(n);
        CHECK(f.status != FrameStatus::Invalid);
        CHECK_EQUAL(n, f.consumed);
        if (f.status != FrameStatus::Complete) continue;
        CHECK_EQUAL(packet_end, off);
        CHECK_EQUAL(expect[got].first, f.first_byte);
        CHECK_EQUAL(expect[got].body.size(), f.body.size);
        CHECK(f.body.size == 0 || std::memcmp(f.body.data, expect[got].body.data(), f.body.size) == 0);
        ++got;
        if (got < expect.size()) packet_end += encode(expect[got]).size();
    }
    CHECK_EQUAL(expect.size(), got);
    CHECK_EQUAL(stream.size(), off);
}

}  // namespace

TEST(FramerPull, EveryReadSizeWithoutReadingAhead) {
    const std::vector<Pkt> pkts = sample_packets();
    const ByteVec stream = concat(pkts);
    for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u, 100000u}) pull_all(stream, chunk, pkts);
}

TEST(FramerPull, SameRulesAsFeed) {
    // Five Remaining Length bytes, a non-minimal length and a too-large packet are
    // Invalid at the byte that shows it [MQTT-1.5.5-1]; then space() asks for nothing
    // and commit(0) stays Invalid until reset().
    struct Case {
        ByteVec header;
        Reason reason;
    };
    const Case cases[] = {
        {{0x30, 0xFF, 0xFF, 0xFF, 0xFF}, Reason::MalformedPacket},
        {{0x30, 0x80, 0x00}, Reason::MalformedPacket},
        {{0x30, 0x81, 0x01}, Reason::PacketTooLarge},  // 129 > the 100-byte buffer
    };
    for (const Case& c : cases) {
        std::uint8_t buf[100];
        Framer fr(buf, sizeof buf, 1U << 20);
        Frame f;
        std::size_t off = 0;
        while (off < c.header.size()) {
            std::size_t n = 0;
            std::uint8_t* dst = fr.space(n);
            CHECK(n >= 1 && n <= 2);
            if (off + n > c.header.size()) n = c.header.size() - off;
            std::memcpy(dst, c.header.data() + off, n);
            off += n;
            f = fr.commit(n);
            if (f.status != FrameStatus::NeedMore) break;
        }
        CHECK_EQUAL(c.header.size(), off);
        CHECK(f.status == FrameStatus::Invalid);
        CHECK(f.error.reason == c.reason);
        std::size_t n = 99;
        (void)fr.space(n);
        CHECK_EQUAL(0u, n);
        CHECK(fr.commit(0).status == FrameStatus::Invalid);
        fr.reset();
        std::uint8_t* dst = fr.space(n);
        CHECK_EQUAL(2u, n);
        dst[0] = 0xD0;
        dst[1] = 0x00;
        f = fr.commit(2);
        CHECK(f.status == FrameStatus::Complete);  // PINGRESP: the header is the packet
        CHECK_EQUAL(0xD0, f.first_byte);
        CHECK_EQUAL(0u, f.body.size);
    }
}

TEST(Framer, AfterAnErrorEveryFeedIsMalformedAndConsumesNothing) {
    // Even when the error was PacketTooLarge and the limit is raised afterwards.
    std::uint8_t buf[8];
    Framer fr(buf, sizeof buf, 100);
    const ByteVec big{0x30, 0x09};  // body of 9 > cap 8
    Frame f = fr.feed(view(big));
    CHECK(f.status == FrameStatus::Invalid);
    CHECK(f.error.reason == Reason::PacketTooLarge);
    CHECK_EQUAL(2U, f.consumed);
    fr.set_max_packet_size(1000);
    const ByteVec ping{0xC0, 0x00};
    f = fr.feed(view(ping));
    CHECK(f.status == FrameStatus::Invalid);
    CHECK(f.error.reason == Reason::MalformedPacket);
    CHECK_EQUAL(0U, f.consumed);
    f = fr.feed(Bytes{});
    CHECK(f.status == FrameStatus::Invalid);
    CHECK_EQUAL(0U, f.consumed);
}

TEST(Framer, EmptyFeedsInsideTheHeaderKeepTheState) {
    // RL 16384 = 80 80 01, fed one byte at a time with empty chunks in between.
    std::vector<std::uint8_t> buf(16384);
    Framer fr(buf.data(), buf.size(), 16384 + 4);
    const ByteVec stream = encode({0x34, body_of(16384, 3)});
    std::size_t fed = 0;
    Frame f;
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(fr.feed(Bytes{}).status == FrameStatus::NeedMore);
        f = fr.feed(view(stream).sub(fed, 1));
        CHECK(f.status == FrameStatus::NeedMore);
        CHECK_EQUAL(1U, f.consumed);
        fed += f.consumed;
    }
    f = fr.feed(view(stream).from(fed));
    CHECK(f.status == FrameStatus::Complete);
    CHECK_EQUAL(0x34, f.first_byte);
    CHECK_EQUAL(16384U, f.body.size);
    CHECK_EQUAL(0, std::memcmp(f.body.data, stream.data() + 4, 16384));
}

TEST(Framer, LimitBelowTheHeaderItself) {
    // A PINGREQ is two bytes: a limit of one refuses it, of two admits it.
    std::uint8_t buf[1];
    const ByteVec ping{0xC0, 0x00};
    Framer one(buf, sizeof buf, 1);
    Frame f = one.feed(view(ping));
    CHECK(f.status == FrameStatus::Invalid);
    CHECK(f.error.reason == Reason::PacketTooLarge);
    Framer two(buf, sizeof buf, 2);
    f = two.feed(view(ping));
    CHECK(f.status == FrameStatus::Complete);
    CHECK_EQUAL(0U, f.body.size);
    Framer none(buf, sizeof buf, 0);
    CHECK(none.feed(view(ping)).error.reason == Reason::PacketTooLarge);
}
