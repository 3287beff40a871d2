// Drives Eclipse Paho C++ (paho-mqttpp3) against tests/golden/capture.py so that
// Mote's golden tests hold bytes written by an independent MQTT implementation.
// Built only for capture, never part of the main build; see README.md.
//
// Usage: paho_capture PORT VERSION   (VERSION is 4 for MQTT 3.1.1, 5 for MQTT 5.0)
// It connects to 127.0.0.1:PORT with a Will, subscribes (5.0: with No Local, Retain
// As Published, Retain Handling 2 and a Subscription Identifier), publishes QoS 2
// (5.0: with properties), unsubscribes and disconnects.
#include <cstdlib>
#include <iostream>
#include <string>

#include <mqtt/async_client.h>

namespace {

mqtt::connect_options connect_options(int version) {
    mqtt::connect_options_builder b;
    b.mqtt_version(version).keep_alive_interval(std::chrono::seconds(45)).user_name("paho").password("secret");
    if (version == MQTTVERSION_5) {
        b.clean_start(true);
        b.will(mqtt::will_options("golden/will", std::string("gone"), 1, true,
                                  mqtt::properties{{mqtt::property::WILL_DELAY_INTERVAL, 10},
                                                   {mqtt::property::PAYLOAD_FORMAT_INDICATOR, 1}}));
    } else {
        b.clean_session(true);
        b.will(mqtt::will_options("golden/will", std::string("gone"), 1, true));
    }
    mqtt::connect_options opts = b.finalize();
    if (version == MQTTVERSION_5) {
        // Set on the final object: with paho-mqttpp3 1.2.0, properties given to the
        // builder did not reach the wire in our runs.
        opts.set_properties({{mqtt::property::SESSION_EXPIRY_INTERVAL, 300},
                             {mqtt::property::RECEIVE_MAXIMUM, 16},
                             {mqtt::property::MAXIMUM_PACKET_SIZE, 65536},
                             {mqtt::property::USER_PROPERTY, "client", "paho"}});
    }
    return opts;
}

void run(mqtt::async_client& cli, int version) {
    cli.connect(connect_options(version))->wait();
    if (version == MQTTVERSION_5) {
        mqtt::subscribe_options so(true, true, mqtt::subscribe_options::DONT_SEND_RETAINED);
        cli.subscribe("golden/sub/#", 2, so, mqtt::properties{{mqtt::property::SUBSCRIPTION_IDENTIFIER, 42}})->wait();
        auto msg = mqtt::message_ptr_builder()
                       .topic("golden/paho")
                       .payload(std::string("{\"t\":21.5}"))
                       .qos(2)
                       .properties(mqtt::properties{{mqtt::property::PAYLOAD_FORMAT_INDICATOR, 1},
                                                    {mqtt::property::MESSAGE_EXPIRY_INTERVAL, 120},
                                                    {mqtt::property::CONTENT_TYPE, "application/json"},
                                                    {mqtt::property::RESPONSE_TOPIC, "golden/reply"},
                                                    {mqtt::property::CORRELATION_DATA, "id-1"},
                                                    {mqtt::property::USER_PROPERTY, "unit", "C"}})
                       .finalize();
        cli.publish(msg)->wait();
    } else {
        cli.subscribe("golden/sub/#", 2)->wait();
        cli.publish(mqtt::make_message("golden/paho", std::string("{\"t\":21.5}"), 2, false))->wait();
    }
    cli.unsubscribe("golden/sub/#")->wait();
    cli.disconnect()->wait();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: paho_capture PORT VERSION(4|5)\n";
        return 2;
    }
    const int version = std::atoi(argv[2]) == 5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
    const std::string uri = std::string("tcp://127.0.0.1:") + argv[1];
    mqtt::async_client cli(uri, version == MQTTVERSION_5 ? "golden-paho5" : "golden-paho",
                           mqtt::create_options(version));
    try {
        run(cli, version);
    } catch (const mqtt::exception& e) {
        std::cerr << "paho: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
