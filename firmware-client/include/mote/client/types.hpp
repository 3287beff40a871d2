// Public value types of the firmware client: options, limits, messages, events and
// the status codes its calls return. No heap: every pointer here refers to memory the
// application owns, with the lifetime stated next to it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mote/common/bytes.hpp"
#include "mote/common/codec.hpp"
#include "mote/common/properties.hpp"
#include "mote/common/protocol.hpp"

namespace mote::client {

// Compile-time sizes of everything the client stores. Derive from DefaultLimits and
// override what you need:
//   struct SensorLimits : mote::client::DefaultLimits { static constexpr std::size_t rx_bytes = 256; };
struct DefaultLimits {
    // Largest incoming packet body (Remaining Length). Advertised to a 5.0 broker as
    // Maximum Packet Size (rx_bytes + 5); bigger packets close the connection.
    static constexpr std::size_t rx_bytes = 512;
    // Send buffer. The largest outgoing packet (PUBLISH with topic and payload) must
    // fit; publish() refuses bigger ones with Status::TooLarge.
    static constexpr std::size_t tx_bytes = 512;
    // Outgoing QoS 1/2 messages in flight at once (further ones wait in the queue),
    // and incoming QoS 2 messages awaiting PUBREL (advertised as Receive Maximum).
    static constexpr std::size_t inflight = 4;
    // Outbox: messages stored (queued while offline or waiting for the window, plus
    // those in flight) and the bytes of their topics and payloads.
    static constexpr std::size_t queue_messages = 8;
    static constexpr std::size_t queue_bytes = 1024;
    // Subscription table and the longest topic filter it stores.
    static constexpr std::size_t subscriptions = 4;
    static constexpr std::size_t filter_bytes = 64;
    // Room for a 5.0 Assigned Client Identifier.
    static constexpr std::size_t client_id_bytes = 32;
    // (There is no read buffer to size: the client reads from the transport straight
    // into rx_, never more than the packet being received still needs.)
};

enum class Status : std::uint8_t {
    Ok,
    QueueFull,     // outbox full and the overflow policy refuses the newest message
    TooLarge,      // the packet can never fit the send buffer or the broker's limit
    InvalidTopic,  // not a valid Topic Name / Topic Filter
    InvalidQos,
    TableFull,     // no free subscription slot
    NotFound,      // unsubscribe of a filter that is not subscribed
    UnsupportedVersion,  // start(): Options::version is 5.0 and this build is 3.1.1-only
};

// What to do when publish() finds the outbox full.
enum class OverflowPolicy : std::uint8_t {
    DropOldest,    // drop the oldest message not yet sent, count it in Stats::dropped
    RefuseNewest,  // keep the queue, return QueueFull, count it in Stats::refused
};

// A received application message: the decoded PUBLISH itself (topic, payload, qos,
// retain, dup, props; packet_id is the broker's, 0 for QoS 0). Every view points into
// the client's receive buffer and is valid only during the callback. props is empty
// for 3.1.1.
using Message = mqtt::Publish;
using MessageCallback = void (*)(void* user, const Message& msg);

enum class EventType : std::uint8_t {
    Connected,        // CONNACK accepted; `session_present` says whether state resumed
    ConnectRefused,   // CONNACK with a failure code in `reason`
    Disconnected,     // link closed; `reason` says why (Success after disconnect())
    Delivered,        // outgoing message `token` finished its QoS flow (`reason` from the ack)
    Dropped,          // outgoing message `token` dropped by the overflow policy
    Subscribed,       // `reason` is the granted QoS (0..2)
    SubscribeFailed,  // `reason` is the SUBACK failure code
    Unsubscribed,
};
struct Event {
    EventType type = EventType::Connected;
    mqtt::Reason reason = mqtt::Reason::Success;
    std::uint32_t token = 0;
    bool session_present = false;
};
using EventCallback = void (*)(void* user, const Event& ev);

// Connection options. Every Bytes must stay valid for the client's lifetime (they
// are sent again on each reconnect).
struct Options {
    mqtt::Version version = mqtt::Version::V3_1_1;  // V3_1_1, or V5 when built with MQTT 5.0
    mqtt::Bytes client_id;                        // may be empty with clean_start (broker assigns)
    bool has_username = false;
    mqtt::Bytes username;
    bool has_password = false;
    mqtt::Bytes password;
    std::uint16_t keep_alive_s = 60;  // 0 disables keepalive
    bool clean_start = true;
    std::uint32_t session_expiry_s = 0;  // 5.0 Session Expiry Interval
    bool has_will = false;
    mqtt::Bytes will_topic;
    mqtt::Bytes will_payload;
    std::uint8_t will_qos = 0;
    bool will_retain = false;
    // 5.0 Request Problem Information; with false the broker may not put Reason
    // Strings or User Properties on acks [MQTT-3.1.2-29], and the client checks it.
    bool request_problem_info = true;
    // 5.0 Receive Maximum to announce; 0, or more than Limits::inflight, announces
    // Limits::inflight (the size of the incoming QoS 2 table).
    std::uint16_t receive_maximum = 0;
    // 3.1.1: set mosquitto's bridge bit on the protocol level (0x84, "try_private"),
    // so a broker that knows it treats this client as a bridge (no echo of its own
    // messages, retain flags kept). Ignored for 5.0, which has No Local instead.
    bool bridge = false;
    std::uint32_t connect_timeout_ms = 10000;  // transport open + CONNACK
    std::uint32_t ping_timeout_ms = 5000;      // PINGRESP after PINGREQ
    std::uint32_t backoff_min_ms = 500;
    std::uint32_t backoff_max_ms = 30000;
    std::uint32_t jitter_seed = 0;  // seed of the backoff jitter PRNG
    OverflowPolicy overflow = OverflowPolicy::DropOldest;
    EventCallback on_event = nullptr;
    void* event_user = nullptr;
    // Called for a PUBLISH that matches no subscription (for example one the broker
    // kept in a resumed session after the application forgot it).
    MessageCallback on_unmatched = nullptr;
    void* unmatched_user = nullptr;
};

struct Stats {
    std::uint32_t connects = 0;        // CONNACKs accepted
    std::uint32_t link_losses = 0;     // closes other than disconnect()
    std::uint32_t dropped = 0;         // messages dropped by DropOldest
    std::uint32_t refused = 0;         // publish() calls refused by RefuseNewest
    std::uint32_t ignored_acks = 0;    // unsolicited or unknown-id acks [MQTT-2.2.1-5]
    std::uint32_t delivered_in = 0;    // messages handed to callbacks
    mqtt::Reason last_error = mqtt::Reason::Success;  // reason of the last fault
};

}  // namespace mote::client
