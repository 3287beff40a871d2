// Engine::Impl: the engine's state and its handlers, split over several .cpp files
// (connect, publish, delivery, subscribe, lifecycle, sys topics, wire replies).
// Private to broker/src/engine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/session.hpp"
#include "engine/session_store.hpp"
#include "engine/subscription_trie.hpp"
#include "mote/broker/engine.hpp"
#include "mote/broker/message_pool.hpp"
#include "mote/common/codec.hpp"

namespace mote::broker {

namespace detail {

enum class ConnState : std::uint8_t { AwaitConnect, Connected };

// Broker -> client Topic Aliases of one MQTT 5 connection (§3.3.2.3.4): the topics
// given an alias so far, each with its alias. Aliases are handed out in order and
// never reassigned, so a client's table and ours cannot disagree; a topic that
// arrives once the client's Topic Alias Maximum is used up goes out in full.
struct OutboundAliases {
    // `by_topic` keys view the strings in `topics` (a deque never moves its
    // elements), so a lookup with a message's topic view allocates nothing.
    std::deque<std::string> topics;
    std::unordered_map<std::string_view, std::uint16_t> by_topic;

    void add(std::string_view topic, std::uint16_t alias) {
        topics.emplace_back(topic);
        by_topic.emplace(topics.back(), alias);
    }
};

// The alias one PUBLISH to a client carries: none (0), one already known to the
// client, or a new one that this PUBLISH sets (sent with its topic).
struct AliasUse {
    std::uint16_t alias = 0;
    bool is_new = false;
};

// How a connection ends, which decides the fate of the Will.
enum class CloseKind : std::uint8_t {
    Normal,    // DISCONNECT 0x00: the Will is discarded [MQTT-3.1.2-10]
    Abnormal,  // anything else: the Will is published (after its delay)
    Shutdown,  // broker shutdown: no Will
};

// A CONNECT waiting for its password check, and what the client sent after it
// (processed in order once the check succeeds; dropped with the connection if not).
struct PendingConnect {
    std::uint8_t first_byte = 0;
    std::vector<std::uint8_t> body;
    std::vector<std::pair<std::uint8_t, std::vector<std::uint8_t>>> held;
    std::size_t held_bytes = 0;
};

// At most this much is held behind a CONNECT being checked; more closes the
// connection (a client that floods before its CONNACK).
constexpr std::size_t kMaxHeldBytes = 1024 * 1024;

// Access asked of the ACL (the values of auth::Access).
constexpr std::uint8_t kAclRead = 1;
constexpr std::uint8_t kAclWrite = 2;

struct Connection {
    ConnectionId id = 0;
    PeerInfo peer;
    Session* session = nullptr;
    Millis last_rx = 0;
    // Connection timer: `timer_at` (with `timer_seq`, its place among timers due at
    // the same millisecond) is when it should run, 0 for never. `timer_queued` is
    // the time of this connection's entry in Impl::conn_timers (0: none). A later
    // deadline does not add an entry: the queued one re-queues itself when it comes
    // due, so each connection has one entry (see run_conn_timer).
    Millis timer_at = 0;
    Millis timer_queued = 0;
    std::uint64_t timer_seq = 0;
    std::uint16_t keepalive_s = 0;
    std::uint16_t client_receive_max = 65535;
    std::uint32_t client_max_packet = 0;  // 0: no limit
    ConnState state = ConnState::AwaitConnect;
    mqtt::Version version = mqtt::Version::V3_1_1;
    bool version_known = false;  // set from the CONNECT, even a rejected one
    bool backpressured = false;
    bool connect_expiry_zero = false;  // CONNECT had Session Expiry Interval 0 (5.0)
    // The CONNECT had mosquitto's try_private bridge bit (level 0x83/0x84; never 5.0):
    // its subscriptions are made No Local and Retain As Published (subscribe.cpp).
    bool bridge = false;
    // The client's Topic Alias Maximum; 0: the broker must not send aliases
    // [MQTT-3.3.2-9].
    std::uint16_t client_alias_max = 0;
    // Client -> broker Topic Aliases, index alias-1; allocated by the first alias
    // (most connections never use one).
    std::unique_ptr<std::vector<std::string>> aliases;
    // Broker -> client Topic Aliases; allocated when the first one is given.
    std::unique_ptr<OutboundAliases> out_aliases;
    // Set while the CONNECT's password is being checked (auth_hooks.cpp).
    std::unique_ptr<PendingConnect> pending_connect;
};

enum class TimerKind : std::uint8_t { Session, Sys };

// A session or $SYS timer. `seq` orders timers due at the same millisecond in the
// order they were scheduled, across this queue and the connection heap.
struct TimerRef {
    TimerKind kind = TimerKind::Sys;
    std::uint64_t seq = 0;
    std::string client_id;
};

// A connection timer (CONNECT timeout, keepalive): one small entry in a binary heap
// instead of a tree node per connection. An entry whose `at` is not the
// connection's timer_queued is stale and ignored when it comes due.
struct ConnTimer {
    Millis at = 0;
    std::uint64_t seq = 0;
    ConnectionId conn = 0;
};

// Heap order for ConnTimer: std::push_heap keeps the largest first, so "later" is
// "less" to keep the earliest (at, seq) at the front.
inline bool later(const ConnTimer& a, const ConnTimer& b) {
    return a.at != b.at ? a.at > b.at : a.seq > b.seq;
}

// One subscriber of a publish being routed.
struct Target {
    Session* session = nullptr;
    std::uint8_t qos = 0;
    bool retain_as_published = false;
    std::vector<std::uint32_t> sub_ids;
};

// A PUBACK/PUBREC/PUBCOMP waiting for the commit of its loop turn (strict
// durability).
struct HeldAck {
    ConnectionId conn = 0;
    mqtt::PacketType type = mqtt::PacketType::Puback;
    std::uint16_t packet_id = 0;
    mqtt::Reason reason = mqtt::Reason::Success;
};

}  // namespace detail

struct Engine::Impl {
    Impl(const BrokerConfig& c, Logger& l, Io& i, Millis now, detail::Persistence* store = nullptr);
    ~Impl();
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    // First, so that it is destroyed after everything that holds a Message.
    MessagePool message_pool;
    BrokerConfig cfg;
    Logger& log;
    Io& io;
    Millis started_at;
    EngineStats stats;
    std::unordered_map<ConnectionId, detail::Connection> conns;
    detail::MemorySessionStore memory_sessions;
    detail::MemoryRetainedStore memory_retained;
    detail::SessionStore& sessions;
    detail::RetainedStore& retained;
    detail::SubscriptionTrie trie;
    std::multimap<Millis, detail::TimerRef> timers;  // sessions and $SYS
    std::vector<detail::ConnTimer> conn_timers;      // heap (detail::later)
    std::uint64_t timer_seq = 0;
    std::uint64_t assigned_ids = 0;
    bool shut_down = false;
    bool any_acl = false;  // some listener has an ACL: the per-message checks run
    std::shared_ptr<const auth::Security> security;  // null: config allow_anonymous only
    detail::Persistence* store = nullptr;  // null: memory only
    std::vector<detail::HeldAck> held_acks;  // strict durability, in send order

