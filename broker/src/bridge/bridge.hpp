// A bridge to an upstream broker (docs/bridge.md): a client of the engine on one
// side and of the upstream broker on the other, not a second engine.
//
// Local side: the bridge is an MQTT 5 client of this broker's engine on an
// in-process connection (PeerInfo::bridge), with a persistent session
// (local_clientid) subscribed to the `out` topics. That session's queue is the
// store-and-forward backlog: with persistence it is on disk, it survives a crash
// or a power cut, and it is bounded by bridge_max_queued_messages/bytes (oldest
// dropped and counted). A message is acknowledged to the engine (PUBACK, or PUBREC
// for QoS 2) only when the upstream broker has acknowledged it, so what the engine
// still holds is exactly what upstream has not confirmed.
//
// Upstream side: Mote's own client (firmware-client/, the same code that runs on
// the sensors) over an Uplink (TCP to the configured addresses in turn), with its
// reconnect backoff and jitter, keepalive, QoS flows and resend on reconnect.
// Messages from `in` topics are published into the engine as the bridge's own.
//
// Drain policy (bridge_drain_policy): with `fifo` one local session carries
// everything. With `live_first` a second session (local_clientid + ".live")
// holds the subscriptions while the uplink is up, and the first one while it is
// down; the two switch in one step (SUBSCRIBE on one, UNSUBSCRIBE on the other, no
// routing in between), so every message lands in exactly one of them. After an
// outage the live session's messages go first and the first session's backlog
// drains beside them, paced by bridge_outgoing_rate.
//
// Threading and re-entrancy: everything runs on the Server's loop. The engine's
// output to the bridge (Io::send on a local id) is only copied into that link's inbox
// during the engine call; service() handles it later, outside any engine call,
// and is where the bridge calls the engine. The Server calls service() once per
// loop turn before its commit; the bridge's timer calls it too.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/uplink.hpp"
#include "mote/broker/config.hpp"
#include "mote/broker/engine.hpp"
#include "mote/broker/log.hpp"
#include "mote/client/client.hpp"

namespace mote::broker::bridge {

struct UvClock {
    uv_loop_t* loop;
    std::uint32_t now_ms() { return static_cast<std::uint32_t>(uv_now(loop)); }
};

// The upstream client's compile-time sizes. The largest message a bridge carries
// is bounded by tx_bytes (bridge_max_packet_size may lower it); larger ones are
// dropped and counted.
struct BridgeLimits : client::DefaultLimits {
    static constexpr std::size_t rx_bytes = 256 * 1024;
    static constexpr std::size_t tx_bytes = 256 * 1024 + 1024;
    static constexpr std::size_t inflight = 64;
    static constexpr std::size_t queue_messages = 128;
    static constexpr std::size_t queue_bytes = 4 * 1024 * 1024;
    static constexpr std::size_t subscriptions = 32;
    static constexpr std::size_t filter_bytes = 1024;
    static constexpr std::size_t client_id_bytes = 128;
};

struct BridgeStats {
    std::uint64_t connects = 0;          // CONNACKs accepted by the upstream broker
    std::uint64_t link_losses = 0;       // upstream connections lost or refused
    std::uint64_t sent = 0;              // messages upstream acknowledged (QoS 0: written)
    std::uint64_t received = 0;          // messages from upstream published locally
    std::uint64_t dropped = 0;           // too large, unmappable, QoS 0 while down, ...
    std::uint64_t refused_upstream = 0;  // acknowledged upstream with a failure code
};

class Bridge {
public:
    using UpClient = client::Client<Uplink, UvClock, BridgeLimits>;

    // `cfg`, `engine` and `log` must outlive the Bridge; `local_id` and
    // `local_id + 1` (the live session) are the ConnectionIds the Server routes
    // to it. Every `sys_interval_s` seconds (0:
    // never) it publishes its state under $SYS/broker/bridge/NAME/.
    // `tls` (null: plain TCP) is the client context made from the bridge's TLS
    // options; it must outlive the Bridge.
    Bridge(const BridgeConfig& cfg, ConnectionId local_id, uv_loop_t* loop, Engine& engine, Logger& log,
           std::uint32_t sys_interval_s, const tls::TlsContext* tls);
    ~Bridge();
    Bridge(const Bridge&) = delete;
    Bridge& operator=(const Bridge&) = delete;

    // Connects the local side (and, once it is up, the upstream side).
    void start();
    // Graceful stop (broker shutdown): DISCONNECT upstream, no reconnects.
    void stop();
    // Closes the timer and the uplink; the loop must run once more to finish.
    void close_handles();

    // Io, for the local ids: called during engine calls; copies only.
    bool owns(ConnectionId id) const { return id == main_.id || id == live_.id; }
    SendResult from_engine(ConnectionId id, mqtt::Bytes bytes, const MessagePtr* msg);
    void engine_closed(ConnectionId id);

    // Handles what the engine sent, polls the upstream client, forwards what is
    // pending. Never called from inside an engine call.
    void service();

