#!/usr/bin/env bash
# Builds the mote-broker .deb packages with CPack (packaging/MotePackaging.cmake):
#
#   scripts/package.sh [amd64|armhf|arm64 ...]     (default: all three)
#
# Each architecture is a Release build in build/pkg-ARCH (armhf and arm64 cross-built
# with toolchains/*.cmake against Debian's multiarch libraries, which
# scripts/setup.sh installs); the packages land in build/deb/ as
# mote-broker_VERSION_ARCH.deb, and their paths are printed on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash scripts/setup.sh

archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(amd64 armhf arm64)
out="$ROOT/build/deb"
mkdir -p "$out"
for arch in "${archs[@]}"; do
  case "$arch" in
    amd64) tc=() ;;
    armhf) tc=(-DCMAKE_TOOLCHAIN_FILE="$ROOT/toolchains/arm-linux-gnueabihf.cmake") ;;
    arm64) tc=(-DCMAKE_TOOLCHAIN_FILE="$ROOT/toolchains/aarch64-linux-gnu.cmake") ;;
    *) echo "package: unknown architecture '$arch' (amd64, armhf or arm64)" >&2; exit 64 ;;
  esac
  dir="$ROOT/build/pkg-$arch"
  echo "package: $arch: build in ${dir#"$ROOT"/}" >&2
  cmake -S "$ROOT" -B "$dir" -G Ninja "${tc[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DMOTE_BUILD_TESTS=OFF -DMOTE_BUILD_BENCH=OFF >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log" >&2; echo "package: $arch: configure failed" >&2; exit 1; }
  [ -f "$dir/CPackConfig.cmake" ] ||
    { grep 'packaging:' "$dir.configure.log" >&2; echo "package: $arch: no package configuration" >&2; exit 1; }
  cmake --build "$dir" -j "$(nproc)" >&2
  (cd "$dir" && cpack --config CPackConfig.cmake -B "$out" >&2)
  deb=$(ls "$out"/mote-broker_*_"$arch".deb)
  dpkg-deb -f "$deb" Architecture | grep -qx "$arch" || { echo "package: $deb is not $arch" >&2; exit 1; }
  echo "$deb"
done
