#include "bench.hpp"

#include <arpa/inet.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "mote/common/codec.hpp"
#include "mote/common/framer.hpp"
#include "mote/common/packets.hpp"

namespace mote::bench {

namespace {

// Every payload starts with this stamp; the rest is filler.
constexpr std::uint32_t kMagic = 0x434E424DU;  // "MBNC"
constexpr std::size_t kStampSize = 24;         // magic u32, publisher u32, seq u64, send time u64 (ns)
constexpr std::size_t kReadBuffer = 256 * 1024;
constexpr std::size_t kOutCap = 256 * 1024;    // stop producing while this much is queued
constexpr std::uint64_t kBatch = 1024;         // messages per publisher per loop turn
constexpr std::uint16_t kKeepAlive = 60;       // seconds
constexpr std::uint32_t kMaxPacket = 16 * 1024 * 1024 + 1024;

Conn& conn_of(uv_handle_t* h) { return *static_cast<Conn*>(h->data); }

double secs(std::uint64_t ns) { return static_cast<double>(ns) / 1e9; }

void put_u16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v & 0xFF);
}

bool ack_failed(const mqtt::Ack& a) { return mqtt::is_error(a.reason); }

}  // namespace

Bench::Bench(const Options& o) : o_(o), rbuf_(kReadBuffer) {
    uv_loop_init(&loop_);
    prefix_ = "mote-bench/" + std::to_string(getpid());
}

Bench::~Bench() { uv_loop_close(&loop_); }

std::string Bench::topic_for(unsigned pub) const {
    switch (o_.scenario) {
        case Scenario::FanIn: return prefix_ + "/in";
        case Scenario::FanOut: return prefix_ + "/out";
        default: return prefix_ + "/m2m/" + std::to_string(pub);
    }
}

std::string Bench::filter() const {
    return o_.scenario == Scenario::ManyToMany ? prefix_ + "/m2m/+" : topic_for(0);
}

// Every subscriber matches every publisher's topic in all three publish scenarios.
std::uint64_t Bench::expected_per_message() const { return subs_.size(); }

void Bench::build_template(Conn& c) {
    const std::string topic = topic_for(c.index);
    std::vector<std::uint8_t> payload(o_.payload, 0x5A);
    mqtt::Publish p;
    p.qos = static_cast<std::uint8_t>(o_.qos);
    p.topic = mqtt::Bytes::of(topic.data(), topic.size());
    p.packet_id = o_.qos > 0 ? 0xA5C3 : 0;
    p.payload = mqtt::Bytes(payload.data(), payload.size());
    const std::size_t n = mqtt::encoded_size(mqtt::make_packet(p), o_.version);
    c.tmpl.assign(n, 0);
    const std::size_t w = mqtt::encode_publish(p, o_.version, c.tmpl.data(), n);
    const std::size_t hdr = mqtt::publish_header_size(p, o_.version);
    c.payload_off = hdr;
    // The packet identifier follows the topic; in 5.0 the (empty, one byte) property
    // length follows the identifier [MQTT-3.3.2.3].
    c.id_off = hdr - 2 - (mqtt::is_v5(o_.version) ? 1 : 0);
    if (w != n || n != hdr + o_.payload ||
        (o_.qos > 0 && (c.tmpl[c.id_off] != 0xA5 || c.tmpl[c.id_off + 1] != 0xC3))) {
        std::fprintf(stderr, "mote-bench: PUBLISH template does not have the expected layout\n");
        std::exit(1);
    }
}

void Bench::queue(Conn& c, const std::uint8_t* data, std::size_t n) {
    c.out.insert(c.out.end(), data, data + n);
    mark_dirty(c);
}

void Bench::mark_dirty(Conn& c) {
    if (!c.dirty) {
        c.dirty = true;
        dirty_.push_back(&c);
    }
}

void Bench::queue_ack(Conn& c, mqtt::PacketType t, std::uint16_t id) {
    std::uint8_t buf[16];
    mqtt::Ack a;
    a.packet_id = id;
    const std::size_t n = mqtt::encode_ack(t, a, o_.version, buf, sizeof buf);
    queue(c, buf, n);
}

