# Cortex-M3 (ARMv7-M): no FPU.
set(MOTE_ARM_CPU cortex-m3)
set(MOTE_ARM_FLOAT_FLAGS "-mfloat-abi=soft")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi-common.cmake)
