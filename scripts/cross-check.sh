#!/usr/bin/env bash
# Cross builds and the no-heap / no-exceptions check (called by scripts/test.sh).
#
#  1. For Cortex-M0+, M3, M4 and M33: configure and build the project with
#     toolchains/arm-none-eabi-<cpu>.cmake (Release, -Werror) into build/cross-<cpu>,
#     then check with arm-none-eabi-nm that libmote_common.a, libmote_client.a (when
#     built) and every *.elf neither reference nor contain the heap (malloc, free,
#     operator new/delete, ...) or the exception runtime (__cxa_throw,
#     __gxx_personality_v0, _Unwind_*, ...).
#  2. Prints arm-none-eabi-size of libmote_common.a for Cortex-M0+.
#  3. Builds common/, the client and mote-broker for arm-linux-gnueabihf and
#     aarch64-linux-gnu against Debian's multiarch libraries (scripts/setup.sh
#     installs libuv1-dev:armhf/arm64 and friends), and runs tests/cross/gateway_test.py: the ARM
#     brokers under qemu-arm / qemu-aarch64 with mosquitto_pub/sub round trips at
#     QoS 0/1/2 and the ARM sensor example, also under qemu-user; then builds the
#     armhf/arm64 .deb packages (CPack), runs the packaged broker on the packaged
#     mote.conf under qemu-user, and (as root) installs each package with dpkg for
#     tests/packaging/deb_test.sh, the installed broker running under qemu-user.
#  4. Runs scripts/size-report.sh when it exists.
# Exits non-zero, naming the symbol and the file, on the first violation.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=$(nproc)
NM=arm-none-eabi-nm
SIZE=arm-none-eabi-size

say() { printf -- '--- cross-check: %s\n' "$*"; }
die() { printf 'cross-check: FAIL: %s\n' "$*" >&2; exit 1; }

# Heap, C++ allocation and exception/unwinding runtime. newlib's reentrant _r
# variants count as the heap too.
FORBIDDEN='^(malloc|free|calloc|realloc|reallocf|memalign|posix_memalign|aligned_alloc|valloc|pvalloc|_malloc_r|_free_r|_calloc_r|_realloc_r|_memalign_r|_Znw.*|_Zna.*|_Zdl.*|_Zda.*|__cxa_throw|__cxa_rethrow|__cxa_allocate_exception|__cxa_free_exception|__cxa_begin_catch|__cxa_end_catch|__cxa_call_unexpected|__gxx_personality_v0|__gxx_personality_sj0|_Unwind_.*)$'

# check_symbols FILE: fails when FILE (archive or ELF) defines or references a
# forbidden symbol. In an archive an undefined reference is the finding; in a linked
# ELF the library code shows up as defined symbols.
check_symbols() {
  local file=$1 hits
  hits=$("$NM" -A "$file" 2>/dev/null | awk -v re="$FORBIDDEN" '
    { sym = $NF; type = $(NF-1); where = $1; sub(/:$/, "", where) }
    sym ~ re { printf "  %s: %s (%s)\n", where, sym, (type == "U" ? "referenced" : "defined") }')
  if [ -n "$hits" ]; then
    printf '%s\n' "$hits" >&2
    die "forbidden heap/exception symbol in ${file#"$ROOT"/}: $(printf '%s\n' "$hits" | head -1 | sed 's/.*: \(.*\) (.*/\1/')"
  fi
}

build() {  # build DIR TOOLCHAIN [extra cmake args...]
  local dir=$1 tc=$2
  shift 2
  cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$ROOT/toolchains/$tc" \
    -DCMAKE_BUILD_TYPE=Release -DMOTE_WERROR=ON "$@" >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log" >&2; die "configure failed for $tc"; }
  cmake --build "$dir" -j "$JOBS" >"$dir.build.log" 2>&1 ||
    { tail -50 "$dir.build.log" >&2; die "build failed for $tc (log: ${dir#"$ROOT"/}.build.log)"; }
}

