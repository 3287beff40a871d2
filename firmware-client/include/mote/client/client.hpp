// mote::client::Client: a heap-free MQTT 3.1.1 / 5.0 client for microcontrollers and
// small Linux systems.
//
// Port contracts (STYLE #10). Both are template policies, called only from poll():
//
//   struct Transport {
//     // Starts or continues opening the link: 1 = open, 0 = in progress (call
//     // again later), < 0 = failed.
//     int open();
//     // Non-blocking. > 0: bytes written/read. 0: try later (never "closed").
//     // < 0: the link is closed or broken.
//     std::ptrdiff_t send(const std::uint8_t* data, std::size_t len);
//     std::ptrdiff_t recv(std::uint8_t* data, std::size_t cap);
//     void close();  // idempotent
//   };
//   struct Clock { std::uint32_t now_ms(); };  // wraps after ~49 days; only differences are used
//
// Memory: everything lives in the Client object, sized by `Limits` (types.hpp). No
// heap, exceptions, RTTI or threads. Buffer ownership: rx_ (framer bodies) is valid
// during a message callback only; tx_ holds encoded packets until the transport took
// them; store_ holds the topics and payloads of outgoing messages until their QoS flow
// ends; sub_ holds copies of topic filters until unsubscribed.
//
// Re-entrancy: callbacks run inside poll(). They may call publish(), subscribe(),
// unsubscribe() and disconnect(), but never poll().
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "mote/client/state.hpp"
#include "mote/client/types.hpp"
#include "mote/common/codec.hpp"
#include "mote/common/framer.hpp"
#include "mote/common/topic.hpp"

namespace mote::client {

namespace detail {

// The scalars of a Client. They come first in the object because Thumb-1 loads and
// stores reach only 31 bytes (bytes), 62 (halfwords) or 124 (words) past a base
// address, and they have no member initialisers so that Client value-initialises
// them with one memset: zero is where each starts, but for the few the Client
// constructor sets.
struct ClientScalars {
    ConnState state_;
    std::uint8_t server_max_qos_;
    bool retain_available_;
    bool ping_outstanding_;
    std::uint16_t next_id_;
    // What the decoders check incoming packets against; fixed for the client's life.
    // Its version (Options::version) is read here, near the start of the object.
    mqtt::DecodeOptions dopts_;
    std::size_t tx_off_;
    std::size_t tx_len_;
    std::size_t out_count_;
    std::size_t store_used_;
    std::uint32_t now_;
    std::uint32_t last_tx_;
    std::uint32_t keep_alive_ms_;
    std::uint32_t send_window_;
    std::uint32_t server_max_packet_;
    std::uint32_t attempt_start_;
    std::uint32_t ping_sent_;
    std::uint32_t closing_start_;
    std::uint32_t backoff_start_;
    std::uint32_t backoff_ms_;
    std::uint32_t attempts_;
    std::uint32_t last_token_;
    std::size_t assigned_len_;
    Stats stats_;
};

}  // namespace detail

template <class Transport, class Clock, class Limits = DefaultLimits>
class Client : private detail::ClientScalars {
    static_assert(Limits::rx_bytes >= 16, "rx_bytes too small for any CONNACK");
    static_assert(Limits::tx_bytes >= 64, "tx_bytes too small");
    static_assert(Limits::inflight >= 1 && Limits::inflight <= 65535, "inflight out of range");
    static_assert(Limits::queue_messages >= Limits::inflight, "queue_messages must cover the in-flight window");

public:
    Client(Transport& transport, Clock& clock, const Options& options)
        : ClientScalars(),
          transport_(transport),
          clock_(clock),
          opts_(options),
          rng_(options.jitter_seed),
          framer_(rx_, Limits::rx_bytes, static_cast<std::uint32_t>(Limits::rx_bytes + 5)),
          sub_(),
          in_ids_() {
        dopts_.version = options.version;
        dopts_.sender = mqtt::Role::Server;
        reset_broker_limits();
    }

    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Begins connecting (on the next poll()). Reconnects with backoff afterwards
    // until disconnect(). UnsupportedVersion, and nothing happens, when
    // Options::version is 5.0 in a build without it (MOTE_MQTT_V5=0).
    Status start() {
        if (!kV5Built && dopts_.version == mqtt::Version::V5) return Status::UnsupportedVersion;
        if (state_ == ConnState::Idle) {
            now_ = clock_.now_ms();
            attempt_start_ = now_;
            step(ConnEvent::Start);
        }
        return Status::Ok;
    }

    // Graceful stop: DISCONNECT (Normal) once what is queued for sending is written,
    // then close; no reconnect. The outbox is kept (a later start() resumes it).
    // Wait for idle() first if the messages in flight should complete.
    void disconnect() {
        const ConnState before = state_;
        step(ConnEvent::Stop);
        if (before == ConnState::Connected) {
            now_ = clock_.now_ms();
            closing_start_ = now_;
            queue_disconnect(mqtt::Reason::Success);
        } else if (before != ConnState::Idle && before != ConnState::Backoff) {
            transport_.close();
        }
    }

