// An independent subscriber for the end-to-end tests, on Eclipse Paho C++.
//
//   mote-e2e-paho-sub HOST PORT TOPIC_FILTER VERSION(4|5)
//
// Connects, subscribes to TOPIC_FILTER at QoS 1, prints "ready" once the SUBACK
// granted it, then one line "TOPIC PAYLOAD" per message received, flushed at once,
// until SIGTERM or SIGINT (exit 0). Exits 1 with a message on stderr when it cannot
// connect or subscribe, or when the connection is lost.
#include <mqtt/async_client.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop = true; }

}  // namespace

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s HOST PORT TOPIC_FILTER VERSION(4|5)\n", argv[0]);
        return 2;
    }
    const std::string uri = std::string("tcp://") + argv[1] + ":" + argv[2];
    const std::string filter = argv[3];
    const int version = std::atoi(argv[4]) == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);

    mqtt::async_client client(uri, "", mqtt::create_options(version));
    mqtt::connect_options_builder opts;
    opts.mqtt_version(version).keep_alive_interval(30s).connect_timeout(5s);
    if (version == MQTTVERSION_5) {
        opts.clean_start(true);
    } else {
        opts.clean_session(true);
    }
    try {
        client.start_consuming();
        client.connect(opts.finalize())->wait();
        mqtt::token_ptr tok = client.subscribe(filter, 1);
        tok->wait();
        // The granted QoS (0-2) or a failure code (0x80 and up), in both versions.
        const int granted = tok->get_subscribe_response().get_reason_codes().at(0);
        if (granted > 2) {
            std::fprintf(stderr, "paho-sub: subscription refused (0x%02x)\n", granted);
            return 1;
        }
    } catch (const mqtt::exception& e) {
        std::fprintf(stderr, "paho-sub: %s\n", e.what());
        return 1;
    }
    std::printf("ready\n");
    std::fflush(stdout);

    while (!g_stop) {
        mqtt::const_message_ptr m;
        if (!client.try_consume_message_for(&m, 200ms)) continue;
        if (!m) {
            // Paho queues a null message when the connection is lost.
            if (!client.is_connected()) {
                std::fprintf(stderr, "paho-sub: connection lost\n");
                return 1;
            }
            continue;
        }
        std::printf("%s %s\n", m->get_topic().c_str(), m->to_string().c_str());
        std::fflush(stdout);
    }
    try {
        client.disconnect()->wait();
    } catch (const mqtt::exception&) {
        // Ending anyway: the test has what it needs.
    }
    return 0;
}
