// Bare-metal port for the ARM CMSDK APB UART (QEMU mps2-an385/an386, many Cortex-M
// boards) and the Cortex-M SysTick millisecond clock.
//
// The UART is a byte pipe that is always "open": on QEMU it is bridged to the
// broker's TCP port (-chardev socket). Polled, no interrupts: recv() takes the bytes
// that are there now, send() writes while the TX holding register has room, and both
// return 0 ("try later") otherwise, as the transport contract requires. The link
// cannot report a close; the client's keepalive detects a dead broker.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mote::client {

class CmsdkUart {
public:
    explicit CmsdkUart(std::uintptr_t base) : base_(base) {}

    // Enables TX and RX. BAUDDIV must be at least 16 on the CMSDK UART.
    void init(std::uint32_t bauddiv = 16) {
        reg(kBaudDiv) = bauddiv;
        reg(kCtrl) = kCtrlTxEnable | kCtrlRxEnable;
    }

    int open() { return 1; }
    void close() {}

    std::ptrdiff_t send(const std::uint8_t* data, std::size_t len) {
        std::size_t n = 0;
        while (n < len && (reg(kState) & kStateTxFull) == 0) reg(kData) = data[n++];
        return static_cast<std::ptrdiff_t>(n);
    }

    std::ptrdiff_t recv(std::uint8_t* data, std::size_t cap) {
        std::size_t n = 0;
        while (n < cap && (reg(kState) & kStateRxFull) != 0) data[n++] = static_cast<std::uint8_t>(reg(kData));
        return static_cast<std::ptrdiff_t>(n);
    }

    // Blocking write for log lines (not for MQTT traffic).
    void write_blocking(const char* s) {
        while (*s != '\0') {
            while ((reg(kState) & kStateTxFull) != 0) {
            }
            reg(kData) = static_cast<std::uint8_t>(*s++);
        }
    }

private:
    static constexpr std::uintptr_t kData = 0x00;
    static constexpr std::uintptr_t kState = 0x04;
    static constexpr std::uintptr_t kCtrl = 0x08;
    static constexpr std::uintptr_t kBaudDiv = 0x10;
    static constexpr std::uint32_t kStateTxFull = 1u << 0;
    static constexpr std::uint32_t kStateRxFull = 1u << 1;
    static constexpr std::uint32_t kCtrlTxEnable = 1u << 0;
    static constexpr std::uint32_t kCtrlRxEnable = 1u << 1;

    volatile std::uint32_t& reg(std::uintptr_t off) const {
        return *reinterpret_cast<volatile std::uint32_t*>(base_ + off);
    }
    std::uintptr_t base_;
};

// SysTick at 1 kHz. The application's SysTick_Handler calls tick(); now_ms() reads
// the counter (a single aligned 32-bit load, atomic on Cortex-M).
class SysTickClock {
public:
    // Programs SysTick for a 1 ms period from the core clock `hz`.
    static void start(std::uint32_t hz) {
        auto* const syst = reinterpret_cast<volatile std::uint32_t*>(0xE000E010u);
        syst[1] = hz / 1000u - 1u;  // RVR
        syst[2] = 0;                // CVR
        syst[0] = 0x7;              // CSR: processor clock, interrupt, enable
    }
    static void tick() { ms_ = ms_ + 1u; }
    std::uint32_t now_ms() const { return ms_; }

private:
    static inline volatile std::uint32_t ms_ = 0;
};

}  // namespace mote::client