    // Queues an application message. Nothing is written here: poll() sends it when
    // connected and the window allows. `token` (optional) receives the number that
    // Delivered / Dropped events carry.
    Status publish(mqtt::Bytes topic, mqtt::Bytes payload, std::uint8_t qos, bool retain,
                   std::uint32_t* token = nullptr) {
        if (qos > 2) return Status::InvalidQos;
        if (mqtt::validate_topic_name(topic)) return Status::InvalidTopic;
        if (topic.size > 0xFFFF) return Status::InvalidTopic;
        if (publish_wire_size(topic.size, payload.size, qos) > max_out_packet()) return Status::TooLarge;
        const std::size_t need = topic.size + payload.size;
        if (need > Limits::queue_bytes) return Status::TooLarge;
        while (out_count_ == Limits::queue_messages || store_used_ + need > Limits::queue_bytes) {
            if (opts_.overflow == OverflowPolicy::RefuseNewest || !drop_oldest_queued()) {
                ++stats_.refused;
                return Status::QueueFull;
            }
        }
        OutSlot& s = out_[out_count_++];
        s.token = ++last_token_;
        s.offset = static_cast<std::uint32_t>(store_used_);
        s.payload_len = static_cast<std::uint32_t>(payload.size);
        s.topic_len = static_cast<std::uint16_t>(topic.size);
        s.packet_id = 0;
        s.qos = qos;
        s.retain = retain;
        s.sent_before = false;
        s.need_send = false;
        s.state = OutState::Queued;
        if (topic.size) std::memcpy(store_ + store_used_, topic.data, topic.size);
        if (payload.size) std::memcpy(store_ + store_used_ + topic.size, payload.data, payload.size);
        store_used_ += need;
        if (token) *token = s.token;
        return Status::Ok;
    }

    // Subscribes `filter` (copied) with a callback for the messages that match it.
    // The SUBSCRIBE goes out from poll(), and again after a reconnect in which the
    // broker lost the session.
    Status subscribe(mqtt::Bytes filter, std::uint8_t qos, MessageCallback cb, void* user) {
        mqtt::SubscribeOptions o;
        o.qos = qos;
        return subscribe(filter, o, cb, user);
    }
    // The same with 5.0 subscription options (No Local, Retain As Published, Retain
    // Handling); a 3.1.1 link sends only the QoS [MQTT-3.8.3-4].
    Status subscribe(mqtt::Bytes filter, const mqtt::SubscribeOptions& options, MessageCallback cb, void* user) {
        if (options.qos > 2 || options.retain_handling > 2) return Status::InvalidQos;
        if (filter.size > Limits::filter_bytes) return Status::TooLarge;
        if (mqtt::validate_topic_filter(filter)) return Status::InvalidTopic;
        SubSlot* slot = nullptr;
        for (SubSlot& s : sub_) {
            if (s.state == SubState::Free && slot == nullptr) slot = &s;
        }
        if (slot == nullptr) return Status::TableFull;
        std::memcpy(slot->filter, filter.data, filter.size);
        slot->packet_id = 0;
        slot->filter_len = static_cast<std::uint16_t>(filter.size);
        slot->options = options.to_byte();
        slot->cb = cb;
        slot->user = user;
        slot->state = sub_transition(SubState::Free, SubEvent::Subscribe);
        return Status::Ok;
    }

    Status unsubscribe(mqtt::Bytes filter) {
        for (SubSlot& s : sub_) {
            if (s.state == SubState::Free || s.state == SubState::PendingUnsub || s.state == SubState::WaitUnsuback)
                continue;
            if (mqtt::Bytes(s.filter, s.filter_len) != filter) continue;
            s.state = sub_transition(s.state, SubEvent::Unsubscribe);
            return Status::Ok;
        }
        return Status::NotFound;
    }

    // Does all the work: opens the link, reads and handles packets, sends what is
    // queued, keeps the connection alive, reconnects. Never blocks; call it from the
    // super loop or an RTOS task, at least every few milliseconds while busy.
    void poll() {
        now_ = clock_.now_ms();
        switch (state_) {
            case ConnState::Idle:
                return;
            case ConnState::Backoff:
                if (elapsed(backoff_start_) >= backoff_ms_) begin_attempt();
                return;
            case ConnState::Opening:
                poll_opening();
                return;
            case ConnState::WaitConnack:
            case ConnState::Connected:
                poll_link();
                return;
            case ConnState::Closing:
                flush();
                // A link that never takes the DISCONNECT (send keeps saying "try
                // later") is closed anyway after connect_timeout_ms.
                if (state_ == ConnState::Closing &&
                    (tx_off_ == tx_len_ || elapsed(closing_start_) >= opts_.connect_timeout_ms)) {
                    transport_.close();
                    step(ConnEvent::Flushed);
                    emit(EventType::Disconnected, mqtt::Reason::Success, 0);
                }
                return;
        }
    }

    ConnState state() const { return state_; }
    bool connected() const { return state_ == ConnState::Connected; }
    // Nothing left to send or acknowledge: outbox and subscription changes all done.
    bool idle() const {
        if (out_count_ != 0 || tx_off_ != tx_len_) return false;
        for (std::uint16_t id : in_ids_) {
            if (id != 0) return false;  // an incoming QoS 2 flow waits for PUBREL
        }
        for (const SubSlot& s : sub_) {
            if (s.state != SubState::Free && s.state != SubState::Active) return false;
        }
        return true;
    }
    std::size_t queued() const { return out_count_; }
    const Stats& stats() const { return stats_; }
    // The keep alive in use (5.0: Server Keep Alive wins), in milliseconds.
    std::uint32_t keep_alive_ms() const { return keep_alive_ms_; }
    // The broker's Receive Maximum (5.0 CONNACK); 65535 (no limit announced) otherwise.
    std::uint32_t server_receive_maximum() const { return kV5Built ? send_window_ : 65535u; }

private:

    // The slot types have no member initialisers: publish() and subscribe() set every
    // field of a slot they take (a filter's bytes beyond filter_len are never read),
    // and the sub_ table is value-initialised (all Free) when the client is made.
    struct OutSlot {
        std::uint32_t token;
        std::uint32_t offset;  // topic then payload in store_
        std::uint32_t payload_len;
        std::uint16_t topic_len;
        std::uint16_t packet_id;
        std::uint8_t qos;
        bool retain;
        bool sent_before;  // a re-send carries DUP = 1 [MQTT-3.3.1-1]
        bool need_send;    // resend PUBLISH (or PUBREL in WaitPubcomp) on this link
        OutState state;
    };

