// Protocol constants shared by MQTT 3.1, 3.1.1 and 5.0: versions, packet types and
// reason codes. A Reason doubles as the error value of every decoder.
#pragma once

#include <cstdint>

namespace mote::mqtt {

// The CONNECT protocol level. 3 is MQTT 3.1 ("MQIsdp"), 4 is 3.1.1, 5 is 5.0.
enum class Version : std::uint8_t { V3_1 = 3, V3_1_1 = 4, V5 = 5 };

constexpr bool is_v5(Version v) { return v == Version::V5; }

enum class PacketType : std::uint8_t {
    Reserved = 0,
    Connect = 1,
    Connack = 2,
    Publish = 3,
    Puback = 4,
    Pubrec = 5,
    Pubrel = 6,
    Pubcomp = 7,
    Subscribe = 8,
    Suback = 9,
    Unsubscribe = 10,
    Unsuback = 11,
    Pingreq = 12,
    Pingresp = 13,
    Disconnect = 14,
    Auth = 15,
};

// MQTT 5.0 reason codes (§2.4). Used on the wire for 5.0 and internally for every
// version as the value that says what went wrong; version-specific replies are
// derived from it by the connection layer.
enum class Reason : std::uint8_t {
    Success = 0x00,  // also Normal Disconnection and Granted QoS 0
    GrantedQos1 = 0x01,
    GrantedQos2 = 0x02,
    DisconnectWithWill = 0x04,
    NoMatchingSubscribers = 0x10,
    NoSubscriptionExisted = 0x11,
    ContinueAuthentication = 0x18,
    ReAuthenticate = 0x19,
    UnspecifiedError = 0x80,
    MalformedPacket = 0x81,
    ProtocolError = 0x82,
    ImplementationSpecificError = 0x83,
    UnsupportedProtocolVersion = 0x84,
    ClientIdentifierNotValid = 0x85,
    BadUserNameOrPassword = 0x86,
    NotAuthorized = 0x87,
    ServerUnavailable = 0x88,
    ServerBusy = 0x89,
    Banned = 0x8A,
    ServerShuttingDown = 0x8B,
    BadAuthenticationMethod = 0x8C,
    KeepAliveTimeout = 0x8D,
    SessionTakenOver = 0x8E,
    TopicFilterInvalid = 0x8F,
    TopicNameInvalid = 0x90,
    PacketIdentifierInUse = 0x91,
    PacketIdentifierNotFound = 0x92,
    ReceiveMaximumExceeded = 0x93,
    TopicAliasInvalid = 0x94,
    PacketTooLarge = 0x95,
    MessageRateTooHigh = 0x96,
    QuotaExceeded = 0x97,
    AdministrativeAction = 0x98,
    PayloadFormatInvalid = 0x99,
    RetainNotSupported = 0x9A,
    QosNotSupported = 0x9B,
    UseAnotherServer = 0x9C,
    ServerMoved = 0x9D,
    SharedSubscriptionsNotSupported = 0x9E,
    ConnectionRateExceeded = 0x9F,
    MaximumConnectTime = 0xA0,
    SubscriptionIdentifiersNotSupported = 0xA1,
    WildcardSubscriptionsNotSupported = 0xA2,
};

// True for codes >= 0x80 (failures), as the spec defines them.
constexpr bool is_error(Reason r) { return static_cast<std::uint8_t>(r) >= 0x80; }

// MQTT 3.1/3.1.1 CONNACK return codes (§3.2.2.3 of 3.1.1).
enum class ConnackCode311 : std::uint8_t {
    Accepted = 0,
    UnacceptableProtocolVersion = 1,
    IdentifierRejected = 2,
    ServerUnavailable = 3,
    BadUserNameOrPassword = 4,
    NotAuthorized = 5,
};

// The 3.1.1 CONNACK code closest to a 5.0 reason, for replying to old clients.
ConnackCode311 to_connack_311(Reason r);

// A short English name for a reason code, for logs ("Malformed Packet").
const char* reason_name(Reason r);
const char* packet_type_name(PacketType t);

// MOTE_ERROR_CAUSES: 1 (default) gives each Error a readable `cause`; 0 (firmware
// images) makes every cause "" and saves the strings. It must be the same in every
// translation unit (mote_common sets it as a PUBLIC compile definition).
#ifndef MOTE_ERROR_CAUSES
#define MOTE_ERROR_CAUSES 1
#endif

// A protocol error as a value: the reason code chosen where the fault was found, and
// a static human-readable cause. `cause` always points at a string literal.
#if MOTE_ERROR_CAUSES
struct Error {
    Reason reason = Reason::Success;
    const char* cause = "";

    constexpr bool ok() const { return reason == Reason::Success; }
    constexpr explicit operator bool() const { return !ok(); }  // true when it is an error
};
#else
// Without causes an Error is its reason code alone, which the ARM calling convention
// returns in a register instead of through memory, in every decoder. It is padded to
// a word: as a one-byte struct, GCC -Os for Thumb-1 loads each constant Error from a
// literal in flash instead of using an immediate.
struct alignas(4) Error {
    static constexpr const char* cause = "";
    Reason reason = Reason::Success;

    constexpr Error() = default;
    constexpr Error(Reason r, const char*) : reason(r) {}

    constexpr bool ok() const { return reason == Reason::Success; }
    constexpr explicit operator bool() const { return !ok(); }  // true when it is an error
};
#endif

constexpr Error kOk{};

// Sizes fixed by the specifications.
constexpr std::uint32_t kMaxRemainingLength = 268435455;  // 0xFFFFFF7F, 4-byte VBI
constexpr std::uint32_t kMaxVarInt = 268435455;
constexpr std::uint16_t kMaxTopicAlias = 0xFFFF;

}  // namespace mote::mqtt
