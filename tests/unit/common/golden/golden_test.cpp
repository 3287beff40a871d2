// Golden bytes from independent MQTT implementations: decode() reads what real
// clients send, with the expected field values, and encode() of the decoded packet
// reproduces the bytes exactly (STYLE.md rule 18).
//
// Produced by tests/golden/capture_all.sh (capture.py as the server on a free
// loopback port) on Debian 12 with:
//   mosquitto-clients 2.0.11 (mosquitto_pub / mosquitto_sub, libmosquitto 2.0.11)
//   Eclipse Paho C++ libpaho-mqttpp3 1.2.0-2 over Paho C libpaho-mqtt3 1.3.12-1
//   (tests/golden/paho_capture.cpp). The full capture is tests/golden/captured.txt.
// Each block below names the command line; PORT was the capture's port.
#include "common/codec/codec_support.hpp"

#include <CppUTest/TestHarness.h>

#include "mote/common/codec.hpp"
#include "mote/common/properties.hpp"

using namespace mote::mqtt;
using namespace mote::mqtt::test;

namespace {

// mosquitto_pub -h 127.0.0.1 -p PORT -V mqttv311 -i golden-pub -q 1 -t golden/t -m hello --will-topic golden/will --will-payload bye --will-qos 1 --will-retain -u user -P pass
const char* const kMosqPub311_Connect =
    "10 34 00 04 4D 51 54 54 04 EE 00 3C 00 0A 67 6F 6C 64 65 6E 2D 70 75 62 "
    "00 0B 67 6F 6C 64 65 6E 2F 77 69 6C 6C 00 03 62 79 65 00 04 75 73 65 72 "
    "00 04 70 61 73 73";
const char* const kMosqPub311_Publish =
    "32 11 00 08 67 6F 6C 64 65 6E 2F 74 00 01 68 65 6C 6C 6F";
const char* const kMosqPub311_Disconnect =
    "E0 00";

// mosquitto_pub -h 127.0.0.1 -p PORT -V mqttv5 -i golden-pub5 -q 2 -t golden/t -m hello -k 30 --will-topic golden/will --will-payload bye --will-qos 1 -D connect session-expiry-interval 60 -D connect receive-maximum 10 -D will will-delay-interval 5 -D will content-type text/plain -D publish user-property k v -D publish content-type text/plain -D publish message-expiry-interval 30
const char* const kMosqPub5_Connect =
    "10 45 00 04 4D 51 54 54 05 0E 00 1E 08 11 00 00 00 3C 21 00 0A 00 0B 67 "
    "6F 6C 64 65 6E 2D 70 75 62 35 12 18 00 00 00 05 03 00 0A 74 65 78 74 2F "
    "70 6C 61 69 6E 00 0B 67 6F 6C 64 65 6E 2F 77 69 6C 6C 00 03 62 79 65";
const char* const kMosqPub5_Publish =
    "34 2B 00 08 67 6F 6C 64 65 6E 2F 74 00 01 19 26 00 01 6B 00 01 76 03 00 "
    "0A 74 65 78 74 2F 70 6C 61 69 6E 02 00 00 00 1E 68 65 6C 6C 6F";
const char* const kMosqPub5_Pubrel =
    "62 02 00 01";
const char* const kMosqPub5_Disconnect =
    "E0 00";

// mosquitto_sub -h 127.0.0.1 -p PORT -V mqttv311 -i golden-sub -q 2 -t golden/t -t golden/+/x -C 1
const char* const kMosqSub311_Connect =
    "10 16 00 04 4D 51 54 54 04 02 00 3C 00 0A 67 6F 6C 64 65 6E 2D 73 75 62";
const char* const kMosqSub311_Subscribe =
    "82 1A 00 01 00 08 67 6F 6C 64 65 6E 2F 74 02 00 0A 67 6F 6C 64 65 6E 2F "
    "2B 2F 78 02";
const char* const kMosqSub311_Disconnect =
    "E0 00";

// mosquitto_sub -h 127.0.0.1 -p PORT -V mqttv5 -i golden-sub5 -q 1 -t golden/t -t golden/# -C 1 -D subscribe subscription-identifier 7 -D subscribe user-property a b
const char* const kMosqSub5_Connect =
    "10 1B 00 04 4D 51 54 54 05 02 00 3C 03 21 00 01 00 0B 67 6F 6C 64 65 6E "
    "2D 73 75 62 35";
const char* const kMosqSub5_Subscribe =
    "82 22 00 01 09 0B 07 26 00 01 61 00 01 62 00 08 67 6F 6C 64 65 6E 2F 74 "
    "01 00 08 67 6F 6C 64 65 6E 2F 23 01";
const char* const kMosqSub5_Disconnect =
    "E0 00";

// paho_capture PORT 4
const char* const kPaho311_Connect =
    "10 38 00 04 4D 51 54 54 04 EE 00 2D 00 0B 67 6F 6C 64 65 6E 2D 70 61 68 "
    "6F 00 0B 67 6F 6C 64 65 6E 2F 77 69 6C 6C 00 04 67 6F 6E 65 00 04 70 61 "
    "68 6F 00 06 73 65 63 72 65 74";
const char* const kPaho311_Subscribe =
    "82 11 00 01 00 0C 67 6F 6C 64 65 6E 2F 73 75 62 2F 23 02";
const char* const kPaho311_Publish =
    "34 19 00 0B 67 6F 6C 64 65 6E 2F 70 61 68 6F 00 02 7B 22 74 22 3A 32 31 "
    "2E 35 7D";
const char* const kPaho311_Pubrel =
    "62 02 00 02";
const char* const kPaho311_Unsubscribe =
    "A2 10 00 03 00 0C 67 6F 6C 64 65 6E 2F 73 75 62 2F 23";
const char* const kPaho311_Disconnect =
    "E0 00";

// paho_capture PORT 5
const char* const kPaho5_Connect =
    "10 5E 00 04 4D 51 54 54 05 EE 00 2D 1C 11 00 00 01 2C 21 00 10 27 00 01 "
    "00 00 26 00 06 63 6C 69 65 6E 74 00 04 70 61 68 6F 00 0C 67 6F 6C 64 65 "
    "6E 2D 70 61 68 6F 35 07 18 00 00 00 0A 01 01 00 0B 67 6F 6C 64 65 6E 2F "
    "77 69 6C 6C 00 04 67 6F 6E 65 00 04 70 61 68 6F 00 06 73 65 63 72 65 74";
const char* const kPaho5_Subscribe =
    "82 14 00 01 02 0B 2A 00 0C 67 6F 6C 64 65 6E 2F 73 75 62 2F 23 2E";
const char* const kPaho5_Publish =
    "34 54 00 0B 67 6F 6C 64 65 6E 2F 70 61 68 6F 00 02 3A 01 01 02 00 00 00 "
    "78 03 00 10 61 70 70 6C 69 63 61 74 69 6F 6E 2F 6A 73 6F 6E 08 00 0C 67 "
    "6F 6C 64 65 6E 2F 72 65 70 6C 79 09 00 04 69 64 2D 31 26 00 04 75 6E 69 "
    "74 00 01 43 7B 22 74 22 3A 32 31 2E 35 7D";
const char* const kPaho5_Pubrel =
    "62 02 00 02";
const char* const kPaho5_Unsubscribe =
    "A2 11 00 03 00 00 0C 67 6F 6C 64 65 6E 2F 73 75 62 2F 23";
const char* const kPaho5_Disconnect =
    "E0 02 00 00";

struct Golden {
    const char* name;
    const char* hex;
    Version version;
};

// Every captured client packet (all sent by a client).
const Golden kAll[] = {
    {"mosquitto_pub 3.1.1 CONNECT", kMosqPub311_Connect, Version::V3_1_1},
    {"mosquitto_pub 3.1.1 PUBLISH", kMosqPub311_Publish, Version::V3_1_1},
    {"mosquitto_pub 3.1.1 DISCONNECT", kMosqPub311_Disconnect, Version::V3_1_1},
    {"mosquitto_pub 5 CONNECT", kMosqPub5_Connect, Version::V5},
    {"mosquitto_pub 5 PUBLISH", kMosqPub5_Publish, Version::V5},
    {"mosquitto_pub 5 PUBREL", kMosqPub5_Pubrel, Version::V5},
    {"mosquitto_pub 5 DISCONNECT", kMosqPub5_Disconnect, Version::V5},
    {"mosquitto_sub 3.1.1 CONNECT", kMosqSub311_Connect, Version::V3_1_1},
    {"mosquitto_sub 3.1.1 SUBSCRIBE", kMosqSub311_Subscribe, Version::V3_1_1},
    {"mosquitto_sub 3.1.1 DISCONNECT", kMosqSub311_Disconnect, Version::V3_1_1},
    {"mosquitto_sub 5 CONNECT", kMosqSub5_Connect, Version::V5},
    {"mosquitto_sub 5 SUBSCRIBE", kMosqSub5_Subscribe, Version::V5},
    {"mosquitto_sub 5 DISCONNECT", kMosqSub5_Disconnect, Version::V5},
    {"paho 3.1.1 CONNECT", kPaho311_Connect, Version::V3_1_1},
    {"paho 3.1.1 SUBSCRIBE", kPaho311_Subscribe, Version::V3_1_1},
    {"paho 3.1.1 PUBLISH", kPaho311_Publish, Version::V3_1_1},
    {"paho 3.1.1 PUBREL", kPaho311_Pubrel, Version::V3_1_1},
    {"paho 3.1.1 UNSUBSCRIBE", kPaho311_Unsubscribe, Version::V3_1_1},
    {"paho 3.1.1 DISCONNECT", kPaho311_Disconnect, Version::V3_1_1},
    {"paho 5 CONNECT", kPaho5_Connect, Version::V5},
    {"paho 5 SUBSCRIBE", kPaho5_Subscribe, Version::V5},
    {"paho 5 PUBLISH", kPaho5_Publish, Version::V5},
    {"paho 5 PUBREL", kPaho5_Pubrel, Version::V5},
    {"paho 5 UNSUBSCRIBE", kPaho5_Unsubscribe, Version::V5},
};

}  // namespace

