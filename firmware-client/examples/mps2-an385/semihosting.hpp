// ARM semihosting calls used by the firmware under QEMU (-semihosting-config
// enable=on): SYS_WRITE0 prints on QEMU's stderr, SYS_EXIT_EXTENDED ends QEMU with an
// exit status (the plain SYS_EXIT can only say 0 or 1).
#pragma once

#include <cstdint>

namespace semihost {

inline std::uint32_t call(std::uint32_t op, const void* arg) {
    register std::uint32_t r0 __asm__("r0") = op;
    register const void* r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

inline void write0(const char* s) { call(0x04, s); }

[[noreturn]] inline void exit(int status) {
    // ADP_Stopped_ApplicationExit with the status as the subcode.
    const std::uint32_t block[2] = {0x20026u, static_cast<std::uint32_t>(status)};
    call(0x20, block);
    for (;;) {
    }
}

}  // namespace semihost