    struct SubSlot {
        std::uint8_t filter[Limits::filter_bytes];  // filter_len bytes valid
        std::uint16_t filter_len;
        std::uint16_t packet_id;
        std::uint8_t options;  // the SUBSCRIBE options byte (§3.8.3.1): QoS in bits 0-1
        SubState state;
        MessageCallback cb;
        void* user;
    };

    // Where a decoder puts an incoming packet. The decoders initialise their output
    // themselves; a union without a constructor spares a second zeroing per call.
    union Inbound {
        Inbound() {}
        mqtt::Connack connack;
        mqtt::Publish publish;
        mqtt::Ack ack;
        mqtt::SubackLike suback;
        mqtt::Disconnect disconnect;
    };

    static constexpr std::size_t kReplyReserve = 8;  // room kept for an ack or PINGREQ
    static constexpr int kMaxPacketsPerPoll = 16;

    // ----------------------------------------------------------------- helpers
    std::uint32_t elapsed(std::uint32_t since) const { return now_ - since; }
    // A 3.1.1-only build (MOTE_MQTT_V5=0) knows at compile time that no 5.0 branch
    // runs, so the optimiser drops them; there the broker's limits that only a 5.0
    // CONNACK sets (Receive Maximum, Maximum QoS, Retain Available, Maximum Packet
    // Size, Assigned Client Identifier) keep their defaults and are read as such.
    static constexpr bool kV5Built = MOTE_MQTT_V5 != 0;
    bool v5() const { return kV5Built && dopts_.version == mqtt::Version::V5; }

    // The connection state machine takes event e (state.hpp).
    void step(ConnEvent e) { state_ = conn_transition(state_, e); }

    // Moves n bytes to a lower address (dst < src, the ranges may overlap). A byte
    // loop instead of memmove, which is the only one of the string functions a
    // firmware image would link for the client alone (176 bytes on Cortex-M0). The
    // empty asm statement keeps the compiler from turning the loop back into a
    // memmove call (GCC's -ftree-loop-distribute-patterns).
    static void copy_down(std::uint8_t* dst, const std::uint8_t* src, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            dst[i] = src[i];
            __asm__ volatile("");
        }
    }

    void emit(EventType type, mqtt::Reason reason, std::uint32_t token, bool session_present = false) {
        if (opts_.on_event == nullptr) return;
        const Event ev{type, reason, token, session_present};
        opts_.on_event(opts_.event_user, ev);
    }

    std::size_t max_out_packet() const {
        std::size_t m = Limits::tx_bytes;
        if (kV5Built && server_max_packet_ != 0 && server_max_packet_ < m) m = server_max_packet_;
        return m;
    }

    std::size_t publish_wire_size(std::size_t topic_len, std::size_t payload_len, std::uint8_t qos) const {
        std::size_t rl = 2 + topic_len + payload_len + (qos > 0 ? 2u : 0u) + (v5() ? 1u : 0u);
        return 1 + mqtt::varint_size(static_cast<std::uint32_t>(rl)) + rl;
    }

    std::size_t inflight_out() const {
        std::size_t n = 0;
        for (std::size_t i = 0; i < out_count_; ++i) n += out_[i].state != OutState::Queued ? 1u : 0u;
        return n;
    }

    bool id_in_use(std::uint16_t id) const {
        for (std::size_t i = 0; i < out_count_; ++i) {
            if (out_[i].packet_id == id) return true;
        }
        for (const SubSlot& s : sub_) {
            if (s.state != SubState::Free && s.packet_id == id) return true;
        }
        return false;
    }

    // [MQTT-2.2.1-3] a fresh non-zero id not used by any flow of this client. The
    // tables are far smaller than the id space, so the loop ends quickly.
    std::uint16_t allocate_id() {
        for (;;) {
            next_id_ = static_cast<std::uint16_t>(next_id_ + 1);  // wraps to 0, which is never used
            if (next_id_ != 0 && !id_in_use(next_id_)) return next_id_;
        }
    }

    // Removes outbox entry i (compacting store_ behind it, keeping the order) and
    // reports `type` (Delivered or Dropped, which is counted) with its token.
    void retire_out(std::size_t i, EventType type, mqtt::Reason reason) {
        const std::uint32_t token = out_[i].token;
        const std::size_t len = out_[i].topic_len + static_cast<std::size_t>(out_[i].payload_len);
        const std::size_t off = out_[i].offset;
        copy_down(store_ + off, store_ + off + len, store_used_ - off - len);
        store_used_ -= len;
        --out_count_;
        copy_down(reinterpret_cast<std::uint8_t*>(out_ + i), reinterpret_cast<const std::uint8_t*>(out_ + i + 1),
                  (out_count_ - i) * sizeof(OutSlot));
        for (std::size_t j = i; j < out_count_; ++j) out_[j].offset -= static_cast<std::uint32_t>(len);
        if (type == EventType::Dropped) ++stats_.dropped;
        emit(type, reason, token);
    }

    // Overflow policy DropOldest: the oldest message that is not in flight goes.
    bool drop_oldest_queued() {
        for (std::size_t i = 0; i < out_count_; ++i) {
            if (out_[i].state != OutState::Queued) continue;
            retire_out(i, EventType::Dropped, mqtt::Reason::QuotaExceeded);
            return true;
        }
        return false;
    }

    // ----------------------------------------------------------------- link control
    void begin_attempt() {
        step(ConnEvent::BackoffElapsed);
        attempt_start_ = now_;
        poll_opening();
    }

    void poll_opening() {
        const int r = transport_.open();
        if (r < 0) {
            fault(mqtt::Reason::UnspecifiedError, false);
            return;
        }
        if (r == 0) {
            // [C13] a connect that never completes ends at the timeout.
            if (elapsed(attempt_start_) >= opts_.connect_timeout_ms) fault(mqtt::Reason::UnspecifiedError, false);
            return;
        }
        step(ConnEvent::TransportUp);
        reset_link_buffers();
        if (!write_connect()) {
            fault(mqtt::Reason::ImplementationSpecificError, false);
            return;
        }
        poll_link();
    }

