# Cortex-M4F (ARMv7E-M) with the single-precision FPU, hard-float ABI (the common
# configuration; a part without FPU would use -mfloat-abi=soft).
set(MOTE_ARM_CPU cortex-m4)
set(MOTE_ARM_FLOAT_FLAGS "-mfpu=fpv4-sp-d16 -mfloat-abi=hard")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi-common.cmake)
