#include "broker/engine/engine_support.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "store/sqlite_store.hpp"

#include <CppUTest/TestHarness.h>

namespace mote::broker::test {

Buf hex(const char* text) {
    Buf out;
    const char* p = text;
    while (*p != 0) {
        if (*p == ' ') {
            ++p;
            continue;
        }
        char two[3] = {p[0], p[1], 0};
        out.push_back(static_cast<std::uint8_t>(std::strtoul(two, nullptr, 16)));
        p += 2;
    }
    return out;
}

std::string to_hex(const Buf& b) {
    std::string s;
    char tmp[4];
    for (std::size_t i = 0; i < b.size(); ++i) {
        std::snprintf(tmp, sizeof tmp, i == 0 ? "%02X" : " %02X", b[i]);
        s += tmp;
    }
    return s;
}

SendResult FakeIo::send(ConnectionId id, mqtt::Bytes bytes) {
    actions.push_back({IoAction::Send, id, Buf(bytes.data, bytes.data + bytes.size)});
    return result;
}

SendResult FakeIo::send_publish(ConnectionId id, mqtt::Bytes header, const MessagePtr& msg) {
    Buf b(header.data, header.data + header.size);
    b.insert(b.end(), msg->payload.begin(), msg->payload.end());
    actions.push_back({IoAction::Send, id, std::move(b)});
    return result;
}

void FakeIo::close(ConnectionId id) { actions.push_back({IoAction::Close, id, {}}); }

std::vector<Buf> FakeIo::sent(ConnectionId id) const {
    std::vector<Buf> out;
    for (const IoAction& a : actions) {
        if (a.kind == IoAction::Send && a.id == id) out.push_back(a.bytes);
    }
    return out;
}

bool FakeIo::closed(ConnectionId id) const { return close_count(id) != 0; }

std::size_t FakeIo::close_count(ConnectionId id) const {
    std::size_t n = 0;
    for (const IoAction& a : actions) {
        if (a.kind == IoAction::Close && a.id == id) ++n;
    }
    return n;
}

W& W::u8(std::uint8_t v) {
    b.push_back(v);
    return *this;
}
W& W::u16(std::uint16_t v) { return u8(static_cast<std::uint8_t>(v >> 8)).u8(static_cast<std::uint8_t>(v)); }
W& W::u32(std::uint32_t v) {
    return u16(static_cast<std::uint16_t>(v >> 16)).u16(static_cast<std::uint16_t>(v & 0xFFFF));
}
W& W::varint(std::uint32_t v) {
    do {
        std::uint8_t byte = static_cast<std::uint8_t>(v % 128);
        v /= 128;
        if (v > 0) byte = static_cast<std::uint8_t>(byte | 0x80);
        b.push_back(byte);
    } while (v > 0);
    return *this;
}
W& W::str(const std::string& s) {
    u16(static_cast<std::uint16_t>(s.size()));
    b.insert(b.end(), s.begin(), s.end());
    return *this;
}
W& W::raw(const Buf& x) {
    b.insert(b.end(), x.begin(), x.end());
    return *this;
}
W& W::props(const Buf& p) { return varint(static_cast<std::uint32_t>(p.size())).raw(p); }

Buf packet(std::uint8_t first_byte, const Buf& body) {
    W w;
    w.u8(first_byte).varint(static_cast<std::uint32_t>(body.size())).raw(body);
    return w.b;
}

ConnectOpts co(std::uint8_t level, const std::string& client_id, bool clean) {
    ConnectOpts o;
    o.level = level;
    o.client_id = client_id;
    o.clean = clean;
    return o;
}

Buf connect_pkt(const ConnectOpts& o) {
    W w;
    w.str((o.level & 0x7F) == 3 ? "MQIsdp" : "MQTT").u8(o.level);  // 0x83/0x84: try_private
    std::uint8_t flags = o.clean ? 0x02 : 0x00;
    if (o.will) {
        flags = static_cast<std::uint8_t>(flags | 0x04 | (o.will_qos << 3) | (o.will_retain ? 0x20 : 0));
    }
    if (o.username) flags = static_cast<std::uint8_t>(flags | 0x80);
    if (o.password) flags = static_cast<std::uint8_t>(flags | 0x40);
    w.u8(flags).u16(o.keepalive);
    if (o.level == 5) w.props(o.props);
    w.str(o.client_id);
    if (o.will) {
        if (o.level == 5) w.props(o.will_props);
        w.str(o.will_topic).str(o.will_payload);
    }
    if (o.username) w.str(o.user);
    if (o.password) w.str(o.pass);
    return packet(0x10, w.b);
}

Buf publish_pkt(std::uint8_t level, std::uint8_t qos, const std::string& topic, const std::string& payload,
                std::uint16_t id, bool retain, const Buf& props, bool dup) {
    W w;
    w.str(topic);
    if (qos > 0) w.u16(id);
    if (level == 5) w.props(props);
    w.b.insert(w.b.end(), payload.begin(), payload.end());
    const auto first = static_cast<std::uint8_t>(0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 1 : 0));
    return packet(first, w.b);
}