    const BridgeConfig& config() const { return cfg_; }
    bool connected() const { return up_; }
    BridgeStats stats() const;
    const std::string& peer() const { return uplink_.peer(); }
    // The backlog: queued in the local sessions or handed to the bridge and not
    // yet given to the upstream client; and what is in flight upstream.
    std::uint64_t queued() const;
    std::uint64_t inflight() const;
    std::uint64_t dropped() const;

    // The engine's Receive Maximum for the local side, and the local session's
    // window: how many messages the engine hands the bridge before acknowledgements.
    static constexpr std::uint16_t kLocalWindow = BridgeLimits::queue_messages;
    // Messages from upstream waiting for the engine's window; beyond it they are
    // dropped and counted (the upstream client has already acknowledged them).
    static constexpr std::size_t kMaxPendingIn = 10000;

private:
    struct OutMsg {
        std::uint16_t local_pid = 0;  // the engine's packet id (0 for QoS 0)
        std::uint8_t qos = 0;
        bool retain = false;
        std::string topic;  // remote topic
        std::vector<std::uint8_t> payload;
    };
    struct InMsg {
        std::uint8_t qos = 0;
        bool retain = false;
        std::string topic;  // local topic
        std::vector<std::uint8_t> payload;
    };
    // One in-process connection to the engine and its session.
    struct LocalLink {
        ConnectionId id = 0;
        std::string client_id;
        std::vector<std::uint8_t> inbox;  // engine output not handled yet
        bool open = false;                // engine.on_open done, on_closed not yet
        bool up = false;                  // CONNACK accepted
        bool closed = false;              // Io::close received: on_closed owed
        Millis retry_at = 0;
        std::deque<OutMsg> pending;       // from the engine, not yet in the client
    };
    struct Token {
        LocalLink* link = nullptr;
        std::uint16_t local_pid = 0;
        std::uint8_t qos = 0;
    };
    struct InRoute {
        Bridge* self;
        std::size_t topic;  // index in cfg_.topics
    };

    Millis now() const { return uv_now(loop_); }
    bool live_first() const { return cfg_.drain_policy == BridgeDrain::LiveFirst; }
    LocalLink* link_of(ConnectionId id);
    void to_engine(LocalLink& l, const std::uint8_t* packet, std::size_t size);
    void local_connect(LocalLink& l);
    void service_link(LocalLink& l);
    void handle_local(LocalLink& l, std::uint8_t first_byte, mqtt::Bytes body);
    void on_local_connack(LocalLink& l, mqtt::Bytes body, std::uint8_t first_byte);
    void subscribe_out(LocalLink& l, std::uint8_t retain_handling);
    void unsubscribe_all(LocalLink& l, bool keep_configured);
    void route_to_live(bool live);
    void on_local_publish(LocalLink& l, std::uint8_t first_byte, mqtt::Bytes body);
    void local_ack(LocalLink& l, mqtt::PacketType type, std::uint16_t id);
    void drop_out(LocalLink& l, const OutMsg& m, const char* why);
    void pump_out();
    bool pump_link(LocalLink& l, bool paced);
    void pump_in();
    bool take_token();
    std::size_t publish_size(const OutMsg& m) const;
    std::uint16_t next_local_id();
    std::uint16_t next_control_id();
    void queue_in(const std::string& topic, std::uint8_t qos, bool retain, mqtt::Bytes payload);
    void note_drop(const char* why, const std::string& topic);
    void on_client_event(const client::Event& ev);
    void on_upstream_message(std::size_t topic_index, const client::Message& m);
    void publish_sys();

    const BridgeConfig& cfg_;
    uv_loop_t* loop_;
    Engine& engine_;
    Logger& log_;
    UvClock clock_;
    Uplink uplink_;
    std::unique_ptr<UpClient> client_;
    uv_timer_t timer_{};
    bool timer_open_ = false;

    // Local side: `main_` carries the `in` messages, the notifications and (fifo,
    // or while the uplink is down) the `out` subscriptions; `live_` is used with
    // live_first only.
    LocalLink main_;
    LocalLink live_;
    bool live_routing_ = false;  // live_ holds the `out` subscriptions
    std::uint16_t engine_receive_max_ = 65535;
    std::vector<bool> local_ids_in_use_;
    std::uint16_t last_local_id_ = 0;
    std::size_t local_inflight_ = 0;

    // Upstream side.
    bool started_ = false;
    bool stopping_ = false;
    bool up_ = false;
    bool refusal_logged_ = false;  // the attempt's CONNACK refusal was logged
    std::deque<InMsg> pending_in_;    // from upstream, not yet in the engine
    std::unordered_map<std::uint32_t, Token> tokens_;
    std::vector<std::unique_ptr<InRoute>> routes_;
    // bridge_outgoing_rate: a token bucket refilled by the loop clock.
    double rate_tokens_ = 0;
    Millis rate_at_ = 0;
    Millis next_drop_log_ = 0;
    std::uint32_t sys_interval_s_;
    Millis next_sys_ = 0;
    BridgeStats stats_;
    // Strings the upstream client's Options point into (valid for its lifetime).
    std::string remote_id_;
    std::string state_zero_ = "0";
};

}  // namespace mote::broker::bridge