void Bench::flush(Conn& c) {
    const bool tls_out = c.tls && !c.tls->out.empty();
    if (c.writing || (c.out.empty() && !tls_out && c.ws_out.empty()) || c.state == ConnState::Closed || !c.inited) {
        return;
    }
    if (o_.ws) {
        // MQTT bytes become one masked binary frame once the upgrade is done. The
        // mask key is 0 (any key is valid; unpredictable keys only matter against
        // caching proxies), so the payload goes out unchanged.
        if (c.ws_up && !c.out.empty()) {
            const std::size_t n = c.out.size();
            std::uint8_t h[14];
            std::size_t len = 0;
            h[len++] = 0x82;
            if (n < 126) {
                h[len++] = static_cast<std::uint8_t>(0x80 | n);
            } else if (n <= 0xFFFF) {
                h[len++] = 0x80 | 126;
                h[len++] = static_cast<std::uint8_t>(n >> 8);
                h[len++] = static_cast<std::uint8_t>(n);
            } else {
                h[len++] = 0x80 | 127;
                for (int shift = 56; shift >= 0; shift -= 8) h[len++] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(n) >> shift);
            }
            for (int k = 0; k < 4; ++k) h[len++] = 0;
            c.ws_out.insert(c.ws_out.end(), h, h + len);
            c.ws_out.insert(c.ws_out.end(), c.out.begin(), c.out.end());
            c.out.clear();
        }
        if (c.ws_out.empty()) return;
        c.wbuf.swap(c.ws_out);
        c.ws_out.clear();
    } else if (c.tls) {
        // Plaintext is encrypted once the handshake is done; the ciphertext is written.
        if (c.tls->ready() && !c.out.empty()) {
            const int r = c.tls->write(c.out.data(), c.out.size());
            if (r != 0) {
                fail(c, "TLS write failed");
                return;
            }
            c.out.clear();
        }
        if (c.tls->out.empty()) return;
        c.wbuf.swap(c.tls->out);
        c.tls->out.clear();
    } else {
        c.wbuf.swap(c.out);
        c.out.clear();
    }
    uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(c.wbuf.data()), static_cast<unsigned>(c.wbuf.size()));
    c.writing = true;
    const int rc = uv_write(&c.wreq, reinterpret_cast<uv_stream_t*>(&c.tcp), &b, 1, [](uv_write_t* req, int status) {
        Conn& cc = conn_of(reinterpret_cast<uv_handle_t*>(req->handle));
        cc.bench->on_written(cc, status);
    });
    if (rc != 0) {
        c.writing = false;
        fail(c, uv_strerror(rc));
    }
}

void Bench::on_written(Conn& c, int status) {
    c.writing = false;
    c.wbuf.clear();
    if (status < 0 && phase_ != Phase::Done) {
        fail(c, uv_strerror(status));
        return;
    }
    if (!c.out.empty() || (c.tls && !c.tls->out.empty()) || !c.ws_out.empty()) mark_dirty(c);
}

// --- connection setup ------------------------------------------------------------

void Bench::start_conn(Conn& c) {
    uv_tcp_init(&loop_, &c.tcp);
    c.inited = true;
    ++open_;
    c.tcp.data = &c;
    c.creq.data = &c;
    uv_tcp_nodelay(&c.tcp, 1);
    sockaddr_storage dst{};
    if (o_.host.find(':') != std::string::npos) {
        uv_ip6_addr(o_.host.c_str(), o_.port, reinterpret_cast<sockaddr_in6*>(&dst));
    } else {
        uv_ip4_addr(o_.host.c_str(), o_.port, reinterpret_cast<sockaddr_in*>(&dst));
        if (c.role == Role::Idle) {
            // One source address has ~28k ephemeral ports; spreading the storm over
            // 127.1.x.y (all loopback on Linux) allows 50k+ connections.
            sockaddr_in src{};
            const std::string a = "127.1." + std::to_string(getpid() % 200) + "." + std::to_string(1 + c.index % 64);
            uv_ip4_addr(a.c_str(), 0, &src);
            uv_tcp_bind(&c.tcp, reinterpret_cast<const sockaddr*>(&src), 0);
        }
    }
    const int rc = uv_tcp_connect(&c.creq, &c.tcp, reinterpret_cast<const sockaddr*>(&dst), [](uv_connect_t* req, int status) {
        Conn& cc = *static_cast<Conn*>(req->data);
        cc.bench->on_connected(cc, status);
    });
    if (rc != 0) fail(c, uv_strerror(rc));
}

uv_buf_t Bench::read_buffer() {
    return uv_buf_init(reinterpret_cast<char*>(rbuf_.data()), static_cast<unsigned>(rbuf_.size()));
}

