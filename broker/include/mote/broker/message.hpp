// An application message as the broker stores and routes it: created once when a
// PUBLISH arrives (or a will fires), immutable afterwards, shared by every
// subscriber's queue and by the retained store through MessagePtr. The net layer
// holds a reference until the write that carries the payload completes.
//
// Message::make() copies the topic, payload, properties and origin client id into
// storage owned by the Message: inside the object itself (one allocation, shared
// with the reference count) when they are small, else one extra buffer. The views
// (`topic`, `payload`, ...) stay valid as long as the Message lives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace mote::broker {

using Millis = std::uint64_t;  // monotonic milliseconds, supplied by the caller

// Bytes owned by a Message.
struct MessageBytes {
    const std::uint8_t* ptr = nullptr;
    std::size_t len = 0;

    const std::uint8_t* data() const { return ptr; }
    std::size_t size() const { return len; }
    bool empty() const { return len == 0; }
    const std::uint8_t* begin() const { return ptr; }
    const std::uint8_t* end() const { return ptr + len; }
};

class Message;
class MessagePool;
using MessagePtr = std::shared_ptr<const Message>;

// What a Message is made of; the views are copied by Message::make().
struct MessageFields {
    std::string_view topic;
    const std::uint8_t* payload = nullptr;
    std::size_t payload_size = 0;
    // MQTT 5 properties to forward, encoded, without Topic Alias and Subscription
    // Identifier (those are per subscriber) and without Message Expiry Interval
    // (recomputed from expires_at on every send).
    const std::uint8_t* properties = nullptr;
    std::size_t properties_size = 0;
    std::string_view origin_client_id;  // for No Local
    std::uint8_t qos = 0;
    bool retain = false;
    Millis received_at = 0;
    Millis expires_at = 0;  // 0: never
};

class Message {
public:
    // `pool`, if given, must outlive the message (see message_pool.hpp).
    static MessagePtr make(const MessageFields& f, MessagePool* pool = nullptr);
    // The same message with other times (a Will's expiry counts from publication).
    static MessagePtr retimed(const Message& m, Millis received_at, Millis expires_at,
                              MessagePool* pool = nullptr);

    // Empty; use make(). User-provided so that make_shared does not zero the
    // inline buffer of every message.
    Message() noexcept {}  // NOLINT(modernize-use-equals-default)
    Message(const Message&) = delete;  // the views point into this object
    Message& operator=(const Message&) = delete;

    std::string_view topic;
    MessageBytes payload;
    MessageBytes properties;
    std::string_view origin_client_id;
    std::uint8_t qos = 0;
    bool retain = false;
    Millis received_at = 0;
    Millis expires_at = 0;  // 0: never

private:
    // Sized so that a typical telemetry message (topic, 64-byte payload, short
    // client id) needs no second allocation.
    static constexpr std::size_t kInline = 160;
    std::unique_ptr<std::uint8_t[]> heap_;
    std::uint8_t inline_[kInline];
};

}  // namespace mote::broker
