// Minimal Cortex-M startup for QEMU mps2-an385: vector table, reset handler (copy
// .data, zero .bss, run constructors, call main), fault handlers that report through
// semihosting, and the SysTick handler that drives the millisecond clock.
#include <cstdint>

#include "mote/client/cmsdk_uart.hpp"
#include "semihosting.hpp"

extern "C" {
extern std::uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern void (*__init_array_start[])();
extern void (*__init_array_end[])();
int main();
void Reset_Handler();
void SysTick_Handler();
void Fault_Handler();
}

// MOTE_STACK_WATCH=0 leaves the stack watch out (the size reference apps).
#ifndef MOTE_STACK_WATCH
#define MOTE_STACK_WATCH 1
#endif

namespace {

#if MOTE_STACK_WATCH
// Stack high-water mark: the top kStackWatch bytes below the initial stack pointer
// are painted before main() and scanned after it, so the test log shows how deep the
// client's poll() and callbacks really went (HOSTILE_INPUTS section 5: the stack
// must stay within budget).
constexpr std::uint32_t kStackWatch = 16384;
constexpr std::uint32_t kPaint = 0xA5A5A5A5u;

std::uint32_t* stack_floor() {
    return reinterpret_cast<std::uint32_t*>(reinterpret_cast<std::uintptr_t>(&_estack) - kStackWatch);
}

__attribute__((noinline)) void paint_stack() {
    std::uint32_t here = 0;
    auto* const limit = reinterpret_cast<std::uint32_t*>(reinterpret_cast<std::uintptr_t>(&here) - 64);
    for (std::uint32_t* p = stack_floor(); p < limit; ++p) *p = kPaint;
}

std::uint32_t stack_high_water() {
    const std::uint32_t* p = stack_floor();
    while (p < &_estack && *p == kPaint) ++p;
    return static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(&_estack) - reinterpret_cast<std::uintptr_t>(p));
}

void report_stack() {
    char line[48] = "firmware: stack high-water ";
    std::uint32_t n = 27;
    char digits[10];
    std::uint32_t v = stack_high_water();
    std::uint32_t k = 0;
    do {
        digits[k++] = static_cast<char>('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    while (k != 0) line[n++] = digits[--k];
    const char tail[] = " bytes\n";
    for (char c : tail) line[n++] = c;
    semihost::write0(line);
}
#else
void paint_stack() {}
void report_stack() {}
#endif

}  // namespace

void Reset_Handler() {
    for (std::uint32_t *src = &_sidata, *dst = &_sdata; dst < &_edata;) *dst++ = *src++;
    for (std::uint32_t* dst = &_sbss; dst < &_ebss;) *dst++ = 0;
    paint_stack();
    for (void (**f)() = __init_array_start; f < __init_array_end; ++f) (*f)();
    const int status = main();
    report_stack();
    semihost::exit(status);
}

void SysTick_Handler() { mote::client::SysTickClock::tick(); }

// A fault is a bug: say so and leave QEMU with a distinctive status.
void Fault_Handler() {
    semihost::write0("sensor: FAULT\n");
    semihost::exit(99);
}

using Handler = void (*)();
__attribute__((section(".vectors"), used)) const Handler g_vectors[16] = {
    reinterpret_cast<Handler>(&_estack),
    Reset_Handler,
    Fault_Handler,  // NMI
    Fault_Handler,  // HardFault
    Fault_Handler,  // MemManage
    Fault_Handler,  // BusFault
    Fault_Handler,  // UsageFault
    nullptr, nullptr, nullptr, nullptr,
    Fault_Handler,  // SVCall
    Fault_Handler,  // DebugMonitor
    nullptr,
    Fault_Handler,  // PendSV
    SysTick_Handler,
};
