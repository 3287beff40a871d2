// Session state of one client id: subscriptions, outgoing QoS 1/2 flows, the queue
// of messages waiting for the in-flight window or for the client to come back, the
// packet ids of incoming QoS 2 flows, and the Will. Owned by a SessionStore; the
// engine's connections and the subscription trie hold plain pointers that are
// cleared before the store erases the session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/qos_flow.hpp"
#include "mote/broker/engine.hpp"
#include "mote/broker/message.hpp"
#include "mote/common/packets.hpp"
#include "mote/common/protocol.hpp"

namespace mote::broker::detail {

// Session Expiry Interval 0xFFFFFFFF: the session never expires (5.0 §3.1.2.11.2).
constexpr std::uint32_t kNeverExpires = 0xFFFFFFFFu;

// One message on its way to one session, with what that subscriber sees of it.
struct Delivery {
    MessagePtr msg;
    std::uint8_t qos = 0;
    bool retain = false;
    std::vector<std::uint32_t> sub_ids;  // 5.0 Subscription Identifiers that matched
};

struct Inflight {
    Delivery d;
    std::uint16_t packet_id = 0;
    std::uint64_t seq = 0;  // send order, for redelivery in the original order
    OutState state = OutState::AwaitPuback;
};

struct SubRecord {
    mqtt::SubscribeOptions options;
    std::uint32_t sub_id = 0;  // 0: none
};

struct Session {
    std::string client_id;
    mqtt::Version version = mqtt::Version::V3_1_1;
    ConnectionId conn = 0;  // 0: offline
    std::uint32_t expiry_s = 0;
    Millis expires_at = 0;  // set while offline; 0: never
    MessagePtr will;        // null: no Will
    std::uint32_t will_delay_s = 0;
    std::uint32_t will_expiry_s = 0;  // Will's Message Expiry Interval; 0: none
    Millis will_at = 0;  // a delayed Will is pending (offline only)
    Millis timer_at = 0;  // the live entry in the engine's timer queue

    // Keyed by the whole filter as subscribed, "$share/g/f" included.
    std::map<std::string, SubRecord> subs;

    std::map<std::uint16_t, Inflight> inflight;
    std::uint64_t next_seq = 1;
    std::uint16_t last_id = 0;
    std::deque<Delivery> queue;
    std::uint64_t queued_bytes = 0;
    bool drop_logged = false;  // one log line per burst of drops

    // Client packet ids of QoS 2 PUBLISHes already PUBREC'd and passed on, until
    // their PUBREL [MQTT-4.3.3-10].
    std::unordered_set<std::uint16_t> incoming_qos2;

    // Routing scratch: dedupes overlapping subscriptions within one publish.
    std::uint64_t route_epoch = 0;
    std::size_t route_slot = 0;
};

}  // namespace mote::broker::detail
