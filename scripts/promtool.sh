#!/usr/bin/env bash
# Puts Debian's promtool (from the prometheus package, Debian 12: 2.42) and amtool (from
# prometheus-alertmanager, 0.25) at $KEA_HA_PROMTOOL_DIR/{promtool,amtool} (default
# /var/cache/kea-ha-controller/promtool), for the checks of packaging/prometheus/
# (tests/integration/packaging_test.cpp). Only the two tools are taken out of the packages:
# installing the packages themselves would start servers on :9090 and :9093. The .debs come
# from the machine's own apt sources (apt-get download). Idempotent: a second run costs nothing.
set -euo pipefail
dir=${KEA_HA_PROMTOOL_DIR:-/var/cache/kea-ha-controller/promtool}

# extract PACKAGE TOOL: /usr/bin/TOOL of Debian's PACKAGE into $dir, unless it runs already.
extract() {
  local package=$1 tool=$2
  if [ -x "$dir/$tool" ] && "$dir/$tool" --version >/dev/null 2>&1; then
    echo "$tool: present ($dir/$tool)"
    return 0
  fi
  local work
  work=$(mktemp -d)
  chmod 755 "$work"  # apt downloads as _apt
  ( cd "$work" && apt-get download -qq "$package" >/dev/null )
  mkdir -p "$work/x" "$dir"
  dpkg-deb --fsys-tarfile "$(ls "$work"/"${package}"_*.deb)" | tar -x -C "$work/x" "./usr/bin/$tool"
  install -m 0755 "$work/x/usr/bin/$tool" "$dir/$tool.new"
  mv -f "$dir/$tool.new" "$dir/$tool"
  rm -rf "$work"
  echo "$tool: $("$dir/$tool" --version 2>&1 | head -1) in $dir"
}

extract prometheus promtool
extract prometheus-alertmanager amtool
