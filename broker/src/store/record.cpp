#include "store/record.hpp"

#include <cstring>
#include <utility>

namespace mote::broker::store {

using detail::Delivery;
using detail::Inflight;
using detail::OutState;
using detail::Session;

// Both conversions saturate: a damaged record may hold any value, and a time far
// outside the clocks' range stays "long ago" or "far ahead" instead of wrapping.
namespace {

constexpr std::int64_t kFarAhead = std::int64_t{1} << 62;

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    if (!__builtin_add_overflow(a, b, &r)) return r;
    return b > 0 ? kFarAhead : -kFarAhead;
}

}  // namespace

std::int64_t Clocks::to_wall(Millis t) const {
    if (t == 0) return 0;
    const std::int64_t tt = t > static_cast<Millis>(kFarAhead) ? kFarAhead : static_cast<std::int64_t>(t);
    return saturating_add(wall, saturating_add(tt, -static_cast<std::int64_t>(mono)));
}

Millis Clocks::to_mono(std::int64_t w) const {
    if (w == 0) return 0;
    const std::int64_t delta = w < -kFarAhead ? -kFarAhead : w;
    const std::int64_t t = saturating_add(static_cast<std::int64_t>(mono), saturating_add(delta, -wall));
    return t < 1 ? 1 : static_cast<Millis>(t);
}

namespace {

class Writer {
public:
    explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}
    void u8(std::uint8_t v) { out_.push_back(v); }
    void u16(std::uint16_t v) { put(&v, sizeof v); }
    void u32(std::uint32_t v) { put(&v, sizeof v); }
    void u64(std::uint64_t v) { put(&v, sizeof v); }
    void i64(std::int64_t v) { put(&v, sizeof v); }
    void bytes(const void* p, std::size_t n) {
        u32(static_cast<std::uint32_t>(n));
        put(p, n);
    }
    void str(std::string_view s) { bytes(s.data(), s.size()); }

private:
    // Host byte order: the database is read back by the machine that wrote it
    // (documented in docs/persistence.md).
    void put(const void* p, std::size_t n) {
        const auto* b = static_cast<const std::uint8_t*>(p);
        out_.insert(out_.end(), b, b + n);
    }
    std::vector<std::uint8_t>& out_;
};

class Reader {
public:
    Reader(const std::uint8_t* p, std::size_t n) : p_(p), n_(n) {}
    bool ok() const { return ok_; }
    bool done() const { return ok_ && at_ == n_; }
    std::uint8_t u8() { return num<std::uint8_t>(); }
    std::uint16_t u16() { return num<std::uint16_t>(); }
    std::uint32_t u32() { return num<std::uint32_t>(); }
    std::uint64_t u64() { return num<std::uint64_t>(); }
    std::int64_t i64() { return num<std::int64_t>(); }
    // A length-prefixed run, viewed in place; empty (and !ok()) when it overruns.
    std::string_view bytes() {
        const std::uint32_t n = u32();
        if (!ok_ || n > n_ - at_) {
            ok_ = false;
            return {};
        }
        std::string_view v(reinterpret_cast<const char*>(p_ + at_), n);
        at_ += n;
        return v;
    }
    // A count of items each at least `min_item` bytes long, checked against what is left.
    std::uint32_t count(std::size_t min_item) {
        const std::uint32_t n = u32();
        if (!ok_ || (min_item != 0 && n > (n_ - at_) / min_item)) {
            ok_ = false;
            return 0;
        }
        return n;
    }

private:
    // One number in host byte order; 0 (and !ok()) when it overruns.
    template <typename T>
    T num() {
        T v = 0;
        get(&v, sizeof v);
        return v;
    }
    void get(void* v, std::size_t k) {
        if (!ok_ || k > n_ - at_) {
            ok_ = false;
            return;
        }
        std::memcpy(v, p_ + at_, k);
        at_ += k;
    }
    const std::uint8_t* p_;
    std::size_t n_;
    std::size_t at_ = 0;
    bool ok_ = true;
};

