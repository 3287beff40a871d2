// mote-bench: one process, one libuv loop, many MQTT connections.
//
// Ownership (libuv rules): every Conn is owned by Bench::conns_ and lives until the
// loop has finished; its uv_tcp_t is closed with uv_close and its memory is only
// reused after close_cb. A write buffer (Conn::wbuf) stays untouched from uv_write
// until its write_cb; new packets go into Conn::out meanwhile and are written as
// one buffer per connection per loop turn (flushed from a uv_prepare handle).
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "histogram.hpp"
#include "mote/common/bytes.hpp"
#include "mote/common/protocol.hpp"
#include "options.hpp"
#include "procstat.hpp"
#include "tls_client.hpp"

namespace mote::bench {

class Bench;

enum class Role : std::uint8_t { Publisher, Subscriber, Idle };
enum class ConnState : std::uint8_t { Connecting, WaitConnack, WaitSuback, Ready, Closing, Closed };

// Per (publisher, subscriber) sequence bookkeeping: a bitmap of the sequence
// numbers seen, so duplicates and late (reordered) arrivals can be told apart.
struct SeqTrack {
    std::vector<std::uint64_t> seen;
    std::uint64_t unique = 0;
    std::uint64_t next = 0;  // one past the highest sequence number seen
};

struct Conn {
    Bench* bench = nullptr;
    Role role = Role::Idle;
    ConnState state = ConnState::Connecting;
    unsigned index = 0;  // index among publishers or subscribers
    uv_tcp_t tcp{};
    uv_connect_t creq{};
    uv_write_t wreq{};
    std::vector<std::uint8_t> out;   // packets queued this turn
    std::vector<std::uint8_t> wbuf;  // the buffer of the write in flight
    std::vector<std::uint8_t> rx;    // a trailing partial packet
    bool writing = false;
    bool dirty = false;
    bool inited = false;  // tcp has been uv_tcp_init'ed and must be uv_close'd
    std::unique_ptr<TlsClient> tls;  // --tls: plaintext `out` is encrypted at flush
    // --ws: `out` is framed at flush once the upgrade is done; ws_in collects the
    // 101 response and incomplete frames.
    bool ws_up = false;
    std::vector<std::uint8_t> ws_out;
    std::vector<std::uint8_t> ws_in;
    // Publisher.
    std::uint64_t seq = 0;         // next sequence number == messages published
    unsigned inflight = 0;
    unsigned window = 0;
    std::uint16_t next_id = 1;
    std::vector<std::uint8_t> ids;  // per packet id: 0 free, 1 wait PUBACK, 2 wait PUBREC, 3 wait PUBCOMP
    std::vector<std::uint8_t> tmpl;  // this publisher's PUBLISH, patched per message
    std::size_t id_off = 0;          // offset of the packet identifier in tmpl (QoS > 0)
    std::size_t payload_off = 0;     // offset of the payload in tmpl
    // Subscriber.
    std::vector<std::uint8_t> qos2_open;  // packet ids received at QoS 2 awaiting PUBREL
    std::vector<SeqTrack> tracks;         // per publisher
    std::uint64_t delivered = 0;
};

struct Counters {
    std::uint64_t published = 0;
    std::uint64_t delivered = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t reordered = 0;
    std::uint64_t id_reuse = 0;       // QoS 2 PUBLISH reusing an id whose flow is open
    std::uint64_t protocol_errors = 0;
    std::uint64_t rejected = 0;       // 5.0 PUBACK/PUBREC with a failure reason
    std::uint64_t conn_errors = 0;
    std::uint64_t foreign = 0;        // payloads that are not ours
};

class Bench {
public:
    explicit Bench(const Options& o);
    ~Bench();
    // Runs the scenario to the end; returns the process exit status.
    int run();

    // Called from libuv callbacks.
    void on_connected(Conn& c, int status);
    void on_read(Conn& c, ssize_t n, const uv_buf_t* buf);
    void on_bytes(Conn& c, const std::uint8_t* in, std::size_t len);
    void on_tls_bytes(Conn& c, const std::uint8_t* in, std::size_t len);
    void mark_dirty(Conn& c);
    void on_ws_bytes(Conn& c, const std::uint8_t* in, std::size_t len);
    void on_written(Conn& c, int status);
    void on_prepare();
    void on_tick();
    void on_closed(Conn& c);
    uv_buf_t read_buffer();

private:
    void start_conn(Conn& c);
    void send_connect(Conn& c);
    void send_subscribe(Conn& c);
    void queue(Conn& c, const std::uint8_t* data, std::size_t n);
    void queue_ack(Conn& c, mqtt::PacketType t, std::uint16_t id);
    void flush(Conn& c);
    void handle_packet(Conn& c, std::uint8_t first, mqtt::Bytes body);
    void on_connack(Conn& c, mqtt::Bytes body);
    void on_suback(Conn& c, mqtt::Bytes body);
    void on_publish(Conn& c, std::uint8_t first, mqtt::Bytes body);
    void on_pub_ack(Conn& c, std::uint8_t first, mqtt::Bytes body);
    void on_pubrel(Conn& c, mqtt::Bytes body);
    void record_delivery(Conn& c, mqtt::Bytes payload);
    void fail(Conn& c, const char* why);
    void build_template(Conn& c);
    void close_all();
    std::uint64_t unique_total() const;
    void pump(Conn& c, std::uint64_t now, std::uint64_t min_delivered);
    bool publishing_done() const;
    void maybe_advance();
    void start_publishing();
    void stop_publishing();
    void finish(const char* reason);
    void storm_launch();
    std::uint64_t expected_per_message() const;
    std::string topic_for(unsigned pub) const;
    std::string filter() const;
    int report();

    Options o_;
    uv_loop_t loop_{};
    uv_prepare_t prepare_{};
    uv_timer_t tick_{};
    uv_timer_t limit_{};
    std::vector<std::unique_ptr<Conn>> conns_;
    std::vector<Conn*> pubs_;
    std::vector<Conn*> subs_;
    std::vector<Conn*> dirty_;
    std::vector<std::uint8_t> rbuf_;
    std::unique_ptr<TlsClientConfig> tls_;  // --tls
    std::vector<std::uint8_t> plain_;       // decrypted bytes of one read
    std::string prefix_;
    Counters k_;
    Histogram lat_;
    // Phases and times (uv_hrtime, ns).
    enum class Phase : std::uint8_t { Setup, Publishing, Draining, Holding, Done } phase_ = Phase::Setup;
    std::uint64_t t_start_ = 0;
    std::uint64_t t_setup_ = 0;
    std::uint64_t t_stop_ = 0;
    std::uint64_t t_last_delivery_ = 0;
    std::uint64_t t_last_rx_ = 0;
    std::uint64_t t_connected_ = 0;
    std::uint64_t t_hold_end_ = 0;
    std::uint64_t t_end_ = 0;
    std::uint64_t now_ = 0;
    std::uint64_t last_ping_ = 0;
    std::size_t turn_ = 0;
    unsigned ready_ = 0;
    unsigned launched_ = 0;
    unsigned pending_ = 0;
    unsigned closed_ = 0;
    unsigned open_ = 0;
    std::string finish_reason_;
    bool time_limit_hit_ = false;
    std::string first_error_;
    ProcSample before_{};
    ProcSample after_{};
    ProcSample baseline_{};
};

}  // namespace mote::bench
