#!/usr/bin/env bash
# Installs everything kea-ha-controller needs to build, test and run its lab,
# from Debian 12's own packages. Used by both README set-up commands and CI.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build
  libboost-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libpugixml-dev
  libssl-dev libsystemd-dev libgtest-dev libgmock-dev libjemalloc-dev libsimdjson-dev
  kea-dhcp4-server kea-dhcp6-server kea-ctrl-agent kea-admin
  curl jq openssl procps
  # Real Kea 2.6 and 3.0 for the lab and the end-to-end tests, in Debian roots
  # (scripts/kea-roots.sh), run with chroot; util-linux gives mount and umount.
  debootstrap util-linux
  # The Debian package and its test (tests/package/package_test.sh): dpkg-shlibdeps,
  # lintian, systemd-analyze (from the systemd package; installing it does not need
  # systemd to run as PID 1), man -w.
  dpkg-dev lintian file man-db systemd
  # The HA-truth end-to-end tests: a peer on a skewed clock (libfaketime, LD_PRELOAD), and the
  # HA channel or the controller cut inside the test's own network namespace (iptables).
  faketime iptables
  # Headless browser for the status page test.
  chromium
  # The fuzz targets (tests/fuzz, scripts/fuzz.sh): clang 14 and its runtimes (libFuzzer,
  # ASan, UBSan). libclang-rt-14-dev is only a Recommends of clang (none are installed here).
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
here=$(cd "$(dirname "$0")" && pwd)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  "$here/promtool.sh"
  exec "$here/kea-roots.sh"
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
# Kea's packages start their services through systemd where it runs; the lab
# starts its own daemons, so a policy-rc.d keeps the packaged ones stopped.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
"$here/promtool.sh"
exec "$here/kea-roots.sh"
