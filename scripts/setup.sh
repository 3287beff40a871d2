#!/usr/bin/env bash
# Installs everything Mote's build and tests need from Debian's packages.
# Idempotent: when every package is present it returns at once without apt-get.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build g++ pkg-config clang libclang-rt-14-dev
  # libraries
  libuv1-dev libmbedtls-dev
  libwslay-dev libhttp-parser-dev
  libsqlite3-dev
  # tests and benchmarks
  libcpputest-dev libbenchmark-dev
  libpaho-mqttpp-dev libpaho-mqtt-dev
  mosquitto mosquitto-clients python3 python3-paho-mqtt
  nodejs openssl
  # cross toolchains and emulation
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
  gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf
  gcc-aarch64-linux-gnu g++-aarch64-linux-gnu
  qemu-system-arm qemu-user
  # tools the scripts use
  procps psmisc iproute2
  # gateway deployment: the broker for ARM Linux (multiarch libraries, see
  # FOREIGN_ARCHS), sd_notify, the .deb packages and their test
  libuv1-dev:armhf libmbedtls-dev:armhf libsqlite3-dev:armhf
  libuv1-dev:arm64 libmbedtls-dev:arm64 libsqlite3-dev:arm64
  libsystemd-dev:armhf libsystemd-dev:arm64 libstdc++6:armhf libstdc++6:arm64
  # libwslay-dev and libhttp-parser-dev are not multiarch co-installable: the ARM
  # builds use the host's headers and the target's runtime library (broker/CMakeLists.txt)
  libwslay1:armhf libwslay1:arm64 libhttp-parser2.9:armhf libhttp-parser2.9:arm64
  libsystemd-dev dpkg-dev adduser util-linux systemd file
  # HTTP endpoint and dashboard (docs/dashboard.md): request parser, metrics parser, browser test
  libhttp-parser-dev python3-prometheus-client chromium
)
# The dashboard bundles MQTT.js from the npm registry at build time. Debian's npm
# (with Debian's nodejs) unless some nodejs that ships npm is installed already.
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(npm)
fi

# Foreign architectures whose -dev packages are listed above (":armhf" etc.).
FOREIGN_ARCHS=(armhf arm64)
# Other jobs on the machine may hold the dpkg lock: wait for it instead of failing.
APT_GET=(apt-get -o DPkg::Lock::Timeout=600)

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
for arch in "${FOREIGN_ARCHS[@]}"; do
  if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
    echo "setup: adding the $arch architecture (multiarch)" >&2
    $SUDO dpkg --add-architecture "$arch"
  fi
done
echo "setup: installing ${missing[*]}" >&2
$SUDO "${APT_GET[@]}" update -q
DEBIAN_FRONTEND=noninteractive $SUDO "${APT_GET[@]}" install -y -q --no-install-recommends "${missing[@]}"
