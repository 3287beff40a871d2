// Decoded and to-be-encoded MQTT control packets. Every Bytes and Properties member
// is a view: for a decoded packet, into the buffer given to decode(); for a packet
// being encoded, into whatever the caller owns until encode() returns. All types are
// trivially copyable so that Packet can hold them in a union.
#pragma once

#include <cstddef>
#include <cstdint>

#include "mote/common/bytes.hpp"
#include "mote/common/properties.hpp"
#include "mote/common/protocol.hpp"

namespace mote::mqtt {

struct Will {
    std::uint8_t qos = 0;
    bool retain = false;
    Bytes topic;
    Bytes payload;
    Properties props;  // 5.0 only: Will Properties
};

struct Connect {
    Version version = Version::V5;
    Bytes protocol_name;  // "MQTT" (3.1.1, 5.0) or "MQIsdp" (3.1)
    bool clean_start = true;  // Clean Session in 3.1/3.1.1
    std::uint16_t keep_alive = 0;
    Properties props;
    Bytes client_id;
    bool has_will = false;
    Will will;
    bool has_username = false;
    Bytes username;
    bool has_password = false;
    Bytes password;
    // try_private, a mosquitto convention that no MQTT spec defines: a bridge sets
    // bit 7 of a 3.1 or 3.1.1 Protocol Level (0x83, 0x84) to tell the server it is a
    // bridge, which then treats its subscriptions as No Local and Retain As Published.
    // The decoder sets it from 0x83/0x84. 5.0 has no such level (a 5.0 bridge uses
    // No Local [MQTT-3.8.3-3] instead, and mosquitto 2.0 refuses 0x85), so for 5.0
    // the decoder never sets it and the encoder ignores it: encoding stays total.
    bool bridge = false;
};

struct Connack {
    bool session_present = false;
    // 5.0: a Reason; 3.1/3.1.1: a ConnackCode311 value.
    std::uint8_t code = 0;
    Properties props;
};

struct Publish {
    std::uint8_t qos = 0;
    bool dup = false;
    bool retain = false;
    Bytes topic;  // may be empty in 5.0 when a Topic Alias is present
    std::uint16_t packet_id = 0;  // only when qos > 0
    Properties props;
    Bytes payload;
};

// PUBACK, PUBREC, PUBREL and PUBCOMP share one shape.
struct Ack {
    std::uint16_t packet_id = 0;
    Reason reason = Reason::Success;  // always Success for 3.1.1
    Properties props;
};

// Subscription Options byte (§3.8.3.1). For 3.1.1 only `qos` is used.
struct SubscribeOptions {
    std::uint8_t qos = 0;
    bool no_local = false;
    bool retain_as_published = false;
    std::uint8_t retain_handling = 0;  // 0, 1 or 2

    // §3.8.3.1: bits 0-1 QoS, bit 2 No Local, bit 3 Retain As Published, bits 4-5
    // Retain Handling, bits 6-7 reserved (0).
    std::uint8_t to_byte() const {
        return static_cast<std::uint8_t>((qos & 3u) | (no_local ? 0x04u : 0u) | (retain_as_published ? 0x08u : 0u) |
                                         ((retain_handling & 3u) << 4));
    }
    static SubscribeOptions from_byte(std::uint8_t b) {
        SubscribeOptions o;
        o.qos = static_cast<std::uint8_t>(b & 3u);
        o.no_local = (b & 0x04u) != 0;
        o.retain_as_published = (b & 0x08u) != 0;
        o.retain_handling = static_cast<std::uint8_t>((b >> 4) & 3u);
        return o;
    }
};

struct SubscribeEntry {
    Bytes filter;
    SubscribeOptions options;
};

namespace detail {
// A wire entry is a two-byte length and the filter, plus the options byte in a
// SUBSCRIBE. The decoder validated the list, so these reads stay inside it.
inline std::size_t filter_len(Bytes raw, std::size_t off) {
    return static_cast<std::size_t>((raw[off] << 8) | raw[off + 1]);
}
inline void read_entry(Bytes raw, std::size_t off, Bytes& out) { out = raw.sub(off + 2, filter_len(raw, off)); }
inline void read_entry(Bytes raw, std::size_t off, SubscribeEntry& out) {
    const std::size_t n = filter_len(raw, off);
    out.filter = raw.sub(off + 2, n);
    out.options = SubscribeOptions::from_byte(raw[off + 2 + n]);
}
constexpr std::size_t tail_size(const Bytes*) { return 0; }
constexpr std::size_t tail_size(const SubscribeEntry*) { return 1; }
}  // namespace detail

// A list of topic filters (with options for SUBSCRIBE). Either a validated view of
// the payload of a decoded packet, or an array owned by the caller for encoding.
// The iterator is inline so that an encoder walking a caller's array compiles to
// little more than the array walk.
template <typename Entry>
class EntryList {
public:
    constexpr EntryList() = default;
    static EntryList from_array(const Entry* items, std::size_t count) { return EntryList(items, Bytes(), count); }
    static EntryList from_wire(Bytes raw, std::size_t count) { return EntryList(nullptr, raw, count); }
    std::size_t size() const { return count_; }
    bool from_wire() const { return items_ == nullptr; }
    Bytes raw() const { return raw_; }