    // Scratch buffers reused across calls (no allocation per message once warm).
    std::vector<std::uint8_t> enc;
    std::vector<std::uint8_t> props_buf;
    std::vector<std::uint8_t> msg_props;
    std::vector<std::uint8_t> reason_buf;  // the Reason String property of an error reply
    std::vector<const detail::SubEntry*> match_subs;
    std::vector<detail::SharedGroup*> match_groups;
    std::vector<detail::Target> targets;
    std::uint64_t route_epoch = 0;

    // engine.cpp: dispatch
    void on_packet(detail::Connection& c, std::uint8_t first_byte, mqtt::Bytes body, Millis now);
    void on_connected_packet(detail::Connection& c, const mqtt::Packet& p, Millis now);
    detail::Connection* find_conn(ConnectionId id);
    detail::Connection* live_conn(const detail::Session& s);

    // connect.cpp
    void on_connect_packet(detail::Connection& c, std::uint8_t first_byte, mqtt::Bytes body, Millis now);
    mqtt::Error check_connect(const detail::Connection& c, const mqtt::Connect& p) const;
    void accept_connect(detail::Connection& c, const mqtt::Connect& p, Millis now);
    detail::Session& attach_session(detail::Connection& c, const mqtt::Connect& p, const std::string& id,
                                    bool& present, Millis now);
    void send_connack_ok(detail::Connection& c, const mqtt::Connect& p, bool present, bool assigned,
                         std::uint16_t server_keepalive);
    std::string assign_client_id();
    MessagePtr make_will(const mqtt::Connect& p, const std::string& client_id, Millis now) const;

    // publish.cpp
    void on_publish(detail::Connection& c, const mqtt::Publish& p, Millis now);
    mqtt::Error resolve_alias(detail::Connection& c, const mqtt::Publish& p, std::string_view& topic) const;
    MessagePtr make_message(const mqtt::Publish& p, std::string_view topic, const std::string& origin,
                            Millis now);
    void on_pubrel(detail::Connection& c, const mqtt::Ack& a, Millis now);
    // Stores a retained message and routes; false when no subscriber matched.
    bool publish_message(const MessagePtr& m, Millis now);