    void reset_link_buffers() {
        framer_.reset();  // keeps its maximum packet size, rx_bytes + 5, from the constructor
        tx_len_ = tx_off_ = 0;
        ping_outstanding_ = false;
        last_tx_ = now_;
        reset_broker_limits();
        keep_alive_ms_ = static_cast<std::uint32_t>(opts_.keep_alive_s) * 1000u;
    }

    // The broker's limits until a 5.0 CONNACK of this connection says otherwise: none
    // (a 3.1.1-only build never reads them).
    void reset_broker_limits() {
        if (!kV5Built) return;
        server_max_packet_ = 0;
        send_window_ = 65535;
        server_max_qos_ = 2;
        retain_available_ = true;
    }

    mqtt::Bytes effective_client_id() const {
        if (kV5Built && opts_.client_id.empty() && assigned_len_ != 0 && !opts_.clean_start)
            return mqtt::Bytes(assigned_id_, assigned_len_);
        return opts_.client_id;
    }

    bool write_connect() {
        mqtt::Connect c;
        c.version = dopts_.version;
        c.clean_start = opts_.clean_start;
        c.bridge = opts_.bridge;
        c.keep_alive = opts_.keep_alive_s;
        c.client_id = effective_client_id();
        c.has_username = opts_.has_username;
        c.username = opts_.username;
        c.has_password = opts_.has_password;
        c.password = opts_.password;
        c.has_will = opts_.has_will;
        c.will.topic = opts_.will_topic;
        c.will.payload = opts_.will_payload;
        c.will.qos = opts_.will_qos;
        c.will.retain = opts_.will_retain;
#if MOTE_MQTT_V5
        std::uint8_t props[32];
        if (v5()) {
            mqtt::PropertyBuilder b(props, sizeof props);
            if (opts_.session_expiry_s != 0) b.add_u32(mqtt::PropertyId::SessionExpiryInterval, opts_.session_expiry_s);
            // Receive Maximum: the incoming QoS 2 table size [MQTT-3.3.4-9] applies to the broker.
            // (Options::receive_maximum may announce less, never more.)
            const std::size_t rm = opts_.receive_maximum != 0 && opts_.receive_maximum < Limits::inflight
                                       ? opts_.receive_maximum
                                       : Limits::inflight;
            if (rm < 65535) b.add_u16(mqtt::PropertyId::ReceiveMaximum, static_cast<std::uint16_t>(rm));
            // Maximum Packet Size: the broker must not send more [MQTT-3.1.2-24].
            b.add_u32(mqtt::PropertyId::MaximumPacketSize, static_cast<std::uint32_t>(Limits::rx_bytes + 5));
            if (!opts_.request_problem_info) b.add_byte(mqtt::PropertyId::RequestProblemInformation, 0);
            if (!b.ok()) return false;
            c.props = b.view();
        }
#endif
        const std::size_t n = mqtt::encode_connect(c, tx_, Limits::tx_bytes);
        if (n == 0) return false;
        tx_len_ = n;
        tx_off_ = 0;
        return true;
    }

    // Closes the link because of `reason` and schedules a reconnect. With
    // `tell_broker`, a 5.0 connection first gets DISCONNECT with the reason code
    // (§4.13: the receiver of a malformed packet or protocol error closes, and MAY
    // send DISCONNECT first).
    void fault(mqtt::Reason reason, bool tell_broker) {
        if (state_ == ConnState::Idle || state_ == ConnState::Backoff) return;
        stats_.last_error = reason;
        if (tell_broker && v5() && (state_ == ConnState::Connected || state_ == ConnState::WaitConnack)) {
            // tx_ holds only whole packets (possibly one partly written), so the
            // DISCONNECT goes after them; one non-blocking attempt, then close.
            queue_disconnect(reason);
            flush_once();
        }
        transport_.close();
        const bool was_up = state_ == ConnState::Connected;
        const bool closing = state_ == ConnState::Closing;
        step(ConnEvent::ProtocolFault);
        if (!closing) {
            ++stats_.link_losses;
            if (was_up) attempts_ = 0;
            backoff_ms_ = backoff_delay_ms(attempts_, opts_.backoff_min_ms, opts_.backoff_max_ms, rng_);
            if (attempts_ < 31) ++attempts_;
            backoff_start_ = now_;
        }
        emit(EventType::Disconnected, reason, 0);
    }

    void queue_disconnect(mqtt::Reason reason) {
        mqtt::Disconnect d;
        d.reason = reason;
        std::uint8_t* p = reserve(8);
        if (p == nullptr) return;
        tx_len_ += mqtt::encode_disconnect(d, dopts_.version, p, Limits::tx_bytes - tx_len_);
    }

    // Free space for n bytes at the end of tx_, or nullptr.
    std::uint8_t* reserve(std::size_t n) {
        if (tx_off_ == tx_len_) tx_off_ = tx_len_ = 0;
        if (Limits::tx_bytes - tx_len_ < n && tx_off_ != 0) {
            copy_down(tx_, tx_ + tx_off_, tx_len_ - tx_off_);
            tx_len_ -= tx_off_;
            tx_off_ = 0;
        }
        return Limits::tx_bytes - tx_len_ >= n ? tx_ + tx_len_ : nullptr;
    }
    std::size_t tx_free() const { return Limits::tx_bytes - (tx_len_ - tx_off_); }