mkdir -p "$ROOT/build"
for cpu in cortex-m0plus cortex-m3 cortex-m4 cortex-m33; do
  dir="$ROOT/build/cross-$cpu"
  say "$cpu: build"
  build "$dir" "arm-none-eabi-$cpu.cmake"
  checked=0
  while IFS= read -r f; do
    check_symbols "$f"
    checked=$((checked + 1))
  done < <(find "$dir" \( -name libmote_common.a -o -name libmote_client.a -o -name '*.elf' \) -type f | sort)
  [ -f "$dir/common/libmote_common.a" ] || die "$cpu: libmote_common.a was not built"
  say "$cpu: no heap or exception symbols in $checked file(s)"
done

say "size of libmote_common.a on cortex-m0plus (Release, -Os):"
echo "\$ $SIZE -t build/cross-cortex-m0plus/common/libmote_common.a | tail -1"
(cd "$ROOT" && "$SIZE" -t build/cross-cortex-m0plus/common/libmote_common.a | sed -n '1p;$p')

for tc in arm-linux-gnueabihf aarch64-linux-gnu; do
  dir="$ROOT/build/cross-$tc"
  arch=armhf sensor_version=5
  [ "$tc" = aarch64-linux-gnu ] && arch=arm64 sensor_version=4
  say "$tc: build (common, client and mote-broker; no tests or benchmarks)"
  build "$dir" "$tc.cmake" -DMOTE_BUILD_TESTS=OFF -DMOTE_BUILD_BENCH=OFF
  [ -f "$dir/common/libmote_common.a" ] || die "$tc: libmote_common.a was not built"
  [ -x "$dir/broker/mote-broker" ] || die "$tc: mote-broker was not built"
  say "$tc: gateway in emulation (broker and sensor under qemu-user)"
  python3 "$ROOT/tests/cross/gateway_test.py" "$arch" "$dir/broker/mote-broker" \
    "$dir/firmware-client/mote-sensor" "$sensor_version" || die "$tc: gateway test failed"
  say "$tc: .deb package (CPack) and its broker under qemu-user"
  rm -rf "$dir/deb"
  (cd "$dir" && cpack --config CPackConfig.cmake -B "$dir/deb") >"$dir.cpack.log" 2>&1 ||
    { tail -30 "$dir.cpack.log" >&2; die "$tc: cpack failed"; }
  deb=$(echo "$dir"/deb/mote-broker_*_"$arch".deb)
  [ -f "$deb" ] || die "$tc: no mote-broker_*_$arch.deb"
  dpkg-deb -f "$deb" Architecture | grep -qx "$arch" || die "$tc: $deb is not Architecture: $arch"
  rm -rf "$dir/deb/root" && dpkg-deb -x "$deb" "$dir/deb/root"
  for f in usr/sbin/mote-broker etc/mote/mote.conf lib/systemd/system/mote.service; do
    [ -f "$dir/deb/root/$f" ] || die "$tc: $deb lacks /$f"
  done
  qemu=qemu-arm; [ "$arch" = arm64 ] && qemu=qemu-aarch64
  "$qemu" -L "/usr/$tc" "$dir/deb/root/usr/sbin/mote-broker" --test-config -c "$dir/deb/root/etc/mote/mote.conf" |
    grep -q 'configuration OK' || die "$tc: the packaged broker does not accept the packaged mote.conf"
  say "$tc: $(basename "$deb"): $(dpkg-deb -f "$deb" Installed-Size) KiB installed; the packaged broker runs"
  # The package installed for real (multiarch), its broker run by qemu-user as the
  # mote user, upgraded, removed and purged: tests/packaging/deb_test.sh.
  rc=0
  MOTE_DEB_EMULATOR="$qemu -L /usr/$tc" bash "$ROOT/tests/packaging/deb_test.sh" "$deb" || rc=$?
  case $rc in
    0) say "$tc: $(basename "$deb"): install, run as mote, upgrade, remove, purge: ok" ;;
    77) say "$tc: $(basename "$deb"): install test skipped (needs root)" ;;
    *) die "$tc: install test of $(basename "$deb") failed" ;;
  esac
done

if [ -f "$ROOT/scripts/size-report.sh" ]; then
  say "size report"
  bash "$ROOT/scripts/size-report.sh"
fi
say "all cross builds passed"
