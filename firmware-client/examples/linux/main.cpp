// The sensor program for Linux and ARM Linux boards (run under qemu-arm in the e2e
// tests): mote-sensor HOST PORT [ID] [VERSION 4|5] [PERIOD_MS] [MAX_RUN_S]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <time.h>

#include "mote/client/posix_transport.hpp"
#include "sensor_app.hpp"

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s HOST PORT [ID] [VERSION 4|5] [PERIOD_MS] [MAX_RUN_S]\n", argv[0]);
        return 64;
    }
    const char* host = argv[1];
    const int port_arg = std::atoi(argv[2]);
    if (port_arg < 1 || port_arg > 65535) {
        std::fprintf(stderr, "%s: PORT must be 1..65535, not '%s'\n", argv[0], argv[2]);
        return 64;
    }
    const auto port = static_cast<std::uint16_t>(port_arg);
    const char* id = argc > 3 ? argv[3] : "linux";
    const int ver = argc > 4 ? std::atoi(argv[4]) : 5;
    if (ver != 4 && ver != 5) {
        std::fprintf(stderr, "%s: VERSION must be 4 (MQTT 3.1.1) or 5 (MQTT 5.0), not '%s'\n", argv[0], argv[4]);
        return 64;
    }
    const auto period = static_cast<std::uint32_t>(argc > 5 ? std::atoi(argv[5]) : 500);
    const auto max_run_s = static_cast<std::uint32_t>(argc > 6 ? std::atoi(argv[6]) : 30);

    mote::client::PosixTransport transport(host, port);
    mote::client::PosixClock clock;
    static sensor::SensorApp<mote::client::PosixTransport, mote::client::PosixClock> app(
        transport, clock, id, ver == 4 ? mote::mqtt::Version::V3_1_1 : mote::mqtt::Version::V5, period,
        max_run_s * 1000u);
    if (const int rc = app.begin(); rc != sensor::kExitOk) {
        std::fprintf(stderr, "sensor: this build has no MQTT 5.0 (MOTE_MQTT5=OFF); use VERSION 4\n");
        return rc;
    }
    std::uint32_t last_seq = 0;
    for (;;) {
        const int rc = app.step();
        if (rc >= 0) {
            std::fprintf(stderr, "sensor: exit %d after %u readings\n", rc, static_cast<unsigned>(app.seq()));
            return rc;
        }
        if (app.seq() != last_seq) {
            last_seq = app.seq();
            std::fprintf(stderr, "sensor: published seq %u (period %u ms)\n", static_cast<unsigned>(last_seq - 1),
                         static_cast<unsigned>(app.period_ms()));
        }
        // A super loop would spin; a Linux process naps 1 ms between polls.
        const timespec nap{0, 1000000};
        nanosleep(&nap, nullptr);
    }
}