    // delivery.cpp
    bool route(const MessagePtr& m, Millis now);  // false: no subscriber matched
    detail::Target& target_for(detail::Session& s);
    void deliver(detail::Session& s, detail::Delivery&& d, Millis now);
    void enqueue(detail::Session& s, detail::Delivery&& d);
    void note_drop(detail::Session& s);
    void pump(detail::Session& s, detail::Connection& c, Millis now);
    bool start_inflight(detail::Session& s, detail::Connection& c, detail::Delivery&& d, Millis now);
    bool send_publish(detail::Connection& c, const detail::Delivery& d, std::uint16_t packet_id, bool dup,
                      Millis now);
    // Encodes a 5.0 PUBLISH header into `enc`; 0 when the message expired before
    // its first send or cannot be encoded.
    std::size_t encode_v5_publish_header(const detail::Connection& c, const detail::Delivery& d,
                                         std::uint16_t packet_id, bool dup, Millis now, detail::AliasUse& alias);
    detail::AliasUse outbound_alias(const detail::Connection& c, std::string_view topic) const;
    std::uint32_t window(const detail::Connection& c) const;
    void enqueue_backlog(detail::Session& s, detail::Delivery&& d, std::uint64_t cost);
    std::uint16_t next_packet_id(detail::Session& s);
    void on_ack(detail::Connection& c, mqtt::PacketType type, const mqtt::Ack& a, Millis now);
    void resume_session(detail::Session& s, detail::Connection& c, Millis now);

    // subscribe.cpp
    void on_subscribe(detail::Connection& c, const mqtt::Subscribe& p, Millis now);
    void on_unsubscribe(detail::Connection& c, const mqtt::Unsubscribe& p);
    void send_retained(detail::Session& s, std::string_view filter, std::uint8_t qos, std::uint32_t sub_id,
                       Millis now);
    void remove_all_subscriptions(detail::Session& s);

    // lifecycle.cpp
    void fail(detail::Connection& c, mqtt::Error e, Millis now);
    // `socket_gone`: reported by on_closed(), so Io::close() is not called.
    void drop_connection(detail::Connection& c, Millis now, detail::CloseKind kind, bool socket_gone = false);
    void detach_session(detail::Session& s, Millis now, detail::CloseKind kind);
    void destroy_session(detail::Session& s);
    void publish_will(detail::Session& s, Millis now);
    void on_disconnect(detail::Connection& c, const mqtt::Disconnect& d, Millis now);
    void schedule_conn(detail::Connection& c, Millis at);
    void schedule_session(detail::Session& s);
    void add_timer(Millis at, detail::TimerRef&& t);
    // Runs the earliest timer if it is due at `now`; false when none is.
    bool run_next_timer(Millis now);
    void run_conn_timer(const detail::ConnTimer& t, Millis now);
    Millis next_deadline() const;
    void run_timer(Millis at, const detail::TimerRef& t, Millis now);
    void conn_timer(detail::Connection& c, Millis now);
    void session_timer(detail::Session& s, Millis now);
    void shutdown(Millis now);

    // auth_hooks.cpp: authentication (CONNECT) and the ACL (PUBLISH, SUBSCRIBE, delivery, Will)
    mqtt::Error anonymous_policy(const detail::Connection& c, const mqtt::Connect& p) const;
    // True when the CONNECT was handed to the Io for a password check (or refused).
    bool start_password_check(detail::Connection& c, std::uint8_t first_byte, mqtt::Bytes body,
                              const mqtt::Connect& p, Millis now);
    void hold_packet(detail::Connection& c, std::uint8_t first_byte, mqtt::Bytes body, Millis now);
    void on_auth_result(detail::Connection& c, bool ok, Millis now);
    void set_identity(detail::Session& s, const detail::Connection& c, const mqtt::Connect& p);
    bool acl_allows(const detail::Session& s, std::string_view topic, std::uint8_t access) const;
    bool acl_allows_subscribe(const detail::Session& s, mqtt::Bytes filter) const;
    // 5.0: PUBACK/PUBREC 0x87; 3.1.1: acknowledged as usual and dropped.
    void publish_denied(detail::Connection& c, const mqtt::Publish& p, std::string_view topic);
    // restore.cpp: start-up from a durable store, and the commit barrier.
    void restore(Millis now);
    void on_commit(bool ok, mqtt::Reason failure, Millis now);

    // sys_topics.cpp
    void publish_sys(Millis now);
    void schedule_sys(Millis now);

    // wire.cpp: replies. Each encodes into `enc` and sends.
    SendResult send_packet(detail::Connection& c, const mqtt::Packet& p);
    void send_ack(detail::Connection& c, mqtt::PacketType type, std::uint16_t id, mqtt::Reason reason);
    // 5.0: `why`, when not empty, goes out as the Reason String (a sentence for the
    // client's log) unless it would make the packet larger than the client's
    // Maximum Packet Size [MQTT-3.2.2-19] [MQTT-3.14.2-3].
    void send_disconnect(detail::Connection& c, mqtt::Reason reason, const char* why = "");
    void send_connack_code(detail::Connection& c, std::uint8_t code, const char* why = "");
    mqtt::Properties reason_string(const detail::Connection& c, const char* why, std::size_t packet_without);
};

}  // namespace mote::broker