    class Iterator {
    public:
        Iterator(const EntryList* list, std::size_t index, std::size_t offset)
            : list_(list), index_(index), offset_(offset) {}
        Entry operator*() const {
            if (!list_->from_wire()) return list_->items_[index_];
            Entry e{};
            detail::read_entry(list_->raw_, offset_, e);
            return e;
        }
        Iterator& operator++() {
            if (list_->from_wire()) {
                offset_ += 2 + detail::filter_len(list_->raw_, offset_) +
                           detail::tail_size(static_cast<const Entry*>(nullptr));
            }
            ++index_;
            return *this;
        }
        bool operator!=(const Iterator& o) const { return index_ != o.index_; }

    private:
        const EntryList* list_;
        std::size_t index_;
        std::size_t offset_;  // position in raw_ for wire lists
    };
    Iterator begin() const { return Iterator(this, 0, 0); }
    Iterator end() const { return Iterator(this, count_, raw_.size); }

private:
    constexpr EntryList(const Entry* items, Bytes raw, std::size_t count) : items_(items), raw_(raw), count_(count) {}
    const Entry* items_ = nullptr;
    Bytes raw_;
    std::size_t count_ = 0;
};

using SubscribeList = EntryList<SubscribeEntry>;
using UnsubscribeList = EntryList<Bytes>;

struct Subscribe {
    std::uint16_t packet_id = 0;
    Properties props;
    SubscribeList entries;
};

// SUBACK and UNSUBACK: one reason code per requested filter. For 3.1.1 SUBACK the
// codes are 0, 1, 2 or 0x80; a 3.1.1 UNSUBACK has none.
struct SubackLike {
    std::uint16_t packet_id = 0;
    Properties props;
    Bytes codes;
};

struct Unsubscribe {
    std::uint16_t packet_id = 0;
    Properties props;
    UnsubscribeList filters;
};

struct Disconnect {
    Reason reason = Reason::Success;
    Properties props;
};

struct Auth {
    Reason reason = Reason::Success;
    Properties props;
};

// Any control packet. `type` says which member of the union is live; PINGREQ and
// PINGRESP carry nothing; Ack is used for PUBACK/PUBREC/PUBREL/PUBCOMP and
// SubackLike for SUBACK/UNSUBACK.
struct Packet {
    PacketType type = PacketType::Reserved;
    union {
        Connect connect;
        Connack connack;
        Publish publish;
        Ack ack;
        Subscribe subscribe;
        SubackLike suback;
        Unsubscribe unsubscribe;
        Disconnect disconnect;
        Auth auth;
    };
    Packet() : connect() {}
};

// Helpers that build a Packet of one type.
Packet make_packet(const Connect& p);
Packet make_packet(const Connack& p);
Packet make_packet(const Publish& p);
Packet make_ack(PacketType type, const Ack& p);  // PUBACK..PUBCOMP
Packet make_packet(const Subscribe& p);
Packet make_suback(PacketType type, const SubackLike& p);  // SUBACK or UNSUBACK
Packet make_packet(const Unsubscribe& p);
Packet make_packet(const Disconnect& p);
Packet make_packet(const Auth& p);
Packet make_ping(PacketType type);  // PINGREQ or PINGRESP

}  // namespace mote::mqtt