TEST_GROUP(Golden) {};

TEST(Golden, EveryCapturedPacketDecodesAndReEncodesByteForByte) {
    for (const Golden& g : kAll) {
        Decoded d = decode_hex_full(g.hex, g.version, Role::Client);
        CHECK_EQUAL_TEXT(static_cast<int>(Reason::Success), static_cast<int>(d.e.reason), g.name);
        const ByteVec again = encode_vec(d.p, g.version);
        STRCMP_EQUAL_TEXT(to_hex(hex(g.hex)).c_str(), to_hex(again).c_str(), g.name);
        sweep(hex(g.hex), opts(g.version, Role::Client), Prefixes::MayBeShorterPacket);
    }
}

TEST(Golden, PahoV5DisconnectUsesTheLongFormOfSuccess) {
    // Paho sends reason 0x00 with an empty Property Length; §3.14.2.1 lets both be
    // omitted, and Mote's encoder writes that shorter canonical form.
    Decoded d = decode_hex_full(kPaho5_Disconnect, Version::V5);
    CHECK_TRUE(d.e.ok());
    CHECK_TRUE(d.p.disconnect.reason == Reason::Success);
    CHECK_TRUE(d.p.disconnect.props.empty());
    STRCMP_EQUAL("E0 00", to_hex(encode_vec(d.p, Version::V5)).c_str());
}