void Bench::on_connected(Conn& c, int status) {
    if (status < 0) {
        fail(c, uv_strerror(status));
        return;
    }
    c.state = ConnState::WaitConnack;
    if (tls_) {
        c.tls = std::make_unique<TlsClient>(*tls_);
        if (c.tls->handshake() != 0) {
            fail(c, "TLS handshake failed");
            return;
        }
        mark_dirty(c);  // the ClientHello
    }
    if (o_.ws) {
        const std::string req = "GET /mqtt HTTP/1.1\r\nHost: " + o_.host +
                                "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                                "Sec-WebSocket-Protocol: mqtt\r\n\r\n";
        c.ws_out.assign(req.begin(), req.end());
        mark_dirty(c);
    }
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&c.tcp),
        [](uv_handle_t* h, size_t, uv_buf_t* buf) { *buf = conn_of(h).bench->read_buffer(); },
        [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
            Conn& cc = conn_of(reinterpret_cast<uv_handle_t*>(s));
            cc.bench->on_read(cc, n, buf);
        });
    send_connect(c);
}

void Bench::send_connect(Conn& c) {
    static const char* const kRole[] = {"p", "s", "i"};
    const std::string id = "mb" + std::to_string(getpid()) + kRole[static_cast<int>(c.role)] + std::to_string(c.index);
    mqtt::Connect p;
    p.version = o_.version;
    p.protocol_name = mqtt::Bytes::of("MQTT");
    // --session persistent: the subscribers' state (queue, in-flight) is what a
    // durable store has to keep.
    p.clean_start = !(o_.persistent && c.role == Role::Subscriber);
    // Some brokers refuse Keep Alive 0 when max_keepalive is set; on_tick pings
    // every half period instead [MQTT-3.1.2-23].
    p.keep_alive = kKeepAlive;
    p.client_id = mqtt::Bytes::of(id.data(), id.size());
    std::uint8_t buf[256];
    const std::size_t n = mqtt::encode_connect(p, buf, sizeof buf);
    queue(c, buf, n);
}

void Bench::send_subscribe(Conn& c) {
    const std::string f = filter();
    mqtt::SubscribeEntry e;
    e.filter = mqtt::Bytes::of(f.data(), f.size());
    e.options.qos = static_cast<std::uint8_t>(o_.qos);
    mqtt::Subscribe s;
    s.packet_id = 1;
    s.entries = mqtt::SubscribeList::from_array(&e, 1);
    std::uint8_t buf[512];
    const std::size_t n = mqtt::encode_subscribe(s, o_.version, buf, sizeof buf);
    queue(c, buf, n);
    c.state = ConnState::WaitSuback;
}

void Bench::on_connack(Conn& c, mqtt::Bytes body) {
    mqtt::Connack a;
    mqtt::DecodeOptions opts;
    opts.version = o_.version;
    opts.sender = mqtt::Role::Server;
    if (c.state != ConnState::WaitConnack || mqtt::decode_connack(0x20, body, opts, a) || a.code != 0) {
        fail(c, "CONNACK refused or malformed");
        return;
    }
    if (c.role == Role::Subscriber) {
        send_subscribe(c);
        return;
    }
    c.state = ConnState::Ready;
    ++ready_;
    if (c.role == Role::Publisher && mqtt::is_v5(o_.version)) {
        // The server's Receive Maximum caps our QoS 1/2 in-flight window [MQTT-3.3.4-9].
        const std::uint32_t rm = a.props.number(mqtt::PropertyId::ReceiveMaximum, 65535);
        c.window = std::min<unsigned>(c.window, static_cast<unsigned>(rm));
    }
    if (c.role == Role::Idle && pending_ > 0) --pending_;
    maybe_advance();
}

void Bench::on_suback(Conn& c, mqtt::Bytes body) {
    mqtt::SubackLike s;
    mqtt::DecodeOptions opts;
    opts.version = o_.version;
    opts.sender = mqtt::Role::Server;
    if (c.state != ConnState::WaitSuback || mqtt::decode_suback(0x90, body, opts, s) || s.codes.size != 1) {
        fail(c, "SUBACK malformed");
        return;
    }
    if (s.codes[0] != o_.qos) {
        fail(c, "SUBACK did not grant the requested QoS");
        return;
    }
    c.state = ConnState::Ready;
    ++ready_;
    maybe_advance();
}

void Bench::maybe_advance() {
    if (phase_ != Phase::Setup) return;
    if (o_.scenario == Scenario::Storm) {
        if (ready_ == o_.conns) {
            t_connected_ = uv_hrtime();
            t_hold_end_ = t_connected_ + static_cast<std::uint64_t>(o_.hold * 1e9);
            phase_ = Phase::Holding;
        }
        return;
    }
    if (ready_ == subs_.size() && !pubs_.empty() && !pubs_[0]->inited) {
        for (Conn* p : pubs_) start_conn(*p);  // subscriptions are in place now
    } else if (ready_ == subs_.size() + pubs_.size()) {
        start_publishing();
    }
}

// --- reading ---------------------------------------------------------------------