void put_message(Writer& w, const Message& m, const Clocks& clk) {
    w.u8(static_cast<std::uint8_t>((m.qos & 3u) | (m.retain ? 4u : 0u)));
    w.i64(clk.to_wall(m.received_at));
    w.i64(clk.to_wall(m.expires_at));
    w.str(m.topic);
    w.bytes(m.payload.data(), m.payload.size());
    w.bytes(m.properties.data(), m.properties.size());
    w.str(m.origin_client_id);
}

MessagePtr get_message(Reader& r, const Clocks& clk) {
    const std::uint8_t flags = r.u8();
    const std::int64_t received = r.i64();
    const std::int64_t expires = r.i64();
    const std::string_view topic = r.bytes();
    const std::string_view payload = r.bytes();
    const std::string_view props = r.bytes();
    const std::string_view origin = r.bytes();
    if (!r.ok() || (flags & 3u) == 3u || (flags & ~7u) != 0) return nullptr;
    MessageFields f;
    f.topic = topic;
    f.payload = reinterpret_cast<const std::uint8_t*>(payload.data());
    f.payload_size = payload.size();
    f.properties = reinterpret_cast<const std::uint8_t*>(props.data());
    f.properties_size = props.size();
    f.origin_client_id = origin;
    f.qos = flags & 3u;
    f.retain = (flags & 4u) != 0;
    f.received_at = clk.to_mono(received);
    f.expires_at = clk.to_mono(expires);
    return Message::make(f);
}

void put_delivery(Writer& w, const Delivery& d, const Clocks& clk) {
    put_message(w, *d.msg, clk);
    w.u8(static_cast<std::uint8_t>((d.qos & 3u) | (d.retain ? 4u : 0u)));
    w.u32(static_cast<std::uint32_t>(d.sub_ids.size()));
    for (std::uint32_t id : d.sub_ids) w.u32(id);
}

bool get_delivery(Reader& r, const Clocks& clk, Delivery& d) {
    d.msg = get_message(r, clk);
    const std::uint8_t flags = r.u8();
    const std::uint32_t n = r.count(4);
    d.sub_ids.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) d.sub_ids[i] = r.u32();
    d.qos = flags & 3u;
    d.retain = (flags & 4u) != 0;
    return r.ok() && d.msg != nullptr && d.qos != 3 && (flags & ~7u) == 0;
}

}  // namespace

void encode_session(const Session& s, const Clocks& clk, std::vector<std::uint8_t>& out) {
    out.clear();
    Writer w(out);
    w.u8(kRecordFormat);
    w.u8(static_cast<std::uint8_t>(s.version));
    w.u8(s.conn != 0 ? 1 : 0);
    w.u32(s.expiry_s);
    w.i64(clk.to_wall(s.expires_at));
    w.u8(s.will ? 1 : 0);
    if (s.will) put_message(w, *s.will, clk);
    w.i64(clk.to_wall(s.will_at));
    w.u32(s.will_delay_s);
    w.u32(s.will_expiry_s);
    w.u64(s.id_clock);
    w.u32(static_cast<std::uint32_t>(s.subs.size()));
    for (const auto& [filter, rec] : s.subs) {
        w.str(filter);
        w.u8(rec.options.to_byte());
        w.u32(rec.sub_id);
    }
    w.u32(static_cast<std::uint32_t>(s.inflight.size()));
    for (std::size_t i = 0; i < s.inflight.size(); ++i) {
        const Inflight& f = s.inflight[i];
        w.u64(f.tick);
        w.u16(f.packet_id);
        w.u8(static_cast<std::uint8_t>(f.state));
        put_delivery(w, f.d, clk);
    }
    w.u32(0);  // the queue: rows of their own (encode_delivery)
    // Incoming QoS 2 ids PUBREC'd and not released, each with the message held for
    // its PUBREL: after a restart the PUBREL still passes it on exactly once.
    w.u32(static_cast<std::uint32_t>(s.incoming_qos2.size()));
    s.incoming_qos2.for_each([&w, &clk](std::uint16_t id, const MessagePtr& m) {
        w.u16(id);
        w.u8(m ? 1 : 0);
        if (m) put_message(w, *m, clk);
    });
}

