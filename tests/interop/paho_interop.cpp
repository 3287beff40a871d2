// Interop with Eclipse Paho C++ (libpaho-mqttpp3), MQTT 3.1.1 and 5.0.
//
//   paho_interop HOST PORT
//
// For each protocol version: connect, subscribe to its own topic, publish N messages
// at QoS 0, 1 and 2 and check that every message arrives exactly once and in order
// ([MQTT-4.6.0-5]: ordered per topic and QoS for the same publisher); a retained
// message reaches a later subscriber with the RETAIN flag [MQTT-3.3.1-6]; a Will is
// published when a second client (a child process) dies without DISCONNECT
// [MQTT-3.1.2-8]. Prints what failed; the exit status is the number of failures.
//
// Started by the interop CMakeLists through harness.py run-with-broker.
#include <mqtt/async_client.h>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

namespace {

using namespace std::chrono_literals;

constexpr int kMessages = 50;
int g_failures = 0;

void fail(const std::string& what) {
    std::fprintf(stderr, "FAIL: %s\n", what.c_str());
    ++g_failures;
}

void ok(const std::string& what) { std::printf("ok: %s\n", what.c_str()); }

const char* version_name(int v) { return v == MQTTVERSION_5 ? "5.0" : "3.1.1"; }

mqtt::connect_options options(int version, bool clean = true) {
    mqtt::connect_options_builder b;
    b.mqtt_version(version).keep_alive_interval(30s).connect_timeout(5s);
    if (version == MQTTVERSION_5) {
        b.clean_start(clean);
    } else {
        b.clean_session(clean);
    }
    return b.finalize();
}

std::unique_ptr<mqtt::async_client> make_client(const std::string& uri, const std::string& id,
                                                int version) {
    return std::make_unique<mqtt::async_client>(uri, id, mqtt::create_options(version));
}

// Consumes messages until `n` arrived or 5 s passed.
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

bool nothing_more(mqtt::async_client& c, std::chrono::milliseconds within) {
    mqtt::const_message_ptr m;
    if (c.try_consume_message_for(&m, within) && m) {
        fail("unexpected extra message on " + m->get_topic() + ": " + m->to_string());
        return false;
    }
    return true;
}

void qos_roundtrip(const std::string& uri, int version) {
    const std::string tag = version_name(version);
    auto c = make_client(uri, "paho-cpp-qos-" + tag, version);
    c->start_consuming();
    c->connect(options(version))->wait();
    for (int qos = 0; qos <= 2; ++qos) {
        const std::string topic = "paho/" + tag + "/qos" + std::to_string(qos);
        c->subscribe(topic, qos)->wait();
        for (int i = 0; i < kMessages; ++i) {
            c->publish(topic, "m" + std::to_string(i), qos, false)->wait();
        }
        const auto got = receive(*c, kMessages);
        bool good = static_cast<int>(got.size()) == kMessages;
        if (!good) {
            fail(tag + " QoS " + std::to_string(qos) + ": received " +
                 std::to_string(got.size()) + " of " + std::to_string(kMessages));
        }
        for (std::size_t i = 0; good && i < got.size(); ++i) {
            const std::string want = "m" + std::to_string(i);
            if (got[i]->to_string() != want || got[i]->get_topic() != topic ||
                got[i]->get_qos() != qos) {
                fail(tag + " QoS " + std::to_string(qos) + ": message " + std::to_string(i) +
                     " is '" + got[i]->to_string() + "' qos " +
                     std::to_string(got[i]->get_qos()) + ", expected '" + want + "'");
                good = false;
            }
        }
        good = nothing_more(*c, 300ms) && good;
        if (good) {
            ok(tag + " QoS " + std::to_string(qos) + ": " + std::to_string(kMessages) +
               " messages once each, in order");
        }
    }
    c->disconnect()->wait();
}

void retained(const std::string& uri, int version) {
    const std::string tag = version_name(version);
    const std::string topic = "paho/" + tag + "/retained";
    auto pub = make_client(uri, "paho-cpp-rpub-" + tag, version);
    pub->connect(options(version))->wait();
    pub->publish(topic, "kept", 1, true)->wait();
    auto sub = make_client(uri, "paho-cpp-rsub-" + tag, version);
    sub->start_consuming();
    sub->connect(options(version))->wait();
    sub->subscribe(topic, 1)->wait();
    const auto got = receive(*sub, 1);
    if (got.size() != 1 || got[0]->to_string() != "kept" || !got[0]->is_retained()) {
        fail(tag + " retained: a new subscriber did not get 'kept' with RETAIN set");
    } else {
        ok(tag + " retained message delivered with RETAIN");
    }
    // Clear it so that reruns start clean [MQTT-3.3.1-10].
    pub->publish(topic, "", 1, true)->wait();
    sub->disconnect()->wait();
    pub->disconnect()->wait();
}

// Child mode: connect with a Will, then die without DISCONNECT.
int will_child(const std::string& uri, int version, const std::string& topic) {
    auto c = make_client(uri, "paho-cpp-will-child-" + std::string(version_name(version)),
                         version);
    mqtt::connect_options opts = options(version);
    opts.set_will_message(mqtt::make_message(topic, "child died", 1, false));
    c->connect(opts)->wait();
    std::printf("will child connected\n");
    std::fflush(stdout);
    _exit(0);  // no DISCONNECT: the broker sees the TCP close
}

void will(const std::string& uri, int version) {
    // The child is this program again, in --will-child mode: a separate process, so
    // that its death closes the socket without a DISCONNECT.
    const char* self = "/proc/self/exe";
    const std::string tag = version_name(version);
    const std::string topic = "paho/" + tag + "/will";
    auto watch = make_client(uri, "paho-cpp-will-watch-" + tag, version);
    watch->start_consuming();
    watch->connect(options(version))->wait();
    watch->subscribe(topic, 1)->wait();
    const std::string ver = std::to_string(version);
    std::vector<std::string> args = {self, "--will-child", uri, ver, topic};
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawn(&pid, self, nullptr, nullptr, argv.data(), environ) != 0) {
        fail(tag + " will: cannot start the child client");
        return;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail(tag + " will: child client failed to connect");
        return;
    }
    const auto got = receive(*watch, 1);
    if (got.size() != 1 || got[0]->to_string() != "child died") {
        fail(tag + " will: not published after the child died without DISCONNECT");
    } else {
        ok(tag + " will published after abnormal close");
    }
    watch->disconnect()->wait();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 5 && std::string(argv[1]) == "--will-child") {
        try {
            return will_child(argv[2], std::atoi(argv[3]), argv[4]);
        } catch (const mqtt::exception& e) {
            std::fprintf(stderr, "will child: %s\n", e.what());
            return 1;
        }
    }
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s HOST PORT\n", argv[0]);
        return 2;
    }
    const std::string uri = std::string("tcp://") + argv[1] + ":" + argv[2];
    for (int version : {MQTTVERSION_3_1_1, MQTTVERSION_5}) {
        const std::string tag = version_name(version);
        try {
            qos_roundtrip(uri, version);
            retained(uri, version);
            will(uri, version);
        } catch (const mqtt::exception& e) {
            fail(tag + ": exception: " + e.what());
        }
    }
    std::printf("%s: %d failure(s)\n", g_failures ? "FAILED" : "OK", g_failures);
    return g_failures > 255 ? 255 : g_failures;
}