void Bench::on_read(Conn& c, ssize_t n, const uv_buf_t* buf) {
    if (n < 0) {
        if (phase_ != Phase::Done) fail(c, n == UV_EOF ? "connection closed by the broker" : uv_strerror(static_cast<int>(n)));
        return;
    }
    if (n == 0) return;
    now_ = uv_hrtime();
    t_last_rx_ = now_;  // any packet from the broker is progress while draining
    const auto* data = reinterpret_cast<const std::uint8_t*>(buf->base);
    if (c.tls) {
        on_tls_bytes(c, data, static_cast<std::size_t>(n));
    } else if (o_.ws) {
        on_ws_bytes(c, data, static_cast<std::size_t>(n));
    } else {
        on_bytes(c, data, static_cast<std::size_t>(n));
    }
}

void Bench::on_tls_bytes(Conn& c, const std::uint8_t* data, std::size_t n) {
    c.tls->feed(data, n);
    if (!c.tls->ready()) {
        if (c.tls->handshake() != 0) {
            fail(c, "TLS handshake failed");
            return;
        }
        mark_dirty(c);  // handshake records, then the CONNECT queued at connect time
        if (!c.tls->ready()) return;
    }
    if (plain_.size() < 16384) plain_.resize(16384);
    for (;;) {
        const int r = c.tls->read(plain_.data(), plain_.size());
        if (r == 0) break;
        if (r < 0) {
            if (phase_ != Phase::Done) fail(c, "TLS read failed or closed by the broker");
            return;
        }
        on_bytes(c, plain_.data(), static_cast<std::size_t>(r));
        if (c.state == ConnState::Closed) return;
    }
}

// --ws: the 101 response, then unmasked frames from the broker.
void Bench::on_ws_bytes(Conn& c, const std::uint8_t* data, std::size_t n) {
    c.ws_in.insert(c.ws_in.end(), data, data + n);
    std::size_t off = 0;
    if (!c.ws_up) {
        static const char kEnd[] = "\r\n\r\n";
        const auto it = std::search(c.ws_in.begin(), c.ws_in.end(), kEnd, kEnd + 4);
        if (it == c.ws_in.end()) return;
        if (c.ws_in.size() < 12 || std::memcmp(c.ws_in.data() + 9, "101", 3) != 0) {
            fail(c, "WebSocket upgrade refused");
            return;
        }
        c.ws_up = true;
        off = static_cast<std::size_t>(it - c.ws_in.begin()) + 4;
        mark_dirty(c);  // the CONNECT queued at connect time
    }
    while (c.state != ConnState::Closed) {
        const std::size_t have = c.ws_in.size() - off;
        if (have < 2) break;
        const std::uint8_t* f = c.ws_in.data() + off;
        std::size_t hdr = 2;
        std::uint64_t len = f[1] & 0x7FU;
        if (len == 126) {
            if (have < 4) break;
            len = (std::uint64_t{f[2]} << 8) | f[3];
            hdr = 4;
        } else if (len == 127) {
            if (have < 10) break;
            len = 0;
            for (int k = 0; k < 8; ++k) len = (len << 8) | f[2 + k];
            hdr = 10;
        }
        if (have - hdr < len) break;
        const unsigned opcode = f[0] & 0x0FU;
        if (opcode == 2 || opcode == 0) {
            on_bytes(c, f + hdr, static_cast<std::size_t>(len));
        } else if (opcode == 8) {
            if (phase_ != Phase::Done) fail(c, "WebSocket close from the broker");
            return;
        }
        off += hdr + static_cast<std::size_t>(len);
    }
    c.ws_in.erase(c.ws_in.begin(), c.ws_in.begin() + static_cast<std::ptrdiff_t>(off));
}

// Plaintext MQTT bytes from the broker.
void Bench::on_bytes(Conn& c, const std::uint8_t* in, std::size_t len) {
    if (!c.rx.empty()) {
        c.rx.insert(c.rx.end(), in, in + len);
        in = c.rx.data();
        len = c.rx.size();
    }
    std::size_t off = 0;
    while (off < len && c.state != ConnState::Closed) {
        const mqtt::FixedHeader h = mqtt::parse_fixed_header(mqtt::Bytes(in + off, len - off), kMaxPacket);
        if (h.status == mqtt::FrameStatus::Invalid) {
            ++k_.protocol_errors;
            fail(c, h.error.cause);
            return;
        }
        if (h.status == mqtt::FrameStatus::NeedMore || h.total_size() > len - off) break;
        handle_packet(c, h.first_byte, mqtt::Bytes(in + off + h.header_size, h.remaining_length));
        off += h.total_size();
    }
    if (c.state == ConnState::Closed) return;
    if (in == c.rx.data()) {
        c.rx.erase(c.rx.begin(), c.rx.begin() + static_cast<std::ptrdiff_t>(off));
    } else if (off < len) {
        c.rx.assign(in + off, in + len);
    }
}

