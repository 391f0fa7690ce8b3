#!/usr/bin/env bash
# Puts Debian's promtool (from the prometheus package, Debian 12: 2.42) at
# $KEA_HA_PROMTOOL_DIR/promtool (default /var/cache/kea-ha-controller/promtool), for the
# checks of packaging/prometheus/ (tests/integration/packaging_test.cpp). Only promtool is
# taken out of the package: installing prometheus itself would start a server on :9090.
# The .deb comes from the machine's own apt sources (apt-get download). Idempotent: a
# second run costs nothing.
set -euo pipefail
dir=${KEA_HA_PROMTOOL_DIR:-/var/cache/kea-ha-controller/promtool}
if [ -x "$dir/promtool" ] && "$dir/promtool" --version >/dev/null 2>&1; then
  echo "promtool: present ($dir/promtool)"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"  # apt downloads as _apt
( cd "$work" && apt-get download -qq prometheus >/dev/null )
deb=$(ls "$work"/prometheus_*.deb)
mkdir -p "$work/x" "$dir"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/x" ./usr/bin/promtool
install -m 0755 "$work/x/usr/bin/promtool" "$dir/promtool.new"
mv -f "$dir/promtool.new" "$dir/promtool"
echo "promtool: $("$dir/promtool" --version 2>&1 | head -1) in $dir"
