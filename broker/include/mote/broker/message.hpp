// An application message as the broker stores and routes it: created once when a
// PUBLISH arrives (or a will fires), immutable afterwards, shared by every
// subscriber's queue and by the retained store through MessagePtr. The net layer
// holds a reference until the write that carries the payload completes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mote::broker {

using Millis = std::uint64_t;  // monotonic milliseconds, supplied by the caller

struct Message {
    std::string topic;
    std::vector<std::uint8_t> payload;
    // MQTT 5 properties to forward, encoded, without Topic Alias and Subscription
    // Identifier (those are per subscriber) and without Message Expiry Interval
    // (recomputed from expires_at on every send).
    std::vector<std::uint8_t> properties;
    std::uint8_t qos = 0;
    bool retain = false;
    Millis received_at = 0;
    Millis expires_at = 0;  // 0: never
    std::string origin_client_id;  // for No Local
};

using MessagePtr = std::shared_ptr<const Message>;

}  // namespace mote::broker