    // Writes as much of tx_ as the transport takes now. False when the link broke.
    bool flush() {
        while (tx_off_ < tx_len_) {
            const auto n = transport_.send(tx_ + tx_off_, tx_len_ - tx_off_);
            if (n < 0) {
                fault(mqtt::Reason::UnspecifiedError, false);
                return false;
            }
            if (n == 0) break;
            tx_off_ += static_cast<std::size_t>(n);
            last_tx_ = now_;
        }
        if (tx_off_ == tx_len_) tx_off_ = tx_len_ = 0;
        return true;
    }
    void flush_once() {
        if (tx_off_ < tx_len_) {
            const auto n = transport_.send(tx_ + tx_off_, tx_len_ - tx_off_);
            if (n > 0) tx_off_ += static_cast<std::size_t>(n);
        }
    }

    void poll_link() {
        if (!flush()) return;
        read_packets();
        if (state_ == ConnState::Connected) {
            pump_subscriptions();
            pump_outbox();
            keepalive();
        }
        if (state_ == ConnState::WaitConnack && elapsed(attempt_start_) >= opts_.connect_timeout_ms) {
            fault(mqtt::Reason::UnspecifiedError, false);  // [C13] CONNACK never came
            return;
        }
        if (state_ == ConnState::WaitConnack || state_ == ConnState::Connected) flush();
    }

    void keepalive() {
        if (keep_alive_ms_ == 0) return;
        if (ping_outstanding_) {
            // Dead-broker detection: no PINGRESP in time.
            if (elapsed(ping_sent_) >= opts_.ping_timeout_ms) fault(mqtt::Reason::KeepAliveTimeout, false);
            return;
        }
        // [MQTT-3.1.2-23] some packet must go out within every Keep Alive period.
        if (elapsed(last_tx_) >= keep_alive_ms_) {
            std::uint8_t* p = reserve(2);
            if (p == nullptr) return;
            tx_len_ += mqtt::encode_ping(mqtt::PacketType::Pingreq, p, 2);
            ping_outstanding_ = true;
            ping_sent_ = now_;
        }
    }

    // ----------------------------------------------------------------- input
    void read_packets() {
        for (int handled = 0; handled < kMaxPacketsPerPoll;) {
            if (state_ != ConnState::Connected && state_ != ConnState::WaitConnack) return;
            // Keep room for the reply before taking a packet in (backpressure: the
            // broker's bytes wait in the transport while ours cannot go out).
            if (tx_free() < kReplyReserve) {
                if (!flush()) return;
                if (tx_free() < kReplyReserve) return;
            }
            std::size_t want = 0;
            std::uint8_t* dst = framer_.space(want);
            std::size_t got = 0;
            if (want != 0) {
                const auto n = transport_.recv(dst, want);
                if (n < 0) {
                    fault(mqtt::Reason::UnspecifiedError, false);
                    return;
                }
                if (n == 0) return;
                got = static_cast<std::size_t>(n);
            }
            const mqtt::Frame f = framer_.commit(got);
            if (f.status == mqtt::FrameStatus::NeedMore) continue;
            if (f.status == mqtt::FrameStatus::Invalid) {
                // [C1] RL > 4 bytes or larger than rx_: rejected from the header alone.
                // [C7] 5.0: PacketTooLarge is said with DISCONNECT 0x95 [MQTT-3.1.2-24].
                fault(f.error.reason, true);
                return;
            }
            ++handled;
            handle_packet(f.first_byte, f.body);
        }
    }

    void handle_packet(std::uint8_t first_byte, mqtt::Bytes body) {
        const auto type = static_cast<mqtt::PacketType>(first_byte >> 4);
        if (state_ == ConnState::WaitConnack && type != mqtt::PacketType::Connack) {
            // [MQTT-3.2.0-1] the first packet from the server is CONNACK.
            fault(mqtt::Reason::ProtocolError, true);
            return;
        }
        // The most frequent packets first: PUBLISH and the acks of our flows.
        using T = mqtt::PacketType;
        if (type == T::Publish) {
            handle_publish(first_byte, body);
        } else if (type >= T::Puback && type <= T::Pubcomp) {
            handle_ack(first_byte, body, type);
        } else if (type == T::Suback || type == T::Unsuback) {
            handle_suback(first_byte, body, type);
        } else if (type == T::Pingresp) {
            if (first_byte != 0xD0 || !body.empty()) {
                fault(mqtt::Reason::MalformedPacket, true);
                return;
            }
            ping_outstanding_ = false;
        } else if (type == T::Connack) {
            handle_connack(first_byte, body);
        } else if (type == T::Disconnect) {
            handle_disconnect(first_byte, body);
        } else {
            // CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, AUTH (not negotiated) and the
            // reserved type never come from a server.
            fault(type == T::Reserved ? mqtt::Reason::MalformedPacket : mqtt::Reason::ProtocolError, true);
        }
    }

    void handle_connack(std::uint8_t first_byte, mqtt::Bytes body) {
        if (state_ != ConnState::WaitConnack) {
            fault(mqtt::Reason::ProtocolError, true);  // [MQTT-3.2.0-2] one CONNACK per connection
            return;
        }
        Inbound in;
        mqtt::Connack& c = in.connack;
        // [C5] short/long CONNACK, reserved flags, unknown codes: the codec says 0x81/0x82.
        if (const mqtt::Error e = mqtt::decode_connack(first_byte, body, dopts_, c)) {
            fault(e.reason, true);
            return;
        }
        if (c.code != 0) {
            const mqtt::Reason r = v5() ? static_cast<mqtt::Reason>(c.code) : refusal_reason_311(c.code);
            emit(EventType::ConnectRefused, r, 0);
            fault(r, false);  // sets last_error; ConnackRefused and ProtocolFault both lead to Backoff
            return;
        }
        // [C6] 3.1.1 [MQTT-3.2.2-1] / 5.0 [MQTT-3.2.2-2]: with Clean Start the server
        // must answer Session Present 0.
        if (opts_.clean_start && c.session_present) {
            fault(mqtt::Reason::ProtocolError, true);
            return;
        }
        if (!apply_connack_props(c)) return;
        step(ConnEvent::ConnackAccepted);
        attempts_ = 0;
        ++stats_.connects;
        resume_session(c.session_present);
        emit(EventType::Connected, mqtt::Reason::Success, 0, c.session_present);
    }