void Bench::handle_packet(Conn& c, std::uint8_t first, mqtt::Bytes body) {
    switch (static_cast<mqtt::PacketType>(first >> 4)) {
        case mqtt::PacketType::Connack: on_connack(c, body); break;
        case mqtt::PacketType::Suback: on_suback(c, body); break;
        case mqtt::PacketType::Publish: on_publish(c, first, body); break;
        case mqtt::PacketType::Puback:
        case mqtt::PacketType::Pubrec:
        case mqtt::PacketType::Pubcomp: on_pub_ack(c, first, body); break;
        case mqtt::PacketType::Pubrel: on_pubrel(c, body); break;
        case mqtt::PacketType::Pingresp: break;
        case mqtt::PacketType::Disconnect: fail(c, "DISCONNECT from the broker"); break;
        default:
            ++k_.protocol_errors;
            fail(c, "unexpected packet type from the broker");
            break;
    }
}

void Bench::on_publish(Conn& c, std::uint8_t first, mqtt::Bytes body) {
    mqtt::Publish p;
    mqtt::DecodeOptions opts;
    opts.version = o_.version;
    opts.sender = mqtt::Role::Server;
    opts.strict_utf8 = false;  // our own topics; spare the loader the check
    if (c.role != Role::Subscriber || mqtt::decode_publish(first, body, opts, p)) {
        ++k_.protocol_errors;
        fail(c, "malformed or unexpected PUBLISH");
        return;
    }
    // Delivery QoS is the minimum of the published and the granted QoS [MQTT-3.8.4-8];
    // both are o_.qos here, so anything else is a broker error.
    if (p.qos != o_.qos) ++k_.protocol_errors;
    if (p.qos == 1) {
        record_delivery(c, p.payload);
        queue_ack(c, mqtt::PacketType::Puback, p.packet_id);
    } else if (p.qos == 2) {
        // Method B of §4.3.3: deliver on PUBLISH, and until PUBREL arrives treat a
        // PUBLISH with the same id as the same message [MQTT-4.3.3-9]. A broker that
        // reuses an id for a new message before the flow is complete therefore loses
        // that message (visible as loss in the sequence check) and is counted here.
        if (c.qos2_open[p.packet_id] != 0) {
            if (!p.dup) ++k_.id_reuse;
        } else {
            c.qos2_open[p.packet_id] = 1;
            record_delivery(c, p.payload);
        }
        queue_ack(c, mqtt::PacketType::Pubrec, p.packet_id);
    } else {
        record_delivery(c, p.payload);
    }
}

void Bench::record_delivery(Conn& c, mqtt::Bytes payload) {
    std::uint32_t magic = 0;
    std::uint32_t pub = 0;
    std::uint64_t seq = 0;
    std::uint64_t ts = 0;
    if (payload.size < kStampSize) {
        ++k_.foreign;
        return;
    }
    std::memcpy(&magic, payload.data, 4);
    std::memcpy(&pub, payload.data + 4, 4);
    std::memcpy(&seq, payload.data + 8, 8);
    std::memcpy(&ts, payload.data + 16, 8);
    if (magic != kMagic || pub >= c.tracks.size()) {
        ++k_.foreign;
        return;
    }
    ++k_.delivered;
    ++c.delivered;
    t_last_delivery_ = now_;
    lat_.record(now_ > ts ? now_ - ts : 0);
    SeqTrack& t = c.tracks[pub];
    const std::uint64_t word = seq / 64;
    if (word >= t.seen.size()) t.seen.resize(std::max<std::size_t>(static_cast<std::size_t>(word) + 1, t.seen.size() * 2), 0);
    const std::uint64_t bit = 1ULL << (seq % 64);
    if ((t.seen[word] & bit) != 0) {
        ++k_.duplicates;
        return;
    }
    t.seen[word] |= bit;
    ++t.unique;
    // Arriving after a later message of the same publisher and topic breaks the
    // ordering guarantee of §4.6.
    if (seq + 1 < t.next) ++k_.reordered;
    if (seq + 1 > t.next) t.next = seq + 1;
}

