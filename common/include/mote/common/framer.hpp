// Splitting a byte stream into whole packets.
//
// parse_fixed_header() is stateless: the broker runs it over a large read buffer and
// decodes packets in place, copying only a trailing partial packet. Framer is the
// incremental form for byte-at-a-time links (a UART): it keeps the few header bytes in
// a fixed array and puts bodies into a caller-owned buffer, either copied from the
// caller's bytes (feed) or read there directly (space/commit).
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
    Bytes body;  // valid until the next feed(), space() or reset()
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

    // The same framing without a copy or a read-ahead buffer, for a caller that reads
    // from its transport straight into the framer: space() says where the next bytes
    // go and sets `n` to how many are wanted (never past the current packet; 0 only
    // when commit(0) completes a packet or reports the stream Invalid); after writing
    // k <= n bytes there, commit(k) takes them (`consumed` = k) and says Complete,
    // Invalid or NeedMore. feed() is this loop over a caller's bytes.
    std::uint8_t* space(std::size_t& n);
    Frame commit(std::size_t n);
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