    static mqtt::Reason refusal_reason_311(std::uint8_t code) {
        switch (code) {
            case 1: return mqtt::Reason::UnsupportedProtocolVersion;
            case 2: return mqtt::Reason::ClientIdentifierNotValid;
            case 3: return mqtt::Reason::ServerUnavailable;
            case 4: return mqtt::Reason::BadUserNameOrPassword;
            default: return mqtt::Reason::NotAuthorized;
        }
    }

    bool apply_connack_props(const mqtt::Connack& c) {
#if MOTE_MQTT_V5
        if (!v5()) return true;
        // Receive Maximum: how many QoS 1/2 PUBLISH we may have unacknowledged
        // [MQTT-3.3.4-7]; the codec already rejects 0.
        send_window_ = c.props.number(mqtt::PropertyId::ReceiveMaximum, 65535);
        server_max_packet_ = c.props.number(mqtt::PropertyId::MaximumPacketSize, 0);  // [MQTT-3.1.2-25]
        server_max_qos_ = static_cast<std::uint8_t>(c.props.number(mqtt::PropertyId::MaximumQos, 2));
        retain_available_ = c.props.number(mqtt::PropertyId::RetainAvailable, 1) != 0;
        // Server Keep Alive replaces ours [MQTT-3.2.2-21].
        keep_alive_ms_ = c.props.number(mqtt::PropertyId::ServerKeepAlive, opts_.keep_alive_s) * 1000u;
        mqtt::Property p;
        if (c.props.find(mqtt::PropertyId::AssignedClientIdentifier, p)) {
            if (p.value.size > Limits::client_id_bytes) {
                fault(mqtt::Reason::ImplementationSpecificError, true);
                return false;
            }
            std::memcpy(assigned_id_, p.value.data, p.value.size);
            assigned_len_ = p.value.size;
        }
#else
        (void)c;
#endif
        return true;
    }

    // After CONNACK: replay or restart the flows in their original order
    // [MQTT-4.6.0-1], re-subscribe what the broker forgot.
    void resume_session(bool present) {
        const OutEvent ev = present ? OutEvent::SessionResumed : OutEvent::SessionLost;
        for (std::size_t i = 0; i < out_count_;) {
            OutSlot& s = out_[i];
            const OutStep st = out_transition(s.state, s.qos, ev);
            s.state = st.next;
            s.need_send = st.action == OutAction::SendPublish || st.action == OutAction::SendPubrel;
            if (s.state == OutState::Queued) {
                // A message restarted on a new session is a new PUBLISH: fresh id, no DUP.
                s.packet_id = 0;
                s.sent_before = false;
            }
            if (st.action == OutAction::Complete) {
                retire_out(i, EventType::Delivered, mqtt::Reason::Success);
                continue;
            }
            ++i;
        }
        const SubEvent sub_ev = present ? SubEvent::SessionResumed : SubEvent::SessionLost;
        for (SubSlot& s : sub_) s.state = sub_transition(s.state, sub_ev);
        if (!present) {
            for (std::uint16_t& id : in_ids_) id = 0;
        }
    }

    bool check_problem_info(const mqtt::Properties& props) {
#if MOTE_MQTT_V5
        // [C12] [MQTT-3.1.2-29] with Request Problem Information 0 the broker must not
        // put a Reason String or User Property on anything but PUBLISH, CONNACK and
        // DISCONNECT.
        if (v5() && !opts_.request_problem_info &&
            (props.has(mqtt::PropertyId::ReasonString) || props.has(mqtt::PropertyId::UserProperty))) {
            fault(mqtt::Reason::ProtocolError, true);
            return false;
        }
#else
        (void)props;
#endif
        return true;
    }

    void handle_publish(std::uint8_t first_byte, mqtt::Bytes body) {
        Inbound in;
        mqtt::Publish& p = in.publish;
        // [C2] lengths beyond the packet are 0x81; Topic Alias 0 is 0x94 (codec).
        if (const mqtt::Error e = mqtt::decode_publish(first_byte, body, dopts_, p)) {
            fault(e.reason, true);
            return;
        }
#if MOTE_MQTT_V5
        // [C8] [MQTT-3.3.2-11] we announce Topic Alias Maximum 0, so any alias is
        // above it.
        if (v5() && p.props.has(mqtt::PropertyId::TopicAlias)) {
            fault(mqtt::Reason::TopicAliasInvalid, true);
            return;
        }
#endif
        if (p.qos == 2) {
            handle_publish_qos2(p);
            return;
        }
        deliver(p);
        if (p.qos == 1) send_ack(mqtt::PacketType::Puback, p.packet_id);
    }

    void handle_publish_qos2(const mqtt::Publish& p) {
        std::uint16_t* slot = nullptr;
        std::uint16_t* free_slot = nullptr;
        for (std::uint16_t& id : in_ids_) {
            if (id == p.packet_id) slot = &id;
            if (id == 0 && free_slot == nullptr) free_slot = &id;
        }
        const InStep st = in_transition(slot ? InState::WaitPubrel : InState::Free, InEvent::Publish);
        if (st.action == InAction::DeliverAndPubrec) {
            if (free_slot == nullptr) {
                // [C9] [MQTT-3.3.4-9] more QoS 2 in flight than our Receive Maximum.
                fault(v5() ? mqtt::Reason::ReceiveMaximumExceeded : mqtt::Reason::ImplementationSpecificError, true);
                return;
            }
            *free_slot = p.packet_id;
            deliver(p);
        }
        // [C10] [MQTT-4.3.3-10] a re-sent PUBLISH before PUBREL is acknowledged again
        // but not delivered again.
        send_ack(mqtt::PacketType::Pubrec, p.packet_id);
    }