void Bench::on_pub_ack(Conn& c, std::uint8_t first, mqtt::Bytes body) {
    mqtt::Ack a;
    mqtt::DecodeOptions opts;
    opts.version = o_.version;
    opts.sender = mqtt::Role::Server;
    if (c.role != Role::Publisher || mqtt::decode_ack(first, body, opts, a) || c.ids.empty()) {
        ++k_.protocol_errors;
        fail(c, "malformed or unexpected acknowledgement");
        return;
    }
    std::uint8_t& st = c.ids[a.packet_id];
    const auto type = static_cast<mqtt::PacketType>(first >> 4);
    if (type == mqtt::PacketType::Puback && st == 1) {
        if (ack_failed(a)) ++k_.rejected;
        st = 0;
        --c.inflight;
    } else if (type == mqtt::PacketType::Pubrec && st == 2) {
        if (ack_failed(a)) {  // 5.0: the flow ends here [MQTT-4.3.3-4]
            ++k_.rejected;
            st = 0;
            --c.inflight;
        } else {
            st = 3;
            queue_ack(c, mqtt::PacketType::Pubrel, a.packet_id);
        }
    } else if (type == mqtt::PacketType::Pubcomp && st == 3) {
        st = 0;
        --c.inflight;
    } else {
        ++k_.protocol_errors;  // an ack for an id that is not in that state
    }
}

void Bench::on_pubrel(Conn& c, mqtt::Bytes body) {
    mqtt::Ack a;
    mqtt::DecodeOptions opts;
    opts.version = o_.version;
    opts.sender = mqtt::Role::Server;
    if (c.role != Role::Subscriber || mqtt::decode_ack(0x62, body, opts, a)) {
        ++k_.protocol_errors;
        fail(c, "malformed or unexpected PUBREL");
        return;
    }
    if (c.qos2_open[a.packet_id] == 0) ++k_.protocol_errors;
    c.qos2_open[a.packet_id] = 0;
    queue_ack(c, mqtt::PacketType::Pubcomp, a.packet_id);
}

// --- publishing ------------------------------------------------------------------

void Bench::start_publishing() {
    if (o_.broker_pid > 0) before_ = sample_process(o_.broker_pid);
    t_start_ = uv_hrtime();
    phase_ = Phase::Publishing;
}

bool Bench::publishing_done() const {
    if (o_.count > 0) {
        for (const Conn* p : pubs_) {
            if (p->seq < o_.count) return false;
        }
        return true;
    }
    return now_ - t_start_ >= static_cast<std::uint64_t>(o_.duration * 1e9);
}

void Bench::pump(Conn& c, std::uint64_t now, std::uint64_t min_delivered) {
    if (c.state != ConnState::Ready) return;
    std::uint64_t budget = kBatch;
    if (o_.count > 0) budget = std::min(budget, o_.count - std::min(o_.count, c.seq));
    if (o_.rate > 0) {
        const double per_pub = o_.rate / static_cast<double>(pubs_.size());
        const auto due = static_cast<std::uint64_t>(per_pub * secs(now - t_start_)) + 1;
        budget = std::min(budget, due > c.seq ? due - c.seq : 0);
    }
    if (o_.qos > 0) budget = std::min<std::uint64_t>(budget, c.window - c.inflight);
    if (o_.backlog > 0) {
        const std::uint64_t outstanding = k_.published - std::min(k_.published, min_delivered);
        budget = std::min(budget, o_.backlog > outstanding ? o_.backlog - outstanding : 0);
    }
    for (std::uint64_t i = 0; i < budget && c.out.size() < kOutCap; ++i) {
        std::uint8_t* p = c.tmpl.data();
        if (o_.qos > 0) {
            while (c.next_id == 0 || c.ids[c.next_id] != 0) ++c.next_id;  // wraps: 0 is never an id
            c.ids[c.next_id] = o_.qos == 1 ? 1 : 2;
            put_u16(p + c.id_off, c.next_id);
            ++c.next_id;
            ++c.inflight;
        }
        const std::uint32_t pub = c.index;
        std::memcpy(p + c.payload_off, &kMagic, 4);
        std::memcpy(p + c.payload_off + 4, &pub, 4);
        std::memcpy(p + c.payload_off + 8, &c.seq, 8);
        std::memcpy(p + c.payload_off + 16, &now, 8);
        queue(c, p, c.tmpl.size());
        ++c.seq;
        ++k_.published;
    }
}

void Bench::stop_publishing() {
    t_stop_ = now_;
    phase_ = Phase::Draining;
}

std::uint64_t Bench::unique_total() const {
    std::uint64_t u = 0;
    for (const Conn* s : subs_) {
        for (const SeqTrack& t : s->tracks) u += t.unique;
    }
    return u;
}

