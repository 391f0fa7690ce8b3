#!/usr/bin/env bash
# README command (a): install, build, then run the controller on its embedded default:
# a local Kea HA pair on loopback (2 x kea-dhcp4 + 2 x kea-ctrl-agent) that it manages.
# Ctrl-C stops the controller and every Kea process it started.
#   scripts/lab.sh --kea 2.6|3.0   the same on real Kea 2.6 or 3.0 (Debian roots, built by
#                                  install-deps.sh); any other argument goes to the controller
#   scripts/lab.sh --kea 3.0 --lab-direct   Kea 3.0 without Control Agents (the 3.2 shape)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --kea) [ $# -ge 2 ] || { echo "lab.sh: --kea needs 2.2, 2.6 or 3.0" >&2; exit 2; }
           args+=(--lab-kea "$2"); shift 2 ;;
    --kea=*) args+=(--lab-kea "${1#--kea=}"); shift ;;
    *) args+=("$1"); shift ;;
  esac
done
exec ./build/kea-ha-controller --lab "${args[@]}"