    void deliver(const mqtt::Publish& p) {
        bool matched = false;
        for (std::size_t i = 0; i < Limits::subscriptions; ++i) {
            const SubSlot& s = sub_[i];
            if (s.state == SubState::Free || s.state == SubState::PendingSub || s.cb == nullptr) continue;
            // subscribe() validated the filter; "$share/{ShareName}/" is not part of it.
            if (!mqtt::topic_matches(mqtt::shared_filter_inner(mqtt::Bytes(s.filter, s.filter_len)), p.topic)) continue;
            matched = true;
            s.cb(s.user, p);
        }
        if (!matched && opts_.on_unmatched != nullptr) opts_.on_unmatched(opts_.unmatched_user, p);
        ++stats_.delivered_in;
    }

    // Queues PUBACK, PUBREC, PUBREL or PUBCOMP; false when tx_ has no room. For the
    // answers to incoming packets read_packets() kept the room, so they always fit.
    bool send_ack(mqtt::PacketType type, std::uint16_t id, mqtt::Reason reason = mqtt::Reason::Success) {
        std::uint8_t* p = reserve(kReplyReserve);
        if (p == nullptr) return false;
        mqtt::Ack a;
        a.packet_id = id;
        a.reason = reason;
        tx_len_ += mqtt::encode_ack(type, a, dopts_.version, p, Limits::tx_bytes - tx_len_);
        return true;
    }

    // PUBACK, PUBREC and PUBCOMP of our flows, and PUBREL of the broker's QoS 2 flows:
    // one shape, decoded in one place.
    void handle_ack(std::uint8_t first_byte, mqtt::Bytes body, mqtt::PacketType type) {
        Inbound in;
        mqtt::Ack& a = in.ack;
        if (const mqtt::Error e = mqtt::decode_ack(first_byte, body, dopts_, a)) {
            fault(e.reason, true);
            return;
        }
        if (!check_problem_info(a.props)) return;
        if (type == mqtt::PacketType::Pubrel) {
            handle_pubrel(a.packet_id);
            return;
        }
        std::size_t i = 0;
        while (i < out_count_ && !(out_[i].packet_id == a.packet_id && out_[i].state != OutState::Queued)) ++i;
        if (i == out_count_) {
            // [C11] unsolicited or unknown id: ignored, nothing changes [MQTT-2.2.1-5].
            ++stats_.ignored_acks;
            return;
        }
        OutEvent ev = OutEvent::Puback;
        if (type == mqtt::PacketType::Pubrec) ev = mqtt::is_error(a.reason) ? OutEvent::PubrecError : OutEvent::Pubrec;
        if (type == mqtt::PacketType::Pubcomp) ev = OutEvent::Pubcomp;
        OutSlot& s = out_[i];
        const OutStep st = out_transition(s.state, s.qos, ev);
        if (st.action == OutAction::ProtocolError) {
            fault(mqtt::Reason::ProtocolError, true);  // an ack of the other QoS flow
            return;
        }
        s.state = st.next;
        // PUBREL goes out at once, like the acks (read_packets() kept room for it);
        // pump_outbox() retries if it did not fit.
        if (st.action == OutAction::SendPubrel) s.need_send = !send_ack(mqtt::PacketType::Pubrel, s.packet_id);
        if (st.action == OutAction::Complete) retire_out(i, EventType::Delivered, a.reason);
    }

    void handle_pubrel(std::uint16_t packet_id) {
        std::uint16_t* slot = nullptr;
        for (std::uint16_t& id : in_ids_) {
            if (id == packet_id) slot = &id;
        }
        const InStep st = in_transition(slot ? InState::WaitPubrel : InState::Free, InEvent::Pubrel);
        if (slot) *slot = 0;
        // [MQTT-4.3.3-11] PUBCOMP answers PUBREL; 5.0 says 0x92 for an unknown id.
        send_ack(mqtt::PacketType::Pubcomp, packet_id,
                 st.action == InAction::PubcompNotFound && v5() ? mqtt::Reason::PacketIdentifierNotFound
                                                                : mqtt::Reason::Success);
    }

    void handle_suback(std::uint8_t first_byte, mqtt::Bytes body, mqtt::PacketType type) {
        Inbound in;
        mqtt::SubackLike& a = in.suback;
        if (const mqtt::Error e = mqtt::decode_suback(first_byte, body, dopts_, a)) {
            fault(e.reason, true);  // [C4] property length beyond the end: 0x81
            return;
        }
        if (!check_problem_info(a.props)) return;
        const bool is_sub = type == mqtt::PacketType::Suback;
        SubSlot* slot = nullptr;
        for (SubSlot& s : sub_) {
            if (s.packet_id != a.packet_id) continue;
            if (s.state == SubState::WaitSuback || s.state == SubState::WaitUnsuback) slot = &s;
        }
        if (slot == nullptr) {
            ++stats_.ignored_acks;  // [C11]
            return;
        }
        // A SUBACK for an UNSUBSCRIBE or vice versa is a Protocol Error, and so is
        // [C3] [MQTT-3.8.4-6] other than one code per requested filter (we send one
        // per packet); a 3.1.1 UNSUBACK carries none.
        const std::size_t want = (is_sub || v5()) ? 1u : 0u;
        if ((slot->state == SubState::WaitSuback) != is_sub || a.codes.size != want) {
            fault(mqtt::Reason::ProtocolError, true);
            return;
        }
        slot->packet_id = 0;
        const auto code = want ? static_cast<mqtt::Reason>(a.codes[0]) : mqtt::Reason::Success;
        SubEvent ev = SubEvent::Unsuback;
        EventType what = EventType::Unsubscribed;
        if (is_sub) {
            ev = mqtt::is_error(code) ? SubEvent::Refused : SubEvent::Granted;
            what = mqtt::is_error(code) ? EventType::SubscribeFailed : EventType::Subscribed;
        }
        slot->state = sub_transition(slot->state, ev);
        emit(what, code, 0);
    }