void Bench::on_prepare() {
    now_ = uv_hrtime();
    if (phase_ == Phase::Publishing) {
        std::uint64_t min_delivered = UINT64_MAX;
        for (const Conn* s : subs_) min_delivered = std::min(min_delivered, s->delivered);
        // Rotate who goes first so that the backlog budget is shared fairly.
        const std::size_t n = pubs_.size();
        for (std::size_t i = 0; i < n; ++i) pump(*pubs_[(i + turn_) % n], now_, min_delivered);
        ++turn_;
        if (publishing_done()) stop_publishing();
    }
    if (phase_ == Phase::Draining) {
        bool idle = true;
        for (const Conn* p : pubs_) idle = idle && p->inflight == 0;
        if (idle && unique_total() >= k_.published * expected_per_message()) finish("complete");
    }
    std::vector<Conn*> batch;
    batch.swap(dirty_);
    for (Conn* c : batch) {
        c->dirty = false;
        flush(*c);
    }
}

void Bench::on_tick() {
    now_ = uv_hrtime();
    if (phase_ == Phase::Done) {
        close_all();
        return;
    }
    if (now_ - last_ping_ > static_cast<std::uint64_t>(kKeepAlive) * 500000000ULL) {
        last_ping_ = now_;
        std::uint8_t ping[2];
        const std::size_t n = mqtt::encode_ping(mqtt::PacketType::Pingreq, ping, sizeof ping);
        for (auto& c : conns_) {
            if (c->state == ConnState::Ready) queue(*c, ping, n);
        }
    }
    if (o_.scenario == Scenario::Storm) {
        if (phase_ == Phase::Setup) storm_launch();
        if (phase_ == Phase::Holding && now_ >= t_hold_end_) {
            if (o_.broker_pid > 0) after_ = sample_process(o_.broker_pid);
            finish("complete");
        }
        return;
    }
    if (phase_ == Phase::Draining) {
        // QoS 0 has nothing to wait for but messages in flight: give up sooner.
        const double quiet = o_.qos == 0 ? std::min(o_.drain, 1.0) : o_.drain;
        // Waiting ends after `drain` seconds in which the broker sent nothing at all: a
        // broker still working through QoS 2 handshakes is slow, not lossy.
        const std::uint64_t since = std::max(t_last_rx_, t_stop_);
        if (secs(now_ - since) > quiet) finish("drain timeout");
    }
}

void Bench::storm_launch() {
    std::uint64_t target = o_.conns;
    if (o_.connect_rate > 0) {
        target = std::min<std::uint64_t>(o_.conns, static_cast<std::uint64_t>(o_.connect_rate * secs(now_ - t_setup_)) + 1);
    }
    while (launched_ < target && pending_ < o_.max_pending && phase_ == Phase::Setup) {
        ++pending_;
        start_conn(*conns_[launched_++]);
    }
}

// --- ending ----------------------------------------------------------------------

void Bench::fail(Conn& c, const char* why) {
    if (phase_ == Phase::Done) return;
    ++k_.conn_errors;
    if (first_error_.empty()) first_error_ = why;
    (void)c;
    finish("error");
}

void Bench::finish(const char* reason) {
    if (phase_ == Phase::Done) return;
    now_ = uv_hrtime();
    if (t_stop_ == 0) t_stop_ = now_;
    t_end_ = now_;
    if (o_.broker_pid > 0 && !after_.ok) after_ = sample_process(o_.broker_pid);
    finish_reason_ = reason;
    if (std::getenv("MOTE_BENCH_DEBUG") != nullptr) {
        for (const Conn* p : pubs_) {
            std::fprintf(stderr, "debug: pub %u seq %llu inflight %u out %zu writing %d\n", p->index,
                         static_cast<unsigned long long>(p->seq), p->inflight, p->out.size(), p->writing ? 1 : 0);
        }
        for (const Conn* s : subs_) {
            std::size_t open = 0;
            for (std::uint8_t b : s->qos2_open) open += b;
            std::fprintf(stderr, "debug: sub %u QoS 2 ids awaiting PUBREL %zu, out %zu writing %d rx %zu\n", s->index,
                         open, s->out.size(), s->writing ? 1 : 0, s->rx.size());
            for (std::size_t i = 0; i < s->tracks.size(); ++i) {
                std::fprintf(stderr, "debug: sub %u from pub %zu unique %llu next %llu\n", s->index, i,
                             static_cast<unsigned long long>(s->tracks[i].unique),
                             static_cast<unsigned long long>(s->tracks[i].next));
                const SeqTrack& t = s->tracks[i];
                int shown = 0;
                for (std::uint64_t q = 0; q < t.next && shown < 5; ++q) {
                    if ((t.seen[q / 64] & (1ULL << (q % 64))) == 0) {
                        std::uint64_t e = q;
                        while (e < t.next && (t.seen[e / 64] & (1ULL << (e % 64))) == 0) ++e;
                        std::fprintf(stderr, "debug:   missing %llu..%llu\n", static_cast<unsigned long long>(q),
                                     static_cast<unsigned long long>(e - 1));
                        q = e;
                        ++shown;
                    }
                }
            }
        }
    }
    phase_ = Phase::Done;
    // A polite end: DISCONNECT everyone [MQTT-3.14.4-3], then close the sockets a
    // moment later so the writes can leave.
    std::uint8_t buf[8];
    mqtt::Disconnect d;
    const std::size_t n = mqtt::encode_disconnect(d, o_.version, buf, sizeof buf);
    for (auto& c : conns_) {
        if (c->state == ConnState::Ready) queue(*c, buf, n);
    }
    uv_timer_stop(&limit_);
    uv_timer_stop(&tick_);
    uv_timer_start(&tick_, [](uv_timer_t* t) { static_cast<Bench*>(t->data)->on_tick(); }, 300, 0);
}