TEST(Golden, MosquittoPub311ConnectWithWillAndCredentials) {
    Decoded d = decode_hex_full(kMosqPub311_Connect, Version::V3_1_1);
    CHECK_TRUE(d.e.ok());
    const Connect& c = d.p.connect;
    CHECK_TRUE(c.version == Version::V3_1_1);
    CHECK_TRUE(c.clean_start);
    CHECK_EQUAL(60, c.keep_alive);
    CHECK_TRUE(c.client_id == Bytes::of("golden-pub"));
    CHECK_TRUE(c.has_will);
    CHECK_EQUAL(1, c.will.qos);
    CHECK_TRUE(c.will.retain);
    CHECK_TRUE(c.will.topic == Bytes::of("golden/will"));
    CHECK_TRUE(c.will.payload == Bytes::of("bye"));
    CHECK_TRUE(c.has_username && c.username == Bytes::of("user"));
    CHECK_TRUE(c.has_password && c.password == Bytes::of("pass"));
    Decoded p = decode_hex_full(kMosqPub311_Publish, Version::V3_1_1);
    CHECK_TRUE(p.e.ok());
    CHECK_EQUAL(1, p.p.publish.qos);
    CHECK_EQUAL(1, p.p.publish.packet_id);
    CHECK_TRUE(p.p.publish.topic == Bytes::of("golden/t"));
    CHECK_TRUE(p.p.publish.payload == Bytes::of("hello"));
}