Buf subscribe_pkt(std::uint8_t level, std::uint16_t id, const std::vector<std::pair<std::string, std::uint8_t>>& f,
                  const Buf& props) {
    W w;
    w.u16(id);
    if (level == 5) w.props(props);
    for (const auto& e : f) w.str(e.first).u8(e.second);
    return packet(0x82, w.b);
}

Buf unsubscribe_pkt(std::uint8_t level, std::uint16_t id, const std::vector<std::string>& f) {
    W w;
    w.u16(id);
    if (level == 5) w.props({});
    for (const auto& e : f) w.str(e);
    return packet(0xA2, w.b);
}

Buf ack_pkt(mqtt::PacketType type, std::uint16_t id) {
    const auto t = static_cast<std::uint8_t>(type);
    const auto first = static_cast<std::uint8_t>((t << 4) | (type == mqtt::PacketType::Pubrel ? 0x02 : 0));
    return packet(first, W().u16(id).b);
}

Buf disconnect_pkt(std::uint8_t level, std::uint8_t reason, const Buf& props) {
    if (level != 5) return hex("E0 00");
    W w;
    w.u8(reason).props(props);
    return packet(0xE0, w.b);
}

mqtt::Version version_of(std::uint8_t level) {
    return level == 5 ? mqtt::Version::V5 : (level == 3 ? mqtt::Version::V3_1 : mqtt::Version::V3_1_1);
}

std::unique_ptr<Decoded> decode_sent(const Buf& wire, mqtt::Version v) {
    auto d = std::make_unique<Decoded>();
    d->storage = wire;
    const mqtt::FixedHeader h = mqtt::parse_fixed_header(mqtt::Bytes(d->storage.data(), d->storage.size()),
                                                         mqtt::kMaxRemainingLength + 5);
    if (h.status != mqtt::FrameStatus::Complete || h.total_size() != wire.size()) {
        d->error = {mqtt::Reason::MalformedPacket, "bad frame"};
        return d;
    }
    mqtt::DecodeOptions opts;
    opts.version = v;
    opts.sender = mqtt::Role::Server;
    d->error = mqtt::decode(h.first_byte, mqtt::Bytes(d->storage.data() + h.header_size, h.remaining_length), opts,
                            d->p);
    return d;
}

std::string topic_of(const Decoded& d) { return std::string(d.p.publish.topic.chars(), d.p.publish.topic.size); }

std::string payload_of(const Decoded& d) {
    return std::string(d.p.publish.payload.chars(), d.p.publish.payload.size);
}

