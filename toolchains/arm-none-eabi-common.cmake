# Shared part of the bare-metal Cortex-M toolchain files. The including file sets
# MOTE_ARM_CPU (the -mcpu value) and MOTE_ARM_FLOAT_FLAGS (float ABI / FPU) first.
#
# Builds freestanding-style C++17: no exceptions, no RTTI, no thread-safe static
# guards and no atexit registration, so nothing pulls in the C++ runtime's heap or
# unwinder; sections per function and data so --gc-sections drops what is unused.
# Only common/ and firmware-client/ are built (MOTE_BARE_METAL).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar CACHE FILEPATH "archiver")
set(CMAKE_RANLIB arm-none-eabi-ranlib CACHE FILEPATH "ranlib")
set(CMAKE_SIZE arm-none-eabi-size CACHE FILEPATH "size")
set(CMAKE_NM arm-none-eabi-nm CACHE FILEPATH "nm")
set(CMAKE_OBJCOPY arm-none-eabi-objcopy CACHE FILEPATH "objcopy")

# There is no host to run a test executable on, and linking one needs a board's
# startup code: configure checks compile static libraries only.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(MOTE_BARE_METAL ON CACHE BOOL "Bare-metal target: build only common/ and firmware-client/" FORCE)

set(_mote_arch "-mthumb -mcpu=${MOTE_ARM_CPU} ${MOTE_ARM_FLOAT_FLAGS}")
set(_mote_common "${_mote_arch} -ffunction-sections -fdata-sections")
set(CMAKE_C_FLAGS_INIT "${_mote_common}")
set(CMAKE_CXX_FLAGS_INIT
    "${_mote_common} -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit")
set(CMAKE_ASM_FLAGS_INIT "${_mote_arch}")
# -Os for every build type: flash is what the budget is about.
set(CMAKE_C_FLAGS_RELEASE_INIT "-Os -DNDEBUG")
set(CMAKE_CXX_FLAGS_RELEASE_INIT "-Os -DNDEBUG")
set(CMAKE_C_FLAGS_MINSIZEREL_INIT "-Os -DNDEBUG")
set(CMAKE_CXX_FLAGS_MINSIZEREL_INIT "-Os -DNDEBUG")
set(CMAKE_C_FLAGS_DEBUG_INIT "-Os -g")
set(CMAKE_CXX_FLAGS_DEBUG_INIT "-Os -g")
set(CMAKE_C_FLAGS_RELWITHDEBINFO_INIT "-Os -g -DNDEBUG")
set(CMAKE_CXX_FLAGS_RELWITHDEBINFO_INIT "-Os -g -DNDEBUG")
# newlib-nano and the no-OS syscall stubs; a firmware image adds its own startup
# code and linker script (and -nostartfiles) on its executable target.
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_mote_arch} --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections")

# Look for libraries and headers only in the target's sysroot, programs on the host.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