    void handle_disconnect(std::uint8_t first_byte, mqtt::Bytes body) {
        if (!v5()) {
            // 3.1.1: only a client sends DISCONNECT (§3.14).
            fault(mqtt::Reason::ProtocolError, false);
            return;
        }
        Inbound in;
        mqtt::Disconnect& d = in.disconnect;
        if (const mqtt::Error e = mqtt::decode_disconnect(first_byte, body, dopts_, d)) {
            // 3.1.1: a server never sends DISCONNECT; the codec says so as well.
            fault(e.reason, true);
            return;
        }
        // The broker is closing the connection (5.0 §3.14.4): nothing is sent back;
        // reconnect after the backoff.
        fault(d.reason == mqtt::Reason::Success ? mqtt::Reason::UnspecifiedError : d.reason, false);
    }

    // ----------------------------------------------------------------- output
    void pump_subscriptions() {
        for (SubSlot& s : sub_) {
            if (s.state != SubState::PendingSub && s.state != SubState::PendingUnsub) continue;
            const mqtt::Bytes filter(s.filter, s.filter_len);
            const std::uint16_t id = allocate_id();
            std::uint8_t* p = reserve(filter.size + 16);
            if (p == nullptr) return;  // no room now: next poll
            mqtt::SubscribeOptions o;
            o.qos = s.options & 3u;
            o.no_local = (s.options & 0x04u) != 0;
            o.retain_as_published = (s.options & 0x08u) != 0;
            o.retain_handling = static_cast<std::uint8_t>((s.options >> 4) & 3u);
            const std::size_t n = mqtt::encode_one_filter(
                s.state == SubState::PendingSub ? mqtt::PacketType::Subscribe : mqtt::PacketType::Unsubscribe, id,
                filter, o, dopts_.version, p, Limits::tx_bytes - tx_len_);
            if (n == 0) return;
            tx_len_ += n;
            s.packet_id = id;
            s.state = sub_transition(s.state, SubEvent::Sent);
        }
    }

    bool encode_out_publish(OutSlot& s) {
        mqtt::Publish p;
        p.qos = s.qos;
        p.retain = s.retain;
        p.dup = s.sent_before;
        p.packet_id = s.packet_id;
        p.topic = mqtt::Bytes(store_ + s.offset, s.topic_len);
        p.payload = mqtt::Bytes(store_ + s.offset + s.topic_len, s.payload_len);
        // All the free room, in one piece: the encoder says 0 when the packet does not
        // fit it (publish() made sure it fits an empty tx_).
        std::uint8_t* buf = reserve(tx_free());
        const std::size_t n = mqtt::encode_publish(p, dopts_.version, buf, Limits::tx_bytes - tx_len_);
        if (n == 0) return false;
        tx_len_ += n;
        s.sent_before = true;
        return true;
    }

    void pump_outbox() {
        const std::size_t window = kV5Built && send_window_ < Limits::inflight ? send_window_ : Limits::inflight;
        for (std::size_t i = 0; i < out_count_;) {
            OutSlot& s = out_[i];
            if (s.need_send) {
                if (s.state == OutState::WaitPubcomp) {
                    if (!send_ack(mqtt::PacketType::Pubrel, s.packet_id)) return;
                } else if (!encode_out_publish(s)) {
                    return;  // keep the order: nothing overtakes a message waiting for room
                }
                s.need_send = false;
                ++i;
                continue;
            }
            if (s.state != OutState::Queued) {
                ++i;
                continue;
            }
            if (kV5Built && s.qos > server_max_qos_) s.qos = server_max_qos_;  // 5.0 Maximum QoS [MQTT-3.2.2-11]
            if (kV5Built && !retain_available_) s.retain = false;               // [MQTT-3.2.2-14]
            if (s.qos > 0 && inflight_out() >= window) return;      // [MQTT-4.9.0-2] Receive Maximum
            if (kV5Built && publish_wire_size(s.topic_len, s.payload_len, s.qos) > max_out_packet()) {
                // The broker's Maximum Packet Size shrank below it [MQTT-3.1.2-24]: it
                // can never be sent on this connection. (Only a 5.0 CONNACK sets one;
                // publish() refused what can never fit tx_.)
                retire_out(i, EventType::Dropped, mqtt::Reason::PacketTooLarge);
                continue;
            }
            if (s.qos > 0 && s.packet_id == 0) s.packet_id = allocate_id();
            if (!encode_out_publish(s)) return;
            const OutStep st = out_transition(s.state, s.qos, OutEvent::Sent);
            s.state = st.next;
            if (st.action == OutAction::Complete) {
                retire_out(i, EventType::Delivered, mqtt::Reason::Success);
                continue;
            }
            ++i;
        }
    }

    // ----------------------------------------------------------------- members
    // (the scalars are in detail::ClientScalars, first in the object)
    Transport& transport_;
    Clock& clock_;
    Options opts_;
    Prng rng_;

    // Tables and buffers. The byte buffers (rx_ to assigned_id_) are written before
    // they are read: no zeroing needed (and a static Client then costs no start-up
    // code for them).
    mqtt::Framer framer_;
    OutSlot out_[Limits::queue_messages];
    SubSlot sub_[Limits::subscriptions];
    std::uint16_t in_ids_[Limits::inflight];  // incoming QoS 2 ids awaiting PUBREL; 0 = free
    std::uint8_t rx_[Limits::rx_bytes];
    std::uint8_t tx_[Limits::tx_bytes];
    std::uint8_t store_[Limits::queue_bytes];
    std::uint8_t assigned_id_[Limits::client_id_bytes];
};

}  // namespace mote::client