namespace {

bool get_subscriptions(Reader& r, Session& s) {
    const std::uint32_t n = r.count(9);
    for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
        const std::string_view filter = r.bytes();
        const std::uint8_t opts = r.u8();
        const std::uint32_t sub_id = r.u32();
        if (!r.ok() || (opts & 3u) == 3u || (opts & 0xC0u) != 0 || ((opts >> 4) & 3u) == 3u) return false;
        detail::SubRecord& rec = s.subs[std::string(filter)];
        rec.options.qos = opts & 3u;
        rec.options.no_local = (opts & 0x04u) != 0;
        rec.options.retain_as_published = (opts & 0x08u) != 0;
        rec.options.retain_handling = static_cast<std::uint8_t>((opts >> 4) & 3u);
        rec.sub_id = sub_id;
    }
    return r.ok();
}

bool get_flows(Reader& r, const Clocks& clk, Session& s) {
    const std::uint32_t n_inflight = r.count(11);
    for (std::uint32_t i = 0; i < n_inflight && r.ok(); ++i) {
        Inflight f;
        f.tick = r.u64();
        f.packet_id = r.u16();
        const std::uint8_t state = r.u8();
        if (state > static_cast<std::uint8_t>(OutState::AwaitPubcomp) || !get_delivery(r, clk, f.d) ||
            f.packet_id == 0) {
            return false;
        }
        f.state = static_cast<OutState>(state);
        s.inflight.push_back(std::move(f));
    }
    const std::uint32_t n_queue = r.count(1);
    for (std::uint32_t i = 0; i < n_queue && r.ok(); ++i) {
        Delivery d;
        if (!get_delivery(r, clk, d)) return false;
        s.queued_bytes += d.msg->payload.size() + d.msg->topic.size();  // as the engine counts it
        s.queue.push_back(std::move(d));
    }
    const std::uint32_t n_ids = r.count(3);
    for (std::uint32_t i = 0; i < n_ids && r.ok(); ++i) {
        const std::uint16_t id = r.u16();
        MessagePtr held;
        if (r.u8() != 0) {
            held = get_message(r, clk);
            if (!held) return false;
        }
        s.incoming_qos2.set(id, std::move(held));
    }
    return r.ok();
}

}  // namespace

bool decode_session(const std::uint8_t* data, std::size_t size, const Clocks& clk, Session& s, bool& was_online) {
    Reader r(data, size);
    if (r.u8() != kRecordFormat) return false;
    const std::uint8_t version = r.u8();
    was_online = r.u8() != 0;
    s.expiry_s = r.u32();
    s.expires_at = clk.to_mono(r.i64());
    if (r.u8() != 0) {
        s.will = get_message(r, clk);
        if (!s.will) return false;
    }
    s.will_at = clk.to_mono(r.i64());
    s.will_delay_s = r.u32();
    s.will_expiry_s = r.u32();
    s.id_clock = r.u64();
    if (!r.ok() || version < 3 || version > 5) return false;
    s.version = static_cast<mqtt::Version>(version);
    return get_subscriptions(r, s) && get_flows(r, clk, s) && r.done();
}

void encode_delivery(const Delivery& d, const Clocks& clk, std::vector<std::uint8_t>& out) {
    out.clear();
    Writer w(out);
    w.u8(kRecordFormat);
    put_delivery(w, d, clk);
}

bool decode_delivery(const std::uint8_t* data, std::size_t size, const Clocks& clk, Delivery& d) {
    Reader r(data, size);
    if (r.u8() != kRecordFormat) return false;
    return get_delivery(r, clk, d) && r.done();
}

void encode_message(const Message& m, const Clocks& clk, std::vector<std::uint8_t>& out) {
    out.clear();
    Writer w(out);
    w.u8(kRecordFormat);
    put_message(w, m, clk);
}

bool decode_message(const std::uint8_t* data, std::size_t size, const Clocks& clk, MessagePtr& out) {
    Reader r(data, size);
    if (r.u8() != kRecordFormat) return false;
    out = get_message(r, clk);
    return out != nullptr && r.done();
}

}  // namespace mote::broker::store
