# Cortex-M33 (ARMv8-M Mainline) with the single-precision FPU, hard-float ABI.
set(MOTE_ARM_CPU cortex-m33)
set(MOTE_ARM_FLOAT_FLAGS "-mfpu=fpv5-sp-d16 -mfloat-abi=hard")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi-common.cmake)
