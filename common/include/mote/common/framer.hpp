// Splitting a byte stream into whole packets.
//
// parse_fixed_header() is stateless: the broker runs it over a large read buffer and
// decodes packets in place, copying only a trailing partial packet. Framer is the
// incremental form for byte-at-a-time links (a UART): it keeps the few header bytes in
// a fixed array and copies bodies into a caller-owned buffer.
//
// Both enforce the maximum packet size from the header alone, before any body byte is
// buffered, and reject a Remaining Length of more than four bytes [MQTT-1.5.5-1]
// (and, as a policy for every version, a non-minimal encoding).
#pragma once

#include <cstddef>
#include <cstdint>

#include "mote/common/bytes.hpp"
#include "mote/common/protocol.hpp"

namespace mote::mqtt {

enum class FrameStatus : std::uint8_t {
    NeedMore,  // not enough bytes yet; nothing consumed
    Complete,  // a whole packet is available
    Invalid,   // the stream is broken; `error` says why; close the connection
};

struct FixedHeader {
    FrameStatus status = FrameStatus::NeedMore;
    std::uint8_t first_byte = 0;
    std::uint32_t remaining_length = 0;
    std::uint8_t header_size = 0;  // 2..5 once known
    Error error;

    std::size_t total_size() const { return header_size + static_cast<std::size_t>(remaining_length); }
};

// Parses the fixed header at the start of `in`. Complete means the header is whole
// and the packet is within `max_packet_size` (whole packet, header included); the
// body may still be incomplete: check in.size >= total_size(). Invalid with
// PacketTooLarge when the announced size exceeds the limit.
FixedHeader parse_fixed_header(Bytes in, std::uint32_t max_packet_size);

struct Frame {
    FrameStatus status = FrameStatus::NeedMore;
    std::uint8_t first_byte = 0;
    Bytes body;  // valid until the next feed() or reset()
    std::size_t consumed = 0;  // bytes of the input used by this call
    Error error;
};

// Incremental framer over a caller-owned body buffer of `cap` bytes. The effective
// maximum packet size is min(max_packet_size, cap + 5).
class Framer {
public:
    Framer(std::uint8_t* body_buf, std::size_t cap, std::uint32_t max_packet_size)
        : buf_(body_buf), cap_(cap), max_(max_packet_size) {}

    // Consumes bytes until one packet is complete (then stops, so the caller can
    // handle it before feeding the rest), the input runs out, or the stream is
    // invalid. After Invalid, call reset() before reuse.
    Frame feed(Bytes in);
    void reset();
    void set_max_packet_size(std::uint32_t max) { max_ = max; }

private:
    std::uint8_t* buf_;
    std::size_t cap_;
    std::uint32_t max_;
    std::uint8_t header_[5];  // written before read (feed() reads header_[0] only once it is set)
    std::uint8_t header_len_ = 0;
    bool header_done_ = false;
    std::uint32_t remaining_ = 0;
    std::size_t body_len_ = 0;
};

}  // namespace mote::mqtt