TEST(Golden, MosquittoPub5ConnectAndQos2Publish) {
    Decoded d = decode_hex_full(kMosqPub5_Connect, Version::V5);
    CHECK_TRUE(d.e.ok());
    const Connect& c = d.p.connect;
    CHECK_TRUE(c.version == Version::V5);
    CHECK_EQUAL(30, c.keep_alive);
    CHECK_EQUAL(60u, c.props.number(PropertyId::SessionExpiryInterval, 0));
    CHECK_EQUAL(10u, c.props.number(PropertyId::ReceiveMaximum, 0));
    CHECK_TRUE(c.has_will);
    CHECK_EQUAL(1, c.will.qos);
    CHECK_FALSE(c.will.retain);
    CHECK_EQUAL(5u, c.will.props.number(PropertyId::WillDelayInterval, 0));
    CHECK_TRUE(c.will.props.bytes(PropertyId::ContentType) == Bytes::of("text/plain"));
    CHECK_FALSE(c.has_username);

    Decoded p = decode_hex_full(kMosqPub5_Publish, Version::V5);
    CHECK_TRUE(p.e.ok());
    const Publish& m = p.p.publish;
    CHECK_EQUAL(2, m.qos);
    CHECK_EQUAL(1, m.packet_id);
    CHECK_EQUAL(30u, m.props.number(PropertyId::MessageExpiryInterval, 0));
    CHECK_TRUE(m.props.bytes(PropertyId::ContentType) == Bytes::of("text/plain"));
    Property user;
    CHECK_TRUE(m.props.find(PropertyId::UserProperty, user));
    CHECK_TRUE(user.key == Bytes::of("k") && user.value == Bytes::of("v"));
    CHECK_TRUE(m.payload == Bytes::of("hello"));
    Decoded r = decode_hex_full(kMosqPub5_Pubrel, Version::V5);
    CHECK_TRUE(r.e.ok());
    CHECK_TRUE(r.p.type == PacketType::Pubrel);
    CHECK_EQUAL(1, r.p.ack.packet_id);
}

TEST(Golden, MosquittoSubSubscribes) {
    Decoded d = decode_hex_full(kMosqSub311_Subscribe, Version::V3_1_1);
    CHECK_TRUE(d.e.ok());
    CHECK_EQUAL(2u, d.p.subscribe.entries.size());
    auto it = d.p.subscribe.entries.begin();
    CHECK_TRUE((*it).filter == Bytes::of("golden/t"));
    CHECK_EQUAL(2, (*it).options.qos);
    ++it;
    CHECK_TRUE((*it).filter == Bytes::of("golden/+/x"));

    Decoded d5 = decode_hex_full(kMosqSub5_Subscribe, Version::V5);
    CHECK_TRUE(d5.e.ok());
    CHECK_EQUAL(7u, d5.p.subscribe.props.number(PropertyId::SubscriptionIdentifier, 0));
    CHECK_TRUE(d5.p.subscribe.props.has(PropertyId::UserProperty));
    CHECK_EQUAL(2u, d5.p.subscribe.entries.size());
    auto it5 = d5.p.subscribe.entries.begin();
    ++it5;
    CHECK_TRUE((*it5).filter == Bytes::of("golden/#"));
    CHECK_EQUAL(1, (*it5).options.qos);
    Decoded c5 = decode_hex_full(kMosqSub5_Connect, Version::V5);
    CHECK_TRUE(c5.e.ok());
    CHECK_EQUAL(1u, c5.p.connect.props.number(PropertyId::ReceiveMaximum, 0));
}