void Bench::close_all() {
    for (auto& c : conns_) {
        if (!c->inited || c->state == ConnState::Closed || c->state == ConnState::Closing) continue;
        c->state = ConnState::Closing;
        uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), [](uv_handle_t* h) {
            Conn& cc = conn_of(h);
            cc.bench->on_closed(cc);
        });
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&limit_), nullptr);
}

void Bench::on_closed(Conn& c) {
    c.state = ConnState::Closed;
    ++closed_;
}

// --- run -------------------------------------------------------------------------

int Bench::run() {
    // Idle-connection storms need many descriptors: take the hard limit.
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    // Backstop to the loop's own time limit: the process dies even if the loop hangs.
    alarm(static_cast<unsigned>(o_.time_limit) + 30U);

    prepare_.data = this;
    tick_.data = this;
    limit_.data = this;
    uv_prepare_init(&loop_, &prepare_);
    uv_prepare_start(&prepare_, [](uv_prepare_t* p) { static_cast<Bench*>(p->data)->on_prepare(); });
    uv_timer_init(&loop_, &tick_);
    uv_timer_init(&loop_, &limit_);
    uv_timer_start(&limit_, [](uv_timer_t* t) {
        auto* b = static_cast<Bench*>(t->data);
        b->time_limit_hit_ = true;
        b->finish("time limit");
    }, static_cast<std::uint64_t>(o_.time_limit * 1000), 0);
    // 1 ms pacing for fixed rates and connect storms, and the drain watchdog.
    uv_timer_start(&tick_, [](uv_timer_t* t) { static_cast<Bench*>(t->data)->on_tick(); }, 1, 1);

    if (!o_.tls_cafile.empty()) {
        tls_ = std::make_unique<TlsClientConfig>();
        std::string error;
        if (!tls_->load(o_.tls_cafile, error)) {
            std::fprintf(stderr, "mote-bench: --tls: %s\n", error.c_str());
            return 2;
        }
    }
    if (o_.broker_pid > 0) baseline_ = sample_process(o_.broker_pid);
    t_setup_ = uv_hrtime();
    now_ = t_setup_;
    last_ping_ = t_setup_;
    const bool storm = o_.scenario == Scenario::Storm;
    const unsigned nsubs = storm ? 0 : o_.subs;
    const unsigned npubs = storm ? 0 : o_.pubs;
    const unsigned nidle = storm ? o_.conns : 0;
    conns_.reserve(nsubs + npubs + nidle);
    auto make = [&](Role r, unsigned idx) {
        auto c = std::make_unique<Conn>();
        c->bench = this;
        c->role = r;
        c->index = idx;
        Conn* raw = c.get();
        conns_.push_back(std::move(c));
        return raw;
    };
    for (unsigned i = 0; i < nsubs; ++i) {
        Conn* s = make(Role::Subscriber, i);
        s->tracks.resize(npubs);
        if (o_.qos == 2) s->qos2_open.assign(65536, 0);
        subs_.push_back(s);
    }
    for (unsigned i = 0; i < npubs; ++i) {
        Conn* p = make(Role::Publisher, i);
        p->window = o_.window;
        if (o_.qos > 0) p->ids.assign(65536, 0);
        build_template(*p);
        pubs_.push_back(p);
    }
    for (unsigned i = 0; i < nidle; ++i) make(Role::Idle, i);
    if (!storm) {
        for (Conn* s : subs_) start_conn(*s);
    }
    uv_run(&loop_, UV_RUN_DEFAULT);
    return report();
}

}  // namespace mote::bench
