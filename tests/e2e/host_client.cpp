// e2e host program: the firmware client over POSIX sockets against a real broker.
//   mote-e2e-client HOST PORT VERSION(4|5) QOS COUNT ID [CA_FILE]
// With CA_FILE (builds with mbedTLS only) the link is TLS through the mbedTLS port,
// verifying the broker's certificate for the name "localhost".
// Subscribes e2e/ID/# at QOS, publishes COUNT messages at QOS to e2e/ID/n, and
// checks that each comes back: in order, each exactly once for QoS 1/2 here (the
// link is clean; a duplicate would be a client bug), and that every outgoing flow
// completed (Delivered events). Then disconnects cleanly. Exit 0 on success.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <time.h>
#include <vector>

#include "mote/client/client.hpp"
#include "mote/client/posix_transport.hpp"
#if MOTE_E2E_TLS
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "mote/client/tls_transport.hpp"
#endif

namespace mq = mote::mqtt;
namespace mc = mote::client;

namespace {

struct State {
    std::vector<std::string> got;
    int delivered = 0;
    int subscribed = 0;
    int connected = 0;
    int failures = 0;
};

void on_msg(void* u, const mc::Message& m) {
    static_cast<State*>(u)->got.emplace_back(m.payload.chars(), m.payload.size);
}

void on_event(void* u, const mc::Event& e) {
    auto* s = static_cast<State*>(u);
    switch (e.type) {
        case mc::EventType::Delivered: ++s->delivered; break;
        case mc::EventType::Subscribed: ++s->subscribed; break;
        case mc::EventType::Connected: ++s->connected; break;
        case mc::EventType::SubscribeFailed:
        case mc::EventType::ConnectRefused: ++s->failures; break;
        default: break;
    }
}

std::uint32_t now_ms() {
    mc::PosixClock c;
    return c.now_ms();
}

}  // namespace

template <class Transport>
int run(Transport& transport, int version, std::uint8_t qos, int count, const std::string& id) {
    const std::string filter = "e2e/" + id + "/#";
    mc::PosixClock clock;
    State st;
    mc::Options o;
    o.version = version == 5 ? mq::Version::V5 : mq::Version::V3_1_1;
    o.client_id = mq::Bytes::of(id.c_str(), id.size());
    o.keep_alive_s = 5;
    o.on_event = &on_event;
    o.event_user = &st;
    mc::Client<Transport, mc::PosixClock> client(transport, clock, o);
    client.subscribe(mq::Bytes::of(filter.c_str(), filter.size()), qos, &on_msg, &st);
    client.start();

    const std::uint32_t t0 = now_ms();
    int published = 0;
    std::vector<std::string> topics;
    for (int i = 0; i < count; ++i) topics.push_back("e2e/" + id + "/" + std::to_string(i));
    bool stopping = false;
    while (now_ms() - t0 < 20000u) {
        client.poll();
        if (st.failures) break;
        if (st.subscribed && published < count && client.queued() < 4) {
            const std::string payload = "msg-" + std::to_string(published);
            const std::string& topic = topics[static_cast<std::size_t>(published)];
            if (client.publish(mq::Bytes::of(topic.c_str(), topic.size()),
                               mq::Bytes::of(payload.c_str(), payload.size()), qos, false) == mc::Status::Ok)
                ++published;
        }
        if (!stopping && static_cast<int>(st.got.size()) >= count && client.idle()) {
            client.disconnect();
            stopping = true;
        }
        if (stopping && client.state() == mc::ConnState::Idle) break;
        const timespec nap{0, 500000};
        nanosleep(&nap, nullptr);
    }
    int rc = 0;
    if (static_cast<int>(st.got.size()) != count) {
        std::fprintf(stderr, "e2e client: received %zu of %d\n", st.got.size(), count);
        rc = 1;
    }
    for (std::size_t i = 0; i < st.got.size() && rc == 0; ++i) {
        if (st.got[i] != "msg-" + std::to_string(i)) {
            std::fprintf(stderr, "e2e client: message %zu is %s\n", i, st.got[i].c_str());
            rc = 1;
        }
    }
    if (st.delivered != count) {
        std::fprintf(stderr, "e2e client: %d of %d outgoing flows completed\n", st.delivered, count);
        rc = 1;
    }
    if (client.state() != mc::ConnState::Idle) {
        std::fprintf(stderr, "e2e client: did not disconnect cleanly\n");
        rc = 1;
    }
    if (st.connected != 1) {
        std::fprintf(stderr, "e2e client: %d connects (expected 1)\n", st.connected);
        rc = 1;
    }
    std::fprintf(stderr, "e2e client: v%d qos %u: %zu/%d received, %d delivered -> %s\n", version, qos,
                 st.got.size(), count, st.delivered, rc == 0 ? "ok" : "FAIL");
    return rc;
}

int main(int argc, char** argv) {
    if (argc < 7) {
        std::fprintf(stderr, "usage: %s HOST PORT VERSION QOS COUNT ID [CA_FILE]\n", argv[0]);
        return 64;
    }
    const auto port = static_cast<std::uint16_t>(std::atoi(argv[2]));
    const int version = std::atoi(argv[3]);
    const auto qos = static_cast<std::uint8_t>(std::atoi(argv[4]));
    const int count = std::atoi(argv[5]);
    const std::string id = argv[6];
    mc::PosixTransport tcp(argv[1], port);
    if (argc < 8) return run(tcp, version, qos, count, id);
#if MOTE_E2E_TLS
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt ca;
    mbedtls_ssl_config conf;
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_x509_crt_init(&ca);
    mbedtls_ssl_config_init(&conf);
    const unsigned char pers[] = "mote-e2e";
    if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, pers, sizeof pers) != 0 ||
        mbedtls_x509_crt_parse_file(&ca, argv[7]) != 0 ||
        mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT) != 0) {
        std::fprintf(stderr, "e2e client: mbedTLS set-up failed\n");
        return 1;
    }
    mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&conf, &ca, nullptr);
    mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
    int rc = 0;
    {
        mc::TlsTransport<mc::PosixTransport> tls(tcp, &conf, "localhost");
        rc = run(tls, version, qos, count, id);
    }
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&ca);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    return rc;
#else
    std::fprintf(stderr, "e2e client: built without mbedTLS\n");
    return 1;
#endif
}