Buf without_reason_string(const Buf& wire) {
    auto d = decode_sent(wire, mqtt::Version::V5);
    if (d->error) return wire;
    mqtt::Properties* props = nullptr;
    if (d->p.type == mqtt::PacketType::Disconnect) props = &d->p.disconnect.props;
    if (d->p.type == mqtt::PacketType::Connack) props = &d->p.connack.props;
    if (props == nullptr) return wire;
    std::size_t count = 0;
    bool readable = true;
    for (const mqtt::Property& pr : *props) {
        ++count;
        readable = readable && pr.id == mqtt::PropertyId::ReasonString && !pr.value.empty();
    }
    if (count != 1 || !readable) return wire;
    *props = mqtt::Properties();
    Buf out(wire.size());
    out.resize(mqtt::encode(d->p, mqtt::Version::V5, out.data(), out.size()));
    return out;
}

BrokerConfig Harness::default_config() {
    BrokerConfig c;
    c.log_dest = {"none"};
    c.sys_interval = 0;
    return c;
}

Harness::Harness(const BrokerConfig& c) : cfg(c) {
    std::string err;
    log.configure(cfg, err);
    const char* dir = std::getenv("MOTE_TEST_STORE");
    if (dir == nullptr || *dir == '\0') {
        engine = std::make_unique<Engine>(cfg, log, io, now);
        return;
    }
    static int serial = 0;
    const std::string path = std::string(dir) + "/harness-" + std::to_string(::getpid()) + "-" +
                             std::to_string(++serial) + ".db";
    for (const char* ext : {"", "-wal", "-shm"}) std::remove((path + ext).c_str());
    store = std::make_unique<store::SqliteStore>();
    if (!store->open(path, cfg, now, err)) FAIL(err.c_str());
    engine = std::make_unique<Engine>(cfg, log, io, now, store.get());
}

Harness::~Harness() {
    engine.reset();
    if (store) {
        const std::string path = store->path();
        store.reset();
        for (const char* ext : {"", "-wal", "-shm"}) std::remove((path + ext).c_str());
    }
}

void Harness::commit() {
    if (!store) return;
    const store::CommitResult r = store->commit(now);
    engine->on_commit(r.ok, r.failure, now);
}

void Harness::auth_result(ConnectionId id, bool ok) {
    engine->on_auth_result(id, ok, now);
    commit();
}

void Harness::open(ConnectionId id) {
    PeerInfo peer;
    peer.address = "127.0.0.1:1";
    engine->on_open(id, peer, now);
}

void Harness::feed(ConnectionId id, const Buf& bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
        const mqtt::Bytes rest(bytes.data() + off, bytes.size() - off);
        const mqtt::FixedHeader h = mqtt::parse_fixed_header(rest, mqtt::kMaxRemainingLength + 5);
        if (h.status != mqtt::FrameStatus::Complete || h.total_size() > rest.size) return;
        engine->on_packet(id, h.first_byte, rest.sub(h.header_size, h.remaining_length), h.total_size(), now);
        commit();
        off += h.total_size();
    }
}

void Harness::advance(Millis ms) {
    now += ms;
    engine->tick(now);
    commit();
}

void Harness::connect(ConnectionId id, const ConnectOpts& o) {
    open(id);
    feed(id, connect_pkt(o));
    const std::vector<Buf> s = sent(id);
    if (s.empty() || s[0].size() < 4 || s[0][0] != 0x20 || s[0][3] != 0x00) {
        FAIL("CONNECT was not accepted");
    }
    io.clear();
}

void Harness::connect(ConnectionId id, std::uint8_t level, const std::string& client_id, bool clean) {
    ConnectOpts o;
    o.level = level;
    o.client_id = client_id;
    o.clean = clean;
    connect(id, o);
}

void Harness::subscribe(ConnectionId id, std::uint8_t level, const std::string& filter, std::uint8_t opts) {
    feed(id, subscribe_pkt(level, 1, {{filter, opts}}));
    io.clear();
}

std::vector<std::unique_ptr<Decoded>> Harness::publishes(ConnectionId id, mqtt::Version v) const {
    std::vector<std::unique_ptr<Decoded>> out;
    for (const Buf& b : sent(id)) {
        if (!b.empty() && (b[0] >> 4) == 3) out.push_back(decode_sent(b, v));
    }
    return out;
}

}  // namespace mote::broker::test
