// Interop with Eclipse Paho C++ (libpaho-mqttpp3, OpenSSL) over TLS, MQTT 3.1.1
// and 5.0, against mote-broker's TLS listener (docs/tls.md).
//
//   paho_tls HOST PORT CAFILE [CERTFILE KEYFILE]
//
// For each protocol version: connect to ssl://HOST:PORT verifying the server
// certificate against CAFILE (and presenting CERTFILE/KEYFILE when given),
// subscribe, publish N messages at QoS 0, 1 and 2 and check that every message
// arrives once and in order ([MQTT-4.6.0-5]); a large payload (200 KB, several TLS
// records) arrives intact. Prints what failed; the exit status is the number of
// failures. Started by tests/interop/test_tls.py.
#include <mqtt/async_client.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;

constexpr int kMessages = 30;
int g_failures = 0;

void fail(const std::string& what) {
    std::fprintf(stderr, "FAIL: %s\n", what.c_str());
    ++g_failures;
}

void ok(const std::string& what) { std::printf("ok: %s\n", what.c_str()); }

const char* version_name(int v) { return v == MQTTVERSION_5 ? "5.0" : "3.1.1"; }

std::vector<mqtt::const_message_ptr> receive(mqtt::async_client& c, int n) {
    std::vector<mqtt::const_message_ptr> got;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (static_cast<int>(got.size()) < n && std::chrono::steady_clock::now() < deadline) {
        mqtt::const_message_ptr m;
        if (c.try_consume_message_for(&m, 200ms) && m) {
            got.push_back(m);
        }
    }
    return got;
}

void roundtrip(const std::string& uri, int version, const mqtt::ssl_options& ssl) {
    const std::string tag = version_name(version);
    mqtt::async_client c(uri, std::string("paho-tls-") + tag, mqtt::create_options(version));
    mqtt::connect_options_builder b;
    b.mqtt_version(version).keep_alive_interval(30s).connect_timeout(5s).ssl(ssl);
    if (version == MQTTVERSION_5) {
        b.clean_start(true);
    } else {
        b.clean_session(true);
    }
    c.start_consuming();
    c.connect(b.finalize())->wait();
    for (int qos = 0; qos <= 2; ++qos) {
        const std::string topic = "tls/" + tag + "/qos" + std::to_string(qos);
        c.subscribe(topic, qos)->wait();
        for (int i = 0; i < kMessages; ++i) {
            c.publish(topic, "m" + std::to_string(i), qos, false)->wait();
        }
        const auto got = receive(c, kMessages);
        bool good = static_cast<int>(got.size()) == kMessages;
        for (std::size_t i = 0; good && i < got.size(); ++i) {
            good = got[i]->to_string() == "m" + std::to_string(i) && got[i]->get_qos() == qos;
        }
        if (good) {
            ok(tag + " over TLS QoS " + std::to_string(qos) + ": " + std::to_string(kMessages) +
               " messages once each, in order");
        } else {
            fail(tag + " over TLS QoS " + std::to_string(qos) + ": received " + std::to_string(got.size()) +
                 " of " + std::to_string(kMessages) + " or out of order");
        }
    }
    const std::string big(200 * 1024, 'x');
    const std::string topic = "tls/" + tag + "/big";
    c.subscribe(topic, 1)->wait();
    c.publish(topic, big, 1, false)->wait();
    const auto got = receive(c, 1);
    if (got.size() == 1 && got[0]->to_string() == big) {
        ok(tag + " over TLS: a 200 KB payload arrives intact");
    } else {
        fail(tag + " over TLS: the 200 KB payload did not arrive intact");
    }
    c.disconnect()->wait();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4 && argc != 6) {
        std::fprintf(stderr, "usage: paho_tls HOST PORT CAFILE [CERTFILE KEYFILE]\n");
        return 64;
    }
    const std::string uri = std::string("ssl://") + argv[1] + ":" + argv[2];
    mqtt::ssl_options ssl;
    ssl.set_trust_store(argv[3]);
    ssl.set_enable_server_cert_auth(true);
    ssl.set_verify(true);
    if (argc == 6) {
        ssl.set_key_store(argv[4]);
        ssl.set_private_key(argv[5]);
    }
    for (int version : {MQTTVERSION_3_1_1, MQTTVERSION_5}) {
        try {
            roundtrip(uri, version, ssl);
        } catch (const mqtt::exception& e) {
            fail(std::string(version_name(version)) + " over TLS: " + e.what());
        }
    }
    return g_failures;
}
