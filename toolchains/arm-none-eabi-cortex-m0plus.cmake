# Cortex-M0+ (ARMv6-M): no FPU, Thumb-1 subset. Usage:
#   cmake -S . -B build/cross-cortex-m0plus -DCMAKE_TOOLCHAIN_FILE=toolchains/arm-none-eabi-cortex-m0plus.cmake
set(MOTE_ARM_CPU cortex-m0plus)
set(MOTE_ARM_FLOAT_FLAGS "-mfloat-abi=soft")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi-common.cmake)
