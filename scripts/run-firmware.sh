#!/usr/bin/env bash
# Builds and runs Mote's sensor firmware under emulation.
#
#   scripts/run-firmware.sh build mps2|mps2-v311|arm|aarch64 [BUILD_DIR]
#       cross-builds the sensor (mps2-an385 ELF: cortex-m3 with MQTT 5.0, or
#       cortex-m0plus 3.1.1-only; or a static ARM Linux binary) and
#       prints the path of the result on stdout.
#   scripts/run-firmware.sh mps2 ELF BROKER_PORT [TIMEOUT_S]
#       runs the ELF in qemu-system-arm -M mps2-an385 with UART0 connected as a TCP
#       client to 127.0.0.1:BROKER_PORT; exits with the firmware's semihosting status.
#   scripts/run-firmware.sh arm|aarch64 BINARY [ARGS...]
#       runs an ARM Linux binary under qemu-arm / qemu-aarch64 (e.g. ARGS =
#       127.0.0.1 PORT ID VERSION PERIOD_MS MAX_RUN_S for the sensor).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:-}
shift || true

case "$cmd" in
  build)
    target=${1:?target: mps2, mps2-v311, arm or aarch64}
    case "$target" in
      mps2)
        dir=${2:-$ROOT/build-client-cortex-m3}
        cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$ROOT/toolchains/arm-none-eabi-cortex-m3.cmake" \
          -DCMAKE_BUILD_TYPE=MinSizeRel >&2
        cmake --build "$dir" --target sensor-mps2-an385 >&2
        echo "$dir/firmware-client/sensor-mps2-an385.elf" ;;
      mps2-v311)
        # Cortex-M0+ code (runs on the an385's M3), MQTT 3.1.1 only (MOTE_MQTT5=OFF).
        dir=${2:-$ROOT/build-client-cortex-m0plus-v311}
        cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$ROOT/toolchains/arm-none-eabi-cortex-m0plus.cmake" \
          -DCMAKE_BUILD_TYPE=MinSizeRel -DMOTE_MQTT5=OFF >&2
        cmake --build "$dir" --target sensor-mps2-an385 >&2
        echo "$dir/firmware-client/sensor-mps2-an385.elf" ;;
      arm|aarch64)
        tc=arm-linux-gnueabihf
        [ "$target" = aarch64 ] && tc=aarch64-linux-gnu
        dir=${2:-$ROOT/build-client-$tc}
        cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$ROOT/toolchains/$tc.cmake" \
          -DCMAKE_BUILD_TYPE=MinSizeRel -DMOTE_BUILD_BROKER=OFF -DMOTE_BUILD_BENCH=OFF -DMOTE_BUILD_TESTS=OFF >&2
        cmake --build "$dir" --target mote-sensor >&2
        echo "$dir/firmware-client/mote-sensor" ;;
      *) echo "unknown target $target" >&2; exit 64 ;;
    esac ;;
  mps2)
    elf=${1:?ELF}
    port=${2:?broker port}
    timeout_s=${3:-60}
    # The listener must exist before QEMU starts, or QEMU exits 1 at once.
    exec timeout --signal=KILL "$timeout_s" qemu-system-arm -M mps2-an385 -nographic -monitor none \
      -semihosting-config enable=on,target=native \
      -chardev socket,id=s0,host=127.0.0.1,port="$port" -serial chardev:s0 \
      -kernel "$elf" ;;
  arm)
    bin=${1:?binary}; shift
    exec qemu-arm "$bin" "$@" ;;
  aarch64)
    bin=${1:?binary}; shift
    exec qemu-aarch64 "$bin" "$@" ;;
  *)
    sed -n '2,16p' "$0" >&2
    exit 64 ;;
esac
