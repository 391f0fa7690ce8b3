#!/usr/bin/env bash
# Builds the Debian roots that hold real Kea 2.6 (suite trixie) and Kea 3.0 (suite sid)
# for the lab and the end-to-end tests (the system's own Kea 2.2 needs no root), and,
# when KEA_HA_KEA_SOURCE names ISC's Kea source, the Kea 3.2 root.
#
#   scripts/kea-roots.sh            build what is missing or broken, keep what is good
#   scripts/kea-roots.sh --print    print "VERSION DIR" of each good root, build nothing
#
# Kea 3.2 is in no Debian suite. With KEA_HA_KEA_SOURCE=DIR (a Kea source tree at version
# 3.2.0, or a Git repository, bare or not, holding the tag Kea-3.2.0, such as a clone of
# isc-projects/kea) the script builds kea-3.2: a copy of the good Kea 3.0 (sid) root, the
# source exported into it, built there with Debian's toolchain (meson, only kea-dhcp4,
# kea-dhcp6, kea-lfc and the HA and lease_cmds hooks; about 25 minutes on 2 cores), installed
# under /usr/local with Debian's Kea packages removed. Nothing of Kea's source stays in
# this repository. Without KEA_HA_KEA_SOURCE the 3.2 root is neither built nor removed.
#
# Roots live under $KEA_HA_ROOTS (default /var/cache/kea-ha-controller/roots). A root is
# good when its stamp file names the Kea version its kea-dhcp4 prints; anything else in
# its place (a half-built or interrupted root) is removed and built again. A root is
# built beside the old one and swapped in only when it works, so a failed build (sid
# changes every day) keeps the last good root. The mirror is read from the machine's
# apt sources at run time; nothing else is downloaded.
set -euo pipefail

roots_dir=${KEA_HA_ROOTS:-/var/cache/kea-ha-controller/roots}
# version  suite
roots=("2.6 trixie" "3.0 sid")
include=kea-dhcp4-server,kea-dhcp6-server,kea-ctrl-agent

stamp_ok() {  # DIR VERSION: the root's stamp names VERSION and its kea-dhcp4 agrees
  local dir=$1 version=$2
  [ -f "$dir/.kea-ha-root" ] && [ "$(cat "$dir/.kea-ha-root")" = "$version" ] || return 1
  chroot "$dir" kea-dhcp4 -V 2>/dev/null | head -1 | grep -q "^$version\."
}

if [ "${1:-}" = "--print" ]; then
  for r in "${roots[@]}" "3.2 source"; do
    set -- $r
    stamp_ok "$roots_dir/kea-$1" "$1" && echo "$1 $roots_dir/kea-$1"
  done
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

apt_mirror() {
  # The first Debian archive the machine's apt sources name for its own release.
  local codename uri
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  uri=$(awk -v c="$codename" '
      /^URIs:/    { u = $2 }
      /^Suites:/  { for (i = 2; i <= NF; i++) if ($i == c) s = 1 }
      /^$/        { if (u != "" && s) { print u; exit } u = ""; s = 0 }
      END         { if (u != "" && s) print u }' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk -v c="$codename" '$1 == "deb" && $0 !~ /\[/ && $3 == c { print $2; exit }
                                 $1 == "deb" && $0 ~ /\]/ { for (i = 2; i < NF; i++) if ($i ~ /\]$/) { if ($(i+2) == c) { print $(i+1); exit } } }' \
          /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || { echo "kea-roots: no Debian mirror for '$codename' in the apt sources" >&2; return 1; }
  echo "$uri"
}

unmount_under() {  # DIR: every mount below DIR, deepest first
  local m
  for m in $(awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r); do $SUDO umount -l "$m" || true; done
}

mirror=""
failed=()
for r in "${roots[@]}"; do
  set -- $r
  version=$1 suite=$2 dir="$roots_dir/kea-$1"
  if stamp_ok "$dir" "$version"; then
    echo "kea-roots: Kea $version root ready ($dir)"
    continue
  fi
  [ -n "$mirror" ] || mirror=$(apt_mirror)
  $SUDO mkdir -p "$roots_dir"
  new="$dir.new"
  # Whatever is left of an interrupted build: mounts first (a lab killed mid-test), then files.
  unmount_under "$new"
  $SUDO rm -rf --one-file-system "$new"
  echo "kea-roots: building the Kea $version root from $suite ($mirror), about a minute"
  ok=0
  for attempt in 1 2; do
    if $SUDO debootstrap --variant=minbase --include="$include" "$suite" "$new" "$mirror" \
         >"$roots_dir/kea-$version.log" 2>&1 \
       && chroot "$new" kea-dhcp4 -V 2>/dev/null | head -1 | grep -q "^$version\."; then
      ok=1; break
    fi
    echo "kea-roots: attempt $attempt for Kea $version failed (log: $roots_dir/kea-$version.log)"
    $SUDO rm -rf --one-file-system "$new"
  done
  if [ $ok -eq 1 ]; then
    echo "$version" | $SUDO tee "$new/.kea-ha-root" >/dev/null
    unmount_under "$dir"
    $SUDO rm -rf --one-file-system "$dir"
    $SUDO mv "$new" "$dir"
    echo "kea-roots: Kea $version root ready ($dir, $(chroot "$dir" kea-dhcp4 -V | head -1))"
  elif stamp_ok "$dir" "$version"; then
    echo "kea-roots: could not build a new Kea $version root from $suite; keeping the last good one"
  else
    echo "kea-roots: COULD NOT BUILD the Kea $version root from suite $suite (see $roots_dir/kea-$version.log);" \
         "its lab and end-to-end tests will fail until it builds" >&2
    failed+=("$version")
  fi
done

