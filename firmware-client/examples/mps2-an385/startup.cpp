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

void Reset_Handler() {
    for (std::uint32_t *src = &_sidata, *dst = &_sdata; dst < &_edata;) *dst++ = *src++;
    for (std::uint32_t* dst = &_sbss; dst < &_ebss;) *dst++ = 0;
    for (void (**f)() = __init_array_start; f < __init_array_end; ++f) (*f)();
    semihost::exit(main());
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
