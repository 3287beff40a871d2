// protocol.hpp: reason and packet type names, and the 5.0 -> 3.1.1 CONNACK mapping.
#include "common/codec/codec_support.hpp"

#include <CppUTest/TestHarness.h>

#include "mote/common/protocol.hpp"

using namespace mote::mqtt;

TEST_GROUP(ProtocolNames) {};

TEST(ProtocolNames, ReasonNames) {
    STRCMP_EQUAL("Malformed Packet", reason_name(Reason::MalformedPacket));
    STRCMP_EQUAL("Protocol Error", reason_name(Reason::ProtocolError));
    STRCMP_EQUAL("Topic Alias invalid", reason_name(Reason::TopicAliasInvalid));
    STRCMP_EQUAL("Success", reason_name(Reason::Success));
    STRCMP_EQUAL("Unknown reason code", reason_name(static_cast<Reason>(0x7E)));
}

TEST(ProtocolNames, PacketTypeNames) {
    STRCMP_EQUAL("CONNECT", packet_type_name(PacketType::Connect));
    STRCMP_EQUAL("UNSUBACK", packet_type_name(PacketType::Unsuback));
    STRCMP_EQUAL("AUTH", packet_type_name(PacketType::Auth));
    STRCMP_EQUAL("UNKNOWN", packet_type_name(static_cast<PacketType>(16)));
}

TEST(ProtocolNames, ConnackMappingFor311) {
    // 3.1.1 §3.2.2.3 return codes.
    CHECK_EQUAL(0, static_cast<int>(to_connack_311(Reason::Success)));
    CHECK_EQUAL(1, static_cast<int>(to_connack_311(Reason::UnsupportedProtocolVersion)));
    CHECK_EQUAL(2, static_cast<int>(to_connack_311(Reason::ClientIdentifierNotValid)));
    CHECK_EQUAL(3, static_cast<int>(to_connack_311(Reason::ServerBusy)));
    CHECK_EQUAL(4, static_cast<int>(to_connack_311(Reason::BadUserNameOrPassword)));
    CHECK_EQUAL(5, static_cast<int>(to_connack_311(Reason::NotAuthorized)));
    CHECK_EQUAL(5, static_cast<int>(to_connack_311(Reason::Banned)));
}

TEST(ProtocolNames, ErrorValue) {
    CHECK_FALSE(static_cast<bool>(kOk));
    const Error e{Reason::MalformedPacket, "x"};
    CHECK_TRUE(static_cast<bool>(e));
    CHECK_TRUE(is_error(Reason::MalformedPacket));
    CHECK_FALSE(is_error(Reason::GrantedQos2));
}
