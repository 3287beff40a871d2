// Session state of one client id: subscriptions, outgoing QoS 1/2 flows, the queue
// of messages waiting for the in-flight window or for the client to come back, the
// packet ids of incoming QoS 2 flows, and the Will. Owned by a SessionStore; the
// engine's connections and the subscription trie hold plain pointers that are
// cleared before the store erases the session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "engine/qos_flow.hpp"
#include "engine/ring.hpp"
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
    // The durable store's row of this queued delivery (0: not written yet); only
    // the store reads or sets it.
    std::uint64_t store_seq = 0;
};

struct Inflight {
    Delivery d;
    // The session's id clock when the packet id was assigned (see
    // Session::id_clock); the packet id is its low 16 bits.
    std::uint64_t tick = 0;
    std::uint16_t packet_id = 0;
    OutState state = OutState::AwaitPuback;
};

// A small set of packet identifiers, kept sorted: empty it owns no memory, and a
// client's QoS 2 ids mostly arrive in increasing order, so inserts append.
class IdSet {
public:
    std::size_t size() const { return ids_.size(); }
    std::size_t count(std::uint16_t id) const { return std::binary_search(ids_.begin(), ids_.end(), id) ? 1 : 0; }
    void insert(std::uint16_t id) {
        auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
        if (it == ids_.end() || *it != id) ids_.insert(it, id);
    }
    std::size_t erase(std::uint16_t id) {
        auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
        if (it == ids_.end() || *it != id) return 0;
        ids_.erase(it);
        if (ids_.empty()) std::vector<std::uint16_t>().swap(ids_);  // idle sessions keep nothing
        return 1;
    }
    // In increasing order (for the durable store).
    const std::vector<std::uint16_t>& ids() const { return ids_; }

private:
    std::vector<std::uint16_t> ids_;
};

struct SubRecord {
    mqtt::SubscribeOptions options;
    std::uint32_t sub_id = 0;  // 0: none
};

struct Session {
    std::string client_id;
    ConnectionId conn = 0;  // 0: offline
    Millis expires_at = 0;  // set while offline; 0: never
    MessagePtr will;        // null: no Will
    Millis will_at = 0;  // a delayed Will is pending (offline only)
    Millis timer_at = 0;  // the live entry in the engine's timer queue
    std::uint32_t expiry_s = 0;
    std::uint32_t will_delay_s = 0;
    std::uint32_t will_expiry_s = 0;  // Will's Message Expiry Interval; 0: none
    mqtt::Version version = mqtt::Version::V3_1_1;
    bool drop_logged = false;  // one log line per burst of drops
    // Who the client authenticated as, for the ACL: its user name (if any) and the
    // listener it connected through (per-listener settings).
    std::string username;
    bool has_username = false;
    std::size_t listener = 0;

    // Keyed by the whole filter as subscribed, "$share/g/f" included.
    std::map<std::string, SubRecord> subs;

    // Outgoing QoS 1/2 flows in the order they were sent (which is the order of
    // redelivery [MQTT-4.4.0-1]); acknowledgements mostly complete the front.
    Ring<Inflight> inflight;
    // Counts packet id assignments; an id is the clock's low 16 bits (0 skipped).
    // Because `inflight` is in clock order, an id can still be in use only when the
    // oldest flow is 65536 ticks old, so the in-use check is O(1) in practice.
    std::uint64_t id_clock = 0;
    Ring<Delivery> queue;
    std::uint64_t queued_bytes = 0;

    // Client packet ids of QoS 2 PUBLISHes already PUBREC'd and passed on, until
    // their PUBREL [MQTT-4.3.3-10].
    IdSet incoming_qos2;

    // Routing scratch: dedupes overlapping subscriptions within one publish.
    std::uint64_t route_epoch = 0;
    std::uint32_t route_slot = 0;
};

}  // namespace mote::broker::detail
