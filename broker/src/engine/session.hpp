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

// Client packet ids of QoS 2 PUBLISHes PUBREC'd and not yet released, each with
// the message it carried (null once passed on or dropped), kept sorted: empty it
// owns no memory, and a client's ids mostly arrive in increasing order.
class Qos2Receipts {
public:
    std::size_t size() const { return items_.size(); }
    std::size_t count(std::uint16_t id) const { return find(id) != items_.end() ? 1 : 0; }
    // Adds `id` or replaces its message.
    void set(std::uint16_t id, MessagePtr msg) {
        auto it = lower(id);
        if (it != items_.end() && it->id == id) {
            it->msg = std::move(msg);
        } else {
            items_.insert(it, Item{id, std::move(msg)});
        }
    }
    // Visits every id in order with its held message (null: passed on or dropped);
    // the durable store writes them with the session.
    template <typename Fn>
    void for_each(Fn&& fn) const {
        for (const Item& i : items_) fn(i.id, i.msg);
    }
    // Whether `id` is there with a message still held.
    bool holds(std::uint16_t id) const {
        auto it = find(id);
        return it != items_.end() && it->msg != nullptr;
    }
    // Removes `id`; false if it was not there. `msg` gets its message.
    bool take(std::uint16_t id, MessagePtr& msg) {
        auto it = lower(id);
        if (it == items_.end() || it->id != id) return false;
        msg = std::move(it->msg);
        items_.erase(it);
        if (items_.empty()) std::vector<Item>().swap(items_);  // idle sessions keep nothing
        return true;
    }

private:
    struct Item {
        std::uint16_t id;
        MessagePtr msg;
    };
    std::vector<Item>::iterator lower(std::uint16_t id) {
        return std::lower_bound(items_.begin(), items_.end(), id, [](const Item& i, std::uint16_t v) { return i.id < v; });
    }
    std::vector<Item>::const_iterator find(std::uint16_t id) const {
        auto it = std::lower_bound(items_.begin(), items_.end(), id,
                                   [](const Item& i, std::uint16_t v) { return i.id < v; });
        return it != items_.end() && it->id == id ? it : items_.end();
    }
    std::vector<Item> items_;
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
    // A bridge's local session (PeerInfo::bridge): its limits and policy apply to
    // the queue; `dropped` counts what they dropped.
    const BridgeConfig* bridge = nullptr;
    std::uint64_t dropped = 0;

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

    // Client packet ids of QoS 2 PUBLISHes already PUBREC'd, until their PUBREL
    // [MQTT-4.3.3-10]; the message is passed on at the PUBREL, as mosquitto does.
    Qos2Receipts incoming_qos2;

    // Routing scratch: dedupes overlapping subscriptions within one publish.
    std::uint64_t route_epoch = 0;
    std::uint32_t route_slot = 0;
};

}  // namespace mote::broker::detail
