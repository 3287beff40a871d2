// Splitting a byte stream into whole packets (§2.1 fixed header, §1.5.5 Variable
// Byte Integer for the Remaining Length).
#include "mote/common/framer.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "why.hpp"

namespace mote::mqtt {
namespace {

constexpr std::size_t kMaxRlBytes = 4;
constexpr std::size_t kMaxHeader = 1 + kMaxRlBytes;

FixedHeader invalid(Reason r, const char* cause) {
    FixedHeader h;
    h.status = FrameStatus::Invalid;
    h.error = Error{r, cause};
    return h;
}

}  // namespace

FixedHeader parse_fixed_header(Bytes in, std::uint32_t max_packet_size) {
    FixedHeader h;
    if (in.size < 2) return h;  // NeedMore
    std::uint32_t value = 0;
    std::uint32_t shift = 0;
    for (std::size_t i = 1; i <= kMaxRlBytes; ++i) {
        if (i >= in.size) return h;  // NeedMore: the length is not complete yet
        const std::uint8_t b = in[i];
        value |= static_cast<std::uint32_t>(b & 0x7FU) << shift;
        shift += 7;
        if ((b & 0x80U) != 0) {
            // [MQTT-1.5.5-1] the Variable Byte Integer uses at most four bytes; say
            // so at the fourth byte, without waiting for (or buffering) a fifth.
            if (i == kMaxRlBytes) return invalid(Reason::MalformedPacket, MOTE_WHY("remaining length > 4 bytes"));
            continue;
        }
        // A trailing zero byte after a continuation adds nothing: the same value
        // fits in fewer bytes. [MQTT-1.5.5-1] asks for the minimum number of bytes;
        // Mote enforces that for every version (HOSTILE_INPUTS row 2).
        if (i > 1 && b == 0) return invalid(Reason::MalformedPacket, MOTE_WHY("non-minimal remaining length encoding"));
        h.first_byte = in[0];
        h.remaining_length = value;
        h.header_size = static_cast<std::uint8_t>(i + 1);
        // The size limit is judged from the header alone, before any body byte is
        // buffered (HOSTILE_INPUTS rows 3 and 5, [MQTT-3.2.2-15] by analogy).
        if (static_cast<std::uint64_t>(h.total_size()) > max_packet_size) {
            FixedHeader t = invalid(Reason::PacketTooLarge, MOTE_WHY("packet exceeds the maximum packet size"));
            t.first_byte = h.first_byte;
            t.remaining_length = h.remaining_length;
            t.header_size = h.header_size;
            return t;
        }
        h.status = FrameStatus::Complete;
        return h;
    }
    return h;  // not reached: the loop returns at the fourth byte at the latest
}

Frame Framer::feed(Bytes in) {
    // The push form over the pull form: copy what space() asks for, commit it, until
    // a packet is complete, the stream is invalid or the input is used up.
    std::size_t used = 0;
    for (;;) {
        std::size_t n = 0;
        std::uint8_t* dst = space(n);
        if (n > in.size - used) n = in.size - used;
        if (n != 0) std::memcpy(dst, in.data + used, n);
        used += n;
        Frame f = commit(n);
        f.consumed = used;
        if (f.status != FrameStatus::NeedMore || used == in.size) return f;
    }
}

std::uint8_t* Framer::space(std::size_t& n) {
    // Never more than the current packet still needs, so nothing of the next packet
    // is read ahead: two bytes to start a header (no packet is shorter), then one
    // Remaining Length byte at a time, then the whole rest of the body.
    if (header_done_) {
        n = remaining_ - body_len_;
        return buf_ + body_len_;
    }
    n = header_len_ >= kMaxHeader ? 0 : header_len_ == 0 ? 2 : 1;
    return header_ + header_len_;
}

Frame Framer::commit(std::size_t n) {
    Frame f;
    f.consumed = n;
    if (header_done_) {
        body_len_ += n;
    } else {
        // The Remaining Length is decoded byte by byte as it arrives, with the same
        // rules and results as parse_fixed_header(). The state lives in locals and is
        // stored back once.
        std::size_t len = header_len_;  // header bytes taken: the type byte, then length bytes
        std::uint32_t rl = remaining_;
        const std::size_t end = len + n;
        // A header of five bytes without a parsed length only exists after an Invalid
        // result (a valid length ends by the fifth byte): keep refusing until reset().
        Error error{Reason::MalformedPacket, MOTE_WHY("framer used after an error without reset")};
        while (len < kMaxHeader) {
            if (len == end) {  // NeedMore
                header_len_ = static_cast<std::uint8_t>(len);
                remaining_ = rl;
                return f;
            }
            const std::uint8_t b = header_[len];
            if (len++ == 0) continue;  // the type byte
            rl |= static_cast<std::uint32_t>(b & 0x7FU) << (7 * len - 14);  // length byte len - 1
            if ((b & 0x80U) != 0) {
                if (len <= kMaxRlBytes) continue;  // NeedMore
                error = Error{Reason::MalformedPacket, MOTE_WHY("remaining length > 4 bytes")};  // [MQTT-1.5.5-1]
            } else if (len > 2 && b == 0) {
                error = Error{Reason::MalformedPacket, MOTE_WHY("non-minimal remaining length encoding")};
            } else if (max_ < len || rl > max_ - len) {  // header + body > max_
                error = Error{Reason::PacketTooLarge, MOTE_WHY("packet exceeds the maximum packet size")};
            } else if (rl > cap_) {
                error = Error{Reason::PacketTooLarge, MOTE_WHY("packet exceeds the receive buffer")};
            } else {
                header_done_ = true;  // body_len_ is 0 until the header is done
                remaining_ = rl;
                break;
            }
            len = kMaxHeader;
        }
        if (!header_done_) {
            header_len_ = static_cast<std::uint8_t>(kMaxHeader);
            f.status = FrameStatus::Invalid;
            f.error = error;
            return f;
        }
    }
    if (body_len_ < remaining_) return f;  // NeedMore
    f.status = FrameStatus::Complete;
    f.first_byte = header_[0];
    f.body = Bytes{buf_, body_len_};
    // Ready for the next packet; the body stays in buf_ until the next space().
    reset();
    return f;
}

void Framer::reset() {
    header_len_ = 0;
    header_done_ = false;
    remaining_ = 0;
    body_len_ = 0;
}

}  // namespace mote::mqtt
