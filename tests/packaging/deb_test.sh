#!/usr/bin/env bash
# The mote-broker .deb on this machine (label packaging; needs root, as in CI):
#
#   deb_test.sh PACKAGE.deb
#
#  1. dpkg -i: the files (/usr/sbin/mote-broker, /etc/mote/mote.conf as a conffile,
#     the systemd unit, /var/lib/mote owned by mote:mote, mode 0750), the "mote"
#     system user and group, the unit enabled, `systemd-analyze verify` of the unit,
#     `mote-broker --test-config` of the shipped configuration;
#  2. the installed broker runs as the mote user (setpriv: no systemd runs in CI)
#     with the installed configuration plus a port override (-p, loopback) for a
#     mosquitto_pub/sub round trip at QoS 1; SIGHUP reloads, SIGTERM stops it (0);
#  3. upgrade (dpkg -i again): a changed conffile and the data in /var/lib/mote
#     are kept;
#  4. dpkg -r: the program is gone, configuration, data and user stay (policy);
#  5. dpkg -P: conffile, /var/lib/mote, the unit's enable symlink, the mote user and
#     group are gone.
# MOTE_DEB_EMULATOR (e.g. "qemu-arm -L /usr/arm-linux-gnueabihf") runs the installed
# broker of a foreign-architecture package (armhf, arm64 with multiarch libraries;
# scripts/cross-check.sh does that): the machine has no binfmt handler.
# Not root: refuses with a message; exit 1 when CI=true, else 77 (ctest: skipped).
# Refuses too when mote-broker is already installed (it would be purged).
set -euo pipefail

DEB=${1:?usage: deb_test.sh PACKAGE.deb}
PKG=mote-broker
read -r -a EMU <<<"${MOTE_DEB_EMULATOR:-}"
UNIT=/lib/systemd/system/mote.service
WANTS=/etc/systemd/system/multi-user.target.wants/mote.service