TEST(Golden, PahoV5ConnectSubscribeOptionsAndPublishProperties) {
    Decoded d = decode_hex_full(kPaho5_Connect, Version::V5);
    CHECK_TRUE(d.e.ok());
    const Connect& c = d.p.connect;
    CHECK_EQUAL(45, c.keep_alive);
    CHECK_EQUAL(300u, c.props.number(PropertyId::SessionExpiryInterval, 0));
    CHECK_EQUAL(16u, c.props.number(PropertyId::ReceiveMaximum, 0));
    CHECK_EQUAL(65536u, c.props.number(PropertyId::MaximumPacketSize, 0));
    CHECK_TRUE(c.client_id == Bytes::of("golden-paho5"));
    CHECK_TRUE(c.will.retain);
    CHECK_EQUAL(10u, c.will.props.number(PropertyId::WillDelayInterval, 0));
    CHECK_EQUAL(1u, c.will.props.number(PropertyId::PayloadFormatIndicator, 0));
    CHECK_TRUE(c.username == Bytes::of("paho") && c.password == Bytes::of("secret"));

    // No Local, Retain As Published, Retain Handling 2 ("don't send"), QoS 2 (§3.8.3.1).
    Decoded s = decode_hex_full(kPaho5_Subscribe, Version::V5);
    CHECK_TRUE(s.e.ok());
    CHECK_EQUAL(42u, s.p.subscribe.props.number(PropertyId::SubscriptionIdentifier, 0));
    const SubscribeEntry e = *s.p.subscribe.entries.begin();
    CHECK_TRUE(e.filter == Bytes::of("golden/sub/#"));
    CHECK_EQUAL(2, e.options.qos);
    CHECK_TRUE(e.options.no_local);
    CHECK_TRUE(e.options.retain_as_published);
    CHECK_EQUAL(2, e.options.retain_handling);

    Decoded p = decode_hex_full(kPaho5_Publish, Version::V5);
    CHECK_TRUE(p.e.ok());
    const Publish& m = p.p.publish;
    CHECK_EQUAL(2, m.qos);
    CHECK_EQUAL(1u, m.props.number(PropertyId::PayloadFormatIndicator, 0));
    CHECK_EQUAL(120u, m.props.number(PropertyId::MessageExpiryInterval, 0));
    CHECK_TRUE(m.props.bytes(PropertyId::ContentType) == Bytes::of("application/json"));
    CHECK_TRUE(m.props.bytes(PropertyId::ResponseTopic) == Bytes::of("golden/reply"));
    CHECK_TRUE(m.props.bytes(PropertyId::CorrelationData) == Bytes::of("id-1"));
    CHECK_TRUE(m.payload == Bytes::of("{\"t\":21.5}"));

    Decoded u = decode_hex_full(kPaho5_Unsubscribe, Version::V5);
    CHECK_TRUE(u.e.ok());
    CHECK_EQUAL(1u, u.p.unsubscribe.filters.size());
    CHECK_TRUE(*u.p.unsubscribe.filters.begin() == Bytes::of("golden/sub/#"));
}

TEST(Golden, Paho311Publish) {
    Decoded p = decode_hex_full(kPaho311_Publish, Version::V3_1_1);
    CHECK_TRUE(p.e.ok());
    CHECK_EQUAL(2, p.p.publish.qos);
    CHECK_EQUAL(2, p.p.publish.packet_id);
    CHECK_TRUE(p.p.publish.topic == Bytes::of("golden/paho"));
}
