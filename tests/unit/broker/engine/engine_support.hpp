// Test support for the engine: a recording fake Io, a fake clock, and builders for
// client packets written byte by byte (independent of the encoder under test).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mote/broker/engine.hpp"
#include "mote/common/codec.hpp"
#include "mote/common/framer.hpp"

namespace mote::broker::store {
class SqliteStore;
}

namespace mote::broker::test {

using Buf = std::vector<std::uint8_t>;

// "20 02 00 01" -> bytes.
Buf hex(const char* text);
std::string to_hex(const Buf& b);

struct IoAction {
    enum Kind { Send, Close } kind = Send;
    ConnectionId id = 0;
    Buf bytes;  // Send: the whole packet (header plus payload for send_publish)
};

class FakeIo final : public Io {
public:
    SendResult send(ConnectionId id, mqtt::Bytes bytes) override;
    SendResult send_publish(ConnectionId id, mqtt::Bytes header, const MessagePtr& msg) override;
    void close(ConnectionId id) override;
    // Records the check (tests answer with Engine::on_auth_result); returns
    // `accept_checks`.
    bool check_credentials(CredentialCheck&& check) override {
        checks.push_back(std::move(check));
        return accept_checks;
    }

    // Packets sent to `id` since the last clear(), in order.
    std::vector<Buf> sent(ConnectionId id) const;
    bool closed(ConnectionId id) const;
    std::size_t close_count(ConnectionId id) const;
    void clear() { actions.clear(); }

    std::vector<IoAction> actions;
    SendResult result = SendResult::Ok;  // what send/send_publish return
    std::vector<CredentialCheck> checks;
    bool accept_checks = true;
};

// A small byte writer for building packets.
struct W {
    Buf b;
    W& u8(std::uint8_t v);
    W& u16(std::uint16_t v);
    W& u32(std::uint32_t v);
    W& varint(std::uint32_t v);
    W& str(const std::string& s);  // 2-byte length + bytes
    W& raw(const Buf& x);
    W& props(const Buf& p);  // varint length + block
};

// Fixed header (first byte + Remaining Length) around a body.
Buf packet(std::uint8_t first_byte, const Buf& body);

struct ConnectOpts {
    std::uint8_t level = 4;  // 3, 4 or 5; 0x83/0x84 for a mosquitto bridge (try_private)
    std::string client_id = "c";
    bool clean = true;
    std::uint16_t keepalive = 60;
    Buf props;  // 5.0 CONNECT properties (block without length)
    bool will = false;
    std::string will_topic = "will/t";
    std::string will_payload = "gone";
    std::uint8_t will_qos = 0;
    bool will_retain = false;
    Buf will_props;
    bool username = false;
    std::string user = "u";
    bool password = false;
    std::string pass = "p";
};
ConnectOpts co(std::uint8_t level, const std::string& client_id, bool clean = true);
Buf connect_pkt(const ConnectOpts& o);
Buf publish_pkt(std::uint8_t level, std::uint8_t qos, const std::string& topic, const std::string& payload,
                std::uint16_t id = 0, bool retain = false, const Buf& props = {}, bool dup = false);
// One filter per entry; `opts` is the Subscription Options byte.
Buf subscribe_pkt(std::uint8_t level, std::uint16_t id, const std::vector<std::pair<std::string, std::uint8_t>>& f,
                  const Buf& props = {});
Buf unsubscribe_pkt(std::uint8_t level, std::uint16_t id, const std::vector<std::string>& f);
Buf ack_pkt(mqtt::PacketType type, std::uint16_t id);  // 2-byte form, valid in 3.1.1 and 5.0
Buf disconnect_pkt(std::uint8_t level, std::uint8_t reason = 0, const Buf& props = {});

// Decodes a packet the broker sent (Role::Server).
struct Decoded {
    mqtt::Error error;
    mqtt::Packet p;
    Buf storage;  // the bytes `p` points into
};
std::unique_ptr<Decoded> decode_sent(const Buf& wire, mqtt::Version v);
// The Topic Name and payload of a decoded PUBLISH, as strings.
std::string topic_of(const Decoded& d);
std::string payload_of(const Decoded& d);
// A 5.0 error reply (DISCONNECT or CONNACK) whose only property is a non-empty
// Reason String, re-encoded without it, so tests compare the exact bytes of the
// rest; any other packet comes back unchanged (and fails the comparison).
Buf without_reason_string(const Buf& wire);

// One Engine with a fake Io and clock.
class Harness {
public:
    explicit Harness(const BrokerConfig& cfg = default_config());
    ~Harness();
    static BrokerConfig default_config();

    void open(ConnectionId id);
    // Feeds every whole packet in `bytes` (they must be complete).
    void feed(ConnectionId id, const Buf& bytes);
    void advance(Millis ms);  // moves the clock and ticks
    void close(ConnectionId id) {
        engine->on_closed(id, now);
        commit();
    }
    // With MOTE_TEST_STORE=DIR the engine keeps its state in a fresh SQLite store
    // in DIR (strict durability) and the harness commits after every packet, as
    // the net layer does once per loop turn; otherwise a no-op.
    void commit();
    // The Io's answer to a password check, then the commit as after a packet (strict
    // durability holds the acks it releases until then).
    void auth_result(ConnectionId id, bool ok);

    // Opens `id`, connects, checks the CONNACK is a success and clears the Io log.
    void connect(ConnectionId id, const ConnectOpts& o);
    void connect(ConnectionId id, std::uint8_t level, const std::string& client_id, bool clean = true);
    // Subscribes `id` to one filter (`opts`: the Subscription Options byte) and
    // clears the Io log, SUBACK included.
    void subscribe(ConnectionId id, std::uint8_t level, const std::string& filter, std::uint8_t opts);

    std::vector<Buf> sent(ConnectionId id) const { return io.sent(id); }
    // Decoded PUBLISH packets sent to `id`.
    std::vector<std::unique_ptr<Decoded>> publishes(ConnectionId id, mqtt::Version v) const;

    BrokerConfig cfg;
    Logger log;
    FakeIo io;
    Millis now = 1000000;
    std::unique_ptr<store::SqliteStore> store;  // before engine: it outlives it
    std::unique_ptr<Engine> engine;
};

mqtt::Version version_of(std::uint8_t level);

}  // namespace mote::broker::test
