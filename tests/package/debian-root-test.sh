#!/usr/bin/env bash
# The Debian package in a clean Debian root: proof that its Depends and paths are right.
#
#   tests/package/debian-root-test.sh BUILD_DIR
#
# 1. builds the .deb from BUILD_DIR (cpack; man pages when help2man is installed)
# 2. makes a minimal Debian root with mmdebstrap (variant minbase, Debian's own packages)
#    holding only what the .deb's Depends line names (first of each alternative); the root
#    is cached as BUILD_DIR/package-root/<hash of Depends>.tar, so later runs skip this
# 3. in that root (its own mount, pid and network namespaces): dpkg -i the .deb (dpkg
#    refuses it if a dependency or version is missing), then checks that the postinst made
#    the user, the directories and the keys and enabled the units without starting them;
#    runs the installed `keyward --check-config` with the installed default config,
#    `keygen`, `systemd-analyze verify` on the installed units; starts the installed daemon
#    as user keyward with the default config, asks it with the installed CLI, and runs one
#    rotation with the installed rotate-key.sh as the timer's unit would
#
# Exit 0 passed, 1 failed, 77 skipped (only when mmdebstrap cannot work here: not root and
# no user namespaces, or no Debian mirror). Time: about 90 s the first time (mmdebstrap),
# about 10 s with the cached root.
set -euo pipefail

build=$(cd "${1:?usage: debian-root-test.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
suite=${KEYWARD_PACKAGE_SUITE:-bookworm}
mirror=${KEYWARD_PACKAGE_MIRROR:-http://deb.debian.org/debian}
started=$(date +%s)
say() { printf 'package-test: %s\n' "$*"; }
skip() { say "SKIPPED: $*"; exit 77; }
fail() { say "FAILED: $*"; exit 1; }

command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed (apt-get install mmdebstrap)"
command -v dpkg-shlibdeps >/dev/null || skip "dpkg-shlibdeps is not installed (apt-get install dpkg-dev)"
[ "$(id -u)" = 0 ] || skip "needs root for the chroot's mounts (mmdebstrap --mode=root)"
unshare --mount --pid --net --fork true 2>/dev/null || skip "cannot make mount, pid and network namespaces here"

# 1. The package.
targets=(keyward keygen)
grep -q '^man:' "$build/Makefile" 2>/dev/null && targets+=(man)
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >/dev/null
rm -f "$build"/keyward_*.deb
(cd "$build" && cpack -G DEB >/dev/null) || fail "cpack could not build the package"
deb=$(ls "$build"/keyward_*.deb)
depends=$(dpkg-deb -f "$deb" Depends)
say "package $(basename "$deb"); Depends: $depends"

# 2. The root: minbase plus exactly the Depends (first alternatives, versions checked by dpkg).
include=$(printf '%s' "$depends" | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/[[:space:]]//g' | grep . | paste -sd,)
cache="$build/package-root"
root_tar="$cache/$suite-$(printf '%s' "$include" | sha256sum | cut -c1-16).tar"
if [ ! -f "$root_tar" ]; then
  mkdir -p "$cache"
  rm -f "$cache"/*.tar
  say "making a $suite minbase root with $include (cached in $root_tar)"
  if ! mmdebstrap --quiet --mode=root --variant=minbase --include="$include" "$suite" "$cache/partial.tar" "$mirror" \
      > "$cache/mmdebstrap.log" 2>&1; then
    tail -5 "$cache/mmdebstrap.log"
    grep -qiE "could not resolve|failed to fetch|temporary failure|connection" "$cache/mmdebstrap.log" &&
      skip "mmdebstrap cannot reach $mirror"
    fail "mmdebstrap failed (log: $cache/mmdebstrap.log)"
  fi
  mv "$cache/partial.tar" "$root_tar"
fi
root=$(mktemp -d /tmp/keyward-package-root.XXXXXX)
trap 'rm -rf "$root"' EXIT
tar -C "$root" -xf "$root_tar"
cp "$deb" "$root/tmp/keyward.deb"
cp "$here/in-root.sh" "$root/tmp/in-root.sh"

# 3. Everything else inside the root, in namespaces of its own (no mounts or processes left
# behind, port 8420 of this host untouched).
unshare --mount --pid --net --fork --mount-proc="$root/proc" /bin/sh -c '
  set -e
  mount --rbind /dev "$1/dev"
  mount -t sysfs sysfs "$1/sys" 2>/dev/null || mount --rbind /sys "$1/sys"
  ip link set lo up 2>/dev/null || true
  exec chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root /bin/bash /tmp/in-root.sh
' sh "$root" || fail "the checks in the Debian root failed (above)"
say "passed in $(( $(date +%s) - started )) s"
