# 32-bit ARM Linux (Raspberry Pi class, ARMv7-A hard-float). Builds the whole
# project; tests are off unless asked for (they cannot run on the build host
# without qemu-arm), and libuv/mbedTLS for the target must exist for the broker.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++)
set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabihf /usr/lib/arm-linux-gnueabihf /usr)
set(CMAKE_LIBRARY_ARCHITECTURE arm-linux-gnueabihf)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm -L /usr/arm-linux-gnueabihf)
set(MOTE_BUILD_TESTS OFF CACHE BOOL "Build the unit, interop and fuzz tests")

# pkg-config looks only at the target's multiarch .pc files (Debian's
# libuv1-dev:armhf and friends, installed by scripts/setup.sh), never at
# the build host's; the paths in them (/usr/include, /usr/lib/arm-linux-gnueabihf) are
# already the real ones, so no sysroot prefix is added.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/arm-linux-gnueabihf/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
# GCC notes (not warnings) that std::vector<uint64_t> is passed differently than
# by GCC < 7.1: only relevant when linking objects built by such old compilers.
set(CMAKE_CXX_FLAGS_INIT "-Wno-psabi")
