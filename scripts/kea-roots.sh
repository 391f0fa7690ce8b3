#!/usr/bin/env bash
# Builds the Debian roots that hold real Kea 2.6 (suite trixie) and Kea 3.0 (suite sid)
# for the lab and the end-to-end tests (the system's own Kea 2.2 needs no root).
#
#   scripts/kea-roots.sh            build what is missing or broken, keep what is good
#   scripts/kea-roots.sh --print    print "VERSION DIR" of each good root, build nothing
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
  for r in "${roots[@]}"; do
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
  for m in $(awk -v p="$new/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r); do $SUDO umount -l "$m" || true; done
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
    for m in $(awk -v p="$dir/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r); do $SUDO umount -l "$m" || true; done
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
[ ${#failed[@]} -eq 0 ] || exit 1