fail() { printf 'deb_test: FAIL: %s\n' "$*" >&2; exit 1; }
say() { printf 'deb_test: %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "deb_test: this test installs and purges $PKG with dpkg and must run as root" >&2
  if [ "${CI:-}" = true ]; then exit 1; fi
  exit 77
fi
[ -f "$DEB" ] || fail "no package at $DEB"
if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q 'installed\|config-files'; then
  fail "$PKG is already installed on this machine; this test would replace and purge it (dpkg -P $PKG first)"
fi
for user in mote; do
  if getent passwd "$user" >/dev/null; then
    fail "a '$user' user exists already; this test would delete it on purge"
  fi
done

# dpkg with the lock taken by another apt/dpkg run on the machine: wait for it.
dpkg_run() {
  local out deadline=$((SECONDS + 600))
  while :; do
    if out=$(DEBIAN_FRONTEND=noninteractive dpkg --force-confold "$@" 2>&1); then
      printf '%s\n' "$out"
      return 0
    fi
    if printf '%s' "$out" | grep -q 'lock' && [ $SECONDS -lt $deadline ]; then
      sleep 2
      continue
    fi
    printf '%s\n' "$out" >&2
    return 1
  done
}

WORK=$(mktemp -d /tmp/mote-deb-test.XXXXXX)
BROKER_PID=""
SUB_PID=""
cleanup() {
  [ -n "$SUB_PID" ] && kill "$SUB_PID" 2>/dev/null || true
  [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null || true
  # Leave the machine as it was even when a step failed.
  if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q 'installed\|config-files'; then
    dpkg_run -P "$PKG" >/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- 1. install -------------------------------------------------------------
say "dpkg -i $(basename "$DEB")"
dpkg_run -i "$DEB"
[ "$(dpkg-query -W -f='${Status}' "$PKG")" = "install ok installed" ] || fail "$PKG not installed"

[ -x /usr/sbin/mote-broker ] || fail "/usr/sbin/mote-broker missing"
"${EMU[@]}" /usr/sbin/mote-broker --version | grep -q '^mote-broker ' || fail "mote-broker --version"
[ -f /etc/mote/mote.conf ] || fail "/etc/mote/mote.conf missing"
dpkg-query -W -f='${Conffiles}\n' "$PKG" | grep -q '^ /etc/mote/mote.conf ' ||
  fail "/etc/mote/mote.conf is not a conffile"
[ -f "$UNIT" ] || fail "$UNIT missing"
grep -qx 'Type=notify' "$UNIT" || fail "the unit is not Type=notify"

getent passwd mote >/dev/null || fail "no mote user"
getent group mote >/dev/null || fail "no mote group"
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd mote)
[ "$uid" -lt 1000 ] || fail "mote is not a system user (uid $uid)"
[ "$gid" = "$(getent group mote | cut -d: -f3)" ] || fail "mote's primary group is not mote"
[ "$home" = /var/lib/mote ] || fail "mote's home is $home"
[ "$shell" = /usr/sbin/nologin ] || fail "mote's shell is $shell"
[ "$(stat -c '%U:%G %a' /var/lib/mote)" = "mote:mote 750" ] ||
  fail "/var/lib/mote is $(stat -c '%U:%G %a' /var/lib/mote), want mote:mote 750"
[ -L "$WANTS" ] || fail "the unit was not enabled ($WANTS missing)"
say "files, conffile, mote user ($uid), /var/lib/mote, enabled unit: ok"

# systemd-analyze verify: unknown directives, bad values, missing binaries. The
# messages about a system that is not booted with systemd are not about the unit.
if ! out=$(systemd-analyze verify "$UNIT" 2>&1); then
  fail "systemd-analyze verify $UNIT:"$'\n'"$out"
fi
if printf '%s\n' "$out" | grep -i 'mote.service' | grep -qiv 'not booted'; then
  fail "systemd-analyze verify $UNIT complains:"$'\n'"$out"
fi
say "systemd-analyze verify: ok"

setpriv --reuid=mote --regid=mote --init-groups "${EMU[@]}" /usr/sbin/mote-broker --test-config -c /etc/mote/mote.conf |
  grep -q 'configuration OK' || fail "the shipped configuration does not pass --test-config"

# --- 2. run as the mote user ------------------------------------------------
# The unit's own ExecStart, User and WorkingDirectory, plus the port override.
read -r -a exec_start < <(sed -n 's/^ExecStart=//p' "$UNIT")
[ "${exec_start[*]}" = "/usr/sbin/mote-broker -c /etc/mote/mote.conf" ] || fail "unexpected ExecStart: ${exec_start[*]}"
[ "$(sed -n 's/^User=//p' "$UNIT")" = mote ] || fail "the unit does not run as User=mote"
workdir=$(sed -n 's/^WorkingDirectory=//p' "$UNIT")
workdir=${workdir:-/}  # systemd's default for system services
PORT=$(free_port)
LOG=$WORK/broker.log
setpriv --reuid=mote --regid=mote --init-groups --no-new-privs \
  env --chdir="$workdir" "${EMU[@]}" "${exec_start[@]}" -p "$PORT" >"$LOG" 2>&1 &
BROKER_PID=$!
# Ready when it accepts and has logged its listeners (the socket accepts from
# listen() on, a moment before the log line; under qemu-user the moment is longer).
for _ in $(seq 300); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && grep -q 'listening on' "$LOG"; then break; fi
  kill -0 "$BROKER_PID" 2>/dev/null || { cat "$LOG" >&2; fail "the installed broker exited"; }
  sleep 0.1
done
[ "$(awk '/^Uid:/ {print $2}' "/proc/$BROKER_PID/status")" = "$uid" ] || fail "the broker does not run as mote"
grep -q "listening on 127.0.0.1:$PORT" "$LOG" || { cat "$LOG" >&2; fail "not listening on 127.0.0.1:$PORT only"; }

mosquitto_sub -h 127.0.0.1 -p "$PORT" -t deb/test -q 1 -C 3 -W 20 >"$WORK/sub.out" 2>&1 &
SUB_PID=$!
sleep 0.5
for i in 1 2 3; do
  mosquitto_pub -h 127.0.0.1 -p "$PORT" -t deb/test -q 1 -m "hello $i" || fail "mosquitto_pub"
done
wait "$SUB_PID" || { cat "$WORK/sub.out" "$LOG" >&2; fail "mosquitto_sub did not get 3 messages"; }
SUB_PID=""
[ "$(cat "$WORK/sub.out")" = $'hello 1\nhello 2\nhello 3' ] || fail "received: $(cat "$WORK/sub.out")"
say "round trip through the installed broker as user mote on 127.0.0.1:$PORT: ok"

kill -HUP "$BROKER_PID"
for _ in $(seq 50); do grep -q 'SIGHUP' "$LOG" && break; sleep 0.1; done
grep -q 'SIGHUP' "$LOG" || { cat "$LOG" >&2; fail "no reload logged on SIGHUP"; }
kill -0 "$BROKER_PID" || fail "the broker died on SIGHUP"
kill -TERM "$BROKER_PID"
status=0
wait "$BROKER_PID" || status=$?
BROKER_PID=""
[ "$status" -eq 0 ] || { cat "$LOG" >&2; fail "the broker exited $status on SIGTERM"; }
say "SIGHUP reload and SIGTERM stop: ok"

# --- 3. upgrade (reinstall) keeps a changed conffile and the data -----------
echo "# changed by the operator" >>/etc/mote/mote.conf
setpriv --reuid=mote --regid=mote --init-groups sh -c 'echo data >/var/lib/mote/store-test'
dpkg_run -i "$DEB" >/dev/null
grep -q '^# changed by the operator$' /etc/mote/mote.conf || fail "the upgrade replaced the changed conffile"
[ "$(cat /var/lib/mote/store-test)" = data ] || fail "the upgrade lost /var/lib/mote/store-test"
[ "$(getent passwd mote | cut -d: -f3)" = "$uid" ] || fail "the upgrade changed mote's uid"
say "upgrade: conffile change and data kept: ok"

# --- 4. remove keeps configuration, data and user ---------------------------
dpkg_run -r "$PKG" >/dev/null
[ ! -e /usr/sbin/mote-broker ] || fail "dpkg -r left /usr/sbin/mote-broker"
[ ! -e "$UNIT" ] || fail "dpkg -r left $UNIT"
[ -f /etc/mote/mote.conf ] || fail "dpkg -r removed the conffile"
[ -f /var/lib/mote/store-test ] || fail "dpkg -r removed the data"
getent passwd mote >/dev/null || fail "dpkg -r removed the mote user"
say "remove: program gone; configuration, data and user kept: ok"

# --- 5. purge removes everything --------------------------------------------
dpkg_run -P "$PKG" >/dev/null
[ -z "$(dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -v 'not-installed')" ] || fail "$PKG still known to dpkg"
[ ! -e /etc/mote ] || fail "purge left /etc/mote"
[ ! -e /var/lib/mote ] || fail "purge left /var/lib/mote"
[ ! -e "$WANTS" ] || fail "purge left $WANTS"
! getent passwd mote >/dev/null || fail "purge left the mote user"
! getent group mote >/dev/null || fail "purge left the mote group"
say "purge: conffile, data, enable symlink, user and group gone: ok"
say "all passed"