# --- Kea 3.2 from ISC's source (only with KEA_HA_KEA_SOURCE) ---------------------------
source_tag=Kea-3.2.0
source_targets="src/bin/dhcp4/kea-dhcp4 src/bin/dhcp6/kea-dhcp6 src/bin/lfc/kea-lfc"
source_targets+=" src/hooks/dhcp/high_availability/libdhcp_ha.so src/hooks/dhcp/lease_cmds/libdhcp_lease_cmds.so"
source_packages="g++ meson ninja-build pkg-config libboost-dev liblog4cplus-dev libssl-dev python3"

export_source() {  # SOURCE DEST: Kea at $source_tag from a Git repository or a source tree
  local src=$1 dest=$2
  if git -C "$src" rev-parse --verify -q "refs/tags/$source_tag^{commit}" >/dev/null 2>&1; then
    git -C "$src" archive --format=tar "$source_tag" | $SUDO tar -x -C "$dest"
  elif [ -f "$src/meson.build" ] && grep -q "version: '3\.2\.0" "$src/meson.build"; then
    $SUDO cp -a "$src/." "$dest/"
    $SUDO rm -rf "$dest/build" "$dest/.git"
  else
    echo "kea-roots: KEA_HA_KEA_SOURCE=$src is neither a Git repository holding the tag $source_tag" \
         "nor a Kea 3.2.0 source tree (meson.build with version 3.2.0)" >&2
    return 1
  fi
}

build_source_root() {  # the kea-3.2 root, built beside the old one as $dir.new
  local base="$roots_dir/kea-3.0" new="$dir.new" log="$roots_dir/kea-3.2.log"
  if ! stamp_ok "$base" 3.0; then
    echo "kea-roots: the Kea 3.2 root is built from a copy of the good Kea 3.0 (sid) root, and there is none" >&2
    return 1
  fi
  unmount_under "$new"
  $SUDO rm -rf --one-file-system "$new"
  # A lab running on the 3.0 root has its directory bind-mounted in it: copy none of that.
  local m
  $SUDO cp -a --one-file-system "$base" "$new" || true
  for m in $(awk -v p="$base/" 'index($2, p) == 1 { print substr($2, length(p)) }' /proc/mounts); do
    $SUDO rm -rf --one-file-system "${new:?}/$m"
  done
  $SUDO rm -f "$new/.kea-ha-root"
  $SUDO mkdir -p "$new/usr/src/kea"
  export_source "$KEA_HA_KEA_SOURCE" "$new/usr/src/kea" || return 1
  $SUDO cp /etc/resolv.conf "$new/etc/resolv.conf"
  $SUDO mount -t proc proc "$new/proc"
  local rc=0
  # shellcheck disable=SC2086  # the lists are word lists
  $SUDO chroot "$new" env DEBIAN_FRONTEND=noninteractive sh -ec "
      apt-get -o Acquire::Check-Valid-Until=false update
      apt-get install -y --no-install-recommends $source_packages
      cd /usr/src/kea
      meson setup build --prefix=/usr/local -Dcrypto=openssl -Dpostgresql=disabled -Dmysql=disabled \
            -Dnetconf=disabled -Dkrb5=disabled -Dtests=disabled
      ninja -C build -j2 $source_targets
      apt-get purge -y kea-ctrl-agent kea-dhcp4-server kea-dhcp6-server kea-common python3-kea-connector
      mkdir -p /usr/local/sbin /usr/local/lib/x86_64-linux-gnu /usr/local/lib64/kea/hooks
      install -m 755 build/src/bin/dhcp4/kea-dhcp4 build/src/bin/dhcp6/kea-dhcp6 build/src/bin/lfc/kea-lfc /usr/local/sbin/
      find build/src/lib -name 'libkea-*.so*' ! -name '*.symbols' -exec cp -a {} /usr/local/lib/x86_64-linux-gnu/ \;
      install -m 755 build/src/hooks/dhcp/high_availability/libdhcp_ha.so \
                     build/src/hooks/dhcp/lease_cmds/libdhcp_lease_cmds.so /usr/local/lib64/kea/hooks/
      ldconfig
      for b in kea-dhcp4 kea-dhcp6 kea-lfc; do ln -sf ../local/sbin/\$b /usr/sbin/\$b; done
      cd / && rm -rf /usr/src/kea
      apt-get clean" >"$log" 2>&1 || rc=$?
  $SUDO umount -l "$new/proc" || true
  [ $rc -eq 0 ] && chroot "$new" kea-dhcp4 -V 2>/dev/null | head -1 | grep -q "^3\.2\."
}

if [ -n "${KEA_HA_KEA_SOURCE:-}" ]; then
  version=3.2 dir="$roots_dir/kea-3.2"
  if stamp_ok "$dir" "$version"; then
    echo "kea-roots: Kea $version root ready ($dir)"
  else
    echo "kea-roots: building the Kea 3.2 root from $KEA_HA_KEA_SOURCE ($source_tag), about 25 minutes (log: $roots_dir/kea-3.2.log)"
    if build_source_root; then
      echo "$version" | $SUDO tee "$dir.new/.kea-ha-root" >/dev/null
      unmount_under "$dir"
      $SUDO rm -rf --one-file-system "$dir"
      $SUDO mv "$dir.new" "$dir"
      echo "kea-roots: Kea $version root ready ($dir, $(chroot "$dir" kea-dhcp4 -V | head -1))"
    else
      echo "kea-roots: COULD NOT BUILD the Kea 3.2 root from $KEA_HA_KEA_SOURCE (see $roots_dir/kea-3.2.log);" \
           "its lab and end-to-end tests skip until it builds" >&2
      failed+=("3.2")
    fi
  fi
fi
[ ${#failed[@]} -eq 0 ] || exit 1
