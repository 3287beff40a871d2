// Sensor firmware for QEMU mps2-an385: MQTT over UART0, which QEMU bridges to the
// broker's TCP port. Publishes telemetry every period, obeys sensors/{id}/cmd, exits
// through semihosting: 0 after "stop", 2 when the run-time bound expires.
#include <cstdint>

#include "mote/client/cmsdk_uart.hpp"
#include "semihosting.hpp"
#include "sensor_app.hpp"

#ifndef SENSOR_ID
#define SENSOR_ID "mps2"
#endif
#ifndef SENSOR_PERIOD_MS
#define SENSOR_PERIOD_MS 500
#endif
#ifndef SENSOR_MAX_RUN_MS
#define SENSOR_MAX_RUN_MS 60000
#endif

namespace {

constexpr std::uintptr_t kUart0 = 0x40004000u;
constexpr std::uint32_t kCoreHz = 25000000u;  // mps2-an385 SysTick clock

mote::client::CmsdkUart g_uart(kUart0);
mote::client::SysTickClock g_clock;

#if MOTE_MQTT_V5
constexpr mote::mqtt::Version kVersion = mote::mqtt::Version::V5;
#else
constexpr mote::mqtt::Version kVersion = mote::mqtt::Version::V3_1_1;
#endif

// In .bss, not on the stack: the client holds all its buffers.
sensor::SensorApp<mote::client::CmsdkUart, mote::client::SysTickClock> g_app(g_uart, g_clock, SENSOR_ID, kVersion,
                                                                             SENSOR_PERIOD_MS, SENSOR_MAX_RUN_MS);

}  // namespace

int main() {
    g_uart.init();
    mote::client::SysTickClock::start(kCoreHz);
    semihost::write0("sensor: start " SENSOR_ID "\n");
    if (const int rc = g_app.begin(); rc != sensor::kExitOk) {
        semihost::write0("sensor: MQTT version not in this build\n");
        return rc;
    }
    std::uint32_t last_seq = 0;
    for (;;) {
        const int rc = g_app.step();
        if (rc >= 0) {
            semihost::write0(rc == 0 ? "sensor: stopped\n" : "sensor: run time exceeded\n");
            return rc;
        }
        if (g_app.seq() != last_seq && g_app.seq() % 10u == 0) semihost::write0("sensor: 10 readings\n");
        last_seq = g_app.seq();
    }
}
