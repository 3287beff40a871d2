// Names of reason codes and packet types, and the 5.0 -> 3.1.1 CONNACK mapping.
#include "mote/common/protocol.hpp"

namespace mote::mqtt {

ConnackCode311 to_connack_311(Reason r) {
    // 3.1.1 §3.2.2.3 has only five refusals; each 5.0 reason maps to the nearest one
    // (the same mapping 5.0 §3.2.2.2 suggests for servers that fall back).
    switch (r) {
        case Reason::Success: return ConnackCode311::Accepted;
        case Reason::UnsupportedProtocolVersion: return ConnackCode311::UnacceptableProtocolVersion;
        case Reason::ClientIdentifierNotValid: return ConnackCode311::IdentifierRejected;
        case Reason::BadUserNameOrPassword:
        case Reason::BadAuthenticationMethod: return ConnackCode311::BadUserNameOrPassword;
        case Reason::NotAuthorized:
        case Reason::Banned: return ConnackCode311::NotAuthorized;
        default: return ConnackCode311::ServerUnavailable;
    }
}

namespace {
struct ReasonName {
    Reason reason;
    const char* name;
};
constexpr ReasonName kReasonNames[] = {
    {Reason::Success, "Success"},
    {Reason::GrantedQos1, "Granted QoS 1"},
    {Reason::GrantedQos2, "Granted QoS 2"},
    {Reason::DisconnectWithWill, "Disconnect with Will Message"},
    {Reason::NoMatchingSubscribers, "No matching subscribers"},
    {Reason::NoSubscriptionExisted, "No subscription existed"},
    {Reason::ContinueAuthentication, "Continue authentication"},
    {Reason::ReAuthenticate, "Re-authenticate"},
    {Reason::UnspecifiedError, "Unspecified error"},
    {Reason::MalformedPacket, "Malformed Packet"},
    {Reason::ProtocolError, "Protocol Error"},
    {Reason::ImplementationSpecificError, "Implementation specific error"},
    {Reason::UnsupportedProtocolVersion, "Unsupported Protocol Version"},
    {Reason::ClientIdentifierNotValid, "Client Identifier not valid"},
    {Reason::BadUserNameOrPassword, "Bad User Name or Password"},
    {Reason::NotAuthorized, "Not authorized"},
    {Reason::ServerUnavailable, "Server unavailable"},
    {Reason::ServerBusy, "Server busy"},
    {Reason::Banned, "Banned"},
    {Reason::ServerShuttingDown, "Server shutting down"},
    {Reason::BadAuthenticationMethod, "Bad authentication method"},
    {Reason::KeepAliveTimeout, "Keep Alive timeout"},
    {Reason::SessionTakenOver, "Session taken over"},
    {Reason::TopicFilterInvalid, "Topic Filter invalid"},
    {Reason::TopicNameInvalid, "Topic Name invalid"},
    {Reason::PacketIdentifierInUse, "Packet Identifier in use"},
    {Reason::PacketIdentifierNotFound, "Packet Identifier not found"},
    {Reason::ReceiveMaximumExceeded, "Receive Maximum exceeded"},
    {Reason::TopicAliasInvalid, "Topic Alias invalid"},
    {Reason::PacketTooLarge, "Packet too large"},
    {Reason::MessageRateTooHigh, "Message rate too high"},
    {Reason::QuotaExceeded, "Quota exceeded"},
    {Reason::AdministrativeAction, "Administrative action"},
    {Reason::PayloadFormatInvalid, "Payload format invalid"},
    {Reason::RetainNotSupported, "Retain not supported"},
    {Reason::QosNotSupported, "QoS not supported"},
    {Reason::UseAnotherServer, "Use another server"},
    {Reason::ServerMoved, "Server moved"},
    {Reason::SharedSubscriptionsNotSupported, "Shared Subscriptions not supported"},
    {Reason::ConnectionRateExceeded, "Connection rate exceeded"},
    {Reason::MaximumConnectTime, "Maximum connect time"},
    {Reason::SubscriptionIdentifiersNotSupported, "Subscription Identifiers not supported"},
    {Reason::WildcardSubscriptionsNotSupported, "Wildcard Subscriptions not supported"},
};

constexpr const char* kTypeNames[16] = {
    "RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
    "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH",
};
}  // namespace

const char* reason_name(Reason r) {
    for (const ReasonName& n : kReasonNames) {
        if (n.reason == r) return n.name;
    }
    return "Unknown reason code";
}

const char* packet_type_name(PacketType t) {
    const auto i = static_cast<std::uint8_t>(t);
    return i < 16 ? kTypeNames[i] : "UNKNOWN";
}

}  // namespace mote::mqtt
