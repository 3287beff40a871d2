// The byte layout of what the SQLite store keeps: one record per session (its
// subscriptions, Will, in-flight and queued deliveries, incoming QoS 2 ids and
// timers) and one per retained message. Times are stored as wall-clock
// milliseconds since the Unix epoch, so that expiry counts the downtime; the engine
// uses a monotonic clock, and the two are related by a pair of readings taken at
// the same moment (Clocks).
//
// Decoding never trusts a length: a short or inconsistent record is an error (a
// corrupt database), never an out-of-bounds read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/session.hpp"
#include "mote/broker/message.hpp"

namespace mote::broker::store {

// The record format written by this build; decode() accepts exactly this one.
constexpr std::uint8_t kRecordFormat = 1;

struct Clocks {
    Millis mono = 0;         // the engine's clock
    std::int64_t wall = 0;   // ms since the epoch, read at the same moment

    std::int64_t to_wall(Millis t) const;  // 0 stays 0 ("never")
    Millis to_mono(std::int64_t w) const;  // 0 stays 0; a time before the clock's start becomes 1 (past)
};

// The record of `s` into `out` (cleared first): everything but the queue, whose
// deliveries are rows of their own (encode_delivery), so that a message queued for
// an offline session is written once, not with every change of the session.
void encode_session(const detail::Session& s, const Clocks& clk, std::vector<std::uint8_t>& out);
// Fills `s` (a fresh session whose client_id is set). False on a malformed record.
bool decode_session(const std::uint8_t* data, std::size_t size, const Clocks& clk, detail::Session& s,
                    bool& was_online);

void encode_delivery(const detail::Delivery& d, const Clocks& clk, std::vector<std::uint8_t>& out);
bool decode_delivery(const std::uint8_t* data, std::size_t size, const Clocks& clk, detail::Delivery& d);

void encode_message(const Message& m, const Clocks& clk, std::vector<std::uint8_t>& out);
bool decode_message(const std::uint8_t* data, std::size_t size, const Clocks& clk, MessagePtr& out);

}  // namespace mote::broker::store
