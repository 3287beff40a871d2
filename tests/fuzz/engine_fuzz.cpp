// Engine fuzz target: the input is a script of steps driving one Engine with a null
// Io. Each step starts with a byte: bits 0-1 pick the client (0-3), bits 2-4 the
// action:
//   0     open a connection for the client (a new id each time)
//   1-3   a packet: first byte, 2-byte body length (big endian, clipped), body
//   4     the socket closes (on_closed)
//   5     time passes: next byte t, t*t*50 ms, then tick()
//   6     on_writable; bit 5 of the step byte switches the Io to Backpressure
//   7     a framing error with the next byte as reason code
// The first input byte picks a configuration variant; the last one, when odd, ends
// with shutdown(). Besides ASan/UBSan/LSan, the null Io checks that the engine
// never sends to or closes a connection it has already closed or never opened.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "mote/broker/engine.hpp"
#include "mote/broker/log.hpp"

using namespace mote::broker;

namespace {

// A plain TCP peer on listener 0 (PeerInfo grows fields: name the ones that matter).
mote::broker::PeerInfo fuzz_peer() {
    mote::broker::PeerInfo p;
    p.address = "fuzz";
    p.listener_port = 1883;
    return p;
}

class NullIo final : public Io {
public:
    SendResult send(ConnectionId id, mote::mqtt::Bytes) override {
        check(id);
        return result;
    }
    SendResult send_publish(ConnectionId id, mote::mqtt::Bytes header, const MessagePtr& msg) override {
        check(id);
        if (header.size == 0 || !msg) __builtin_trap();
        return result;
    }
    void close(ConnectionId id) override {
        check(id);
        open.erase(id);
    }
    void check(ConnectionId id) const {
        if (open.count(id) == 0) __builtin_trap();  // used after close() or never opened
    }
    std::set<ConnectionId> open;
    SendResult result = SendResult::Ok;
};

BrokerConfig config_variant(std::uint8_t v) {
    BrokerConfig cfg;
    cfg.log_dest = {"none"};
    cfg.max_inflight_messages = 1u + (v & 3u);
    cfg.max_queued_messages = (v & 4u) ? 4u : 0u;
    cfg.max_queued_bytes = (v & 8u) ? 64u : 0u;
    cfg.max_topic_alias = (v & 16u) ? 0 : 4;
    cfg.retain_available = (v & 32u) == 0;
    cfg.message_size_limit = (v & 64u) ? 8u : 0u;
    cfg.max_keepalive = (v & 128u) ? 20 : 65535;
    cfg.persistent_client_expiration = (v & 128u) ? 30 : 0;
    cfg.sys_interval = 5;
    cfg.connect_timeout = 3;
    return cfg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const BrokerConfig cfg = config_variant(data[0]);
    Logger log;
    std::string err;
    log.configure(cfg, err);
    NullIo io;
    Millis now = 1000;
    Engine engine(cfg, log, io, now);
    ConnectionId generation[4] = {0, 0, 0, 0};
    auto id_of = [&](unsigned client) { return (generation[client] << 2) | (client + 1); };

    std::size_t i = 1;
    while (i < size) {
        const std::uint8_t step = data[i++];
        const unsigned client = step & 3u;
        const unsigned action = (step >> 2) & 7u;
        const ConnectionId id = id_of(client);
        switch (action) {
        case 0: {
            ++generation[client];
            const ConnectionId fresh = id_of(client);
            io.open.insert(fresh);
            engine.on_open(fresh, fuzz_peer(), now);
            break;
        }
        case 1:
        case 2:
        case 3: {
            if (i + 3 > size) return 0;
            const std::uint8_t first = data[i];
            std::size_t len = (std::size_t{data[i + 1]} << 8) | data[i + 2];
            i += 3;
            if (len > size - i) len = size - i;
            if (io.open.count(id) != 0) {
                engine.on_packet(id, first, mote::mqtt::Bytes(data + i, len), len + 2, now);
            }
            i += len;
            break;
        }
        case 4:
            if (io.open.count(id) != 0 || id > 4) {
                io.open.erase(id);
                engine.on_closed(id, now);
            }
            break;
        case 5: {
            const Millis t = i < size ? data[i++] : 1;
            now += t * t * 50;
            engine.tick(now);
            const Millis next = engine.next_deadline();
            if (next != 0 && next <= now) __builtin_trap();  // tick() left due work behind
            break;
        }
        case 6:
            io.result = (step & 0x20u) ? SendResult::Backpressure : SendResult::Ok;
            if (io.open.count(id) != 0) engine.on_writable(id, now);
            break;
        default: {
            const std::uint8_t reason = i < size ? data[i++] : 0x81;
            if (io.open.count(id) != 0) {
                engine.on_frame_error(id, mote::mqtt::Error{static_cast<mote::mqtt::Reason>(reason), "fuzz"}, now);
            }
            break;
        }
        }
    }
    if (data[size - 1] & 1u) engine.shutdown(now);
    return 0;
}
