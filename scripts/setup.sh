#!/usr/bin/env bash
# Installs everything Mote's build and tests need from Debian's packages.
# Idempotent: when every package is present it returns at once without apt-get.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build g++ pkg-config clang libclang-rt-14-dev
  # libraries
  libuv1-dev libmbedtls-dev
  libsqlite3-dev
  # tests and benchmarks
  libcpputest-dev libbenchmark-dev
  libpaho-mqttpp-dev libpaho-mqtt-dev
  mosquitto mosquitto-clients python3 python3-paho-mqtt
  # cross toolchains and emulation
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
  gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf
  gcc-aarch64-linux-gnu g++-aarch64-linux-gnu
  qemu-system-arm qemu-user
  # tools the scripts use
  procps psmisc iproute2
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}" >&2
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
