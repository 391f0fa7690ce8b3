#!/usr/bin/env bash
# README command (a): install, build, then run the controller on its embedded default:
# a local Kea HA pair on loopback (2 x kea-dhcp4 + 2 x kea-ctrl-agent) that it manages.
# Ctrl-C stops the controller and every Kea process it started.
#   scripts/lab.sh --kea 2.6|3.0   the same on real Kea 2.6 or 3.0 (Debian roots, built by
#                                  install-deps.sh); any other argument goes to the controller
#   scripts/lab.sh --kea 3.0 --lab-direct   Kea 3.0 without Control Agents
#   scripts/lab.sh --kea 3.2       real Kea 3.2 (no Control Agent: always direct, users and
#                                  passwords from files); its root is built from ISC's source:
#                                  KEA_HA_KEA_SOURCE=DIR scripts/lab.sh --kea 3.2 (docs/kea-versions.md)
#   scripts/lab.sh --service dhcp6 a DHCPv6 pair (2 x kea-dhcp6, each with its own server-id);
#                                  with any --kea
# Only the lab's programs are built (kea-ha-controller, kea-ha-ctl), not the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
KEA_HA_BUILD_TARGETS="kea-ha-controller kea-ha-ctl" ./scripts/build.sh
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --kea) [ $# -ge 2 ] || { echo "lab.sh: --kea needs 2.2, 2.6, 3.0 or 3.2" >&2; exit 2; }
           args+=(--lab-kea "$2"); shift 2 ;;
    --kea=*) args+=(--lab-kea "${1#--kea=}"); shift ;;
    --service) [ $# -ge 2 ] || { echo "lab.sh: --service needs dhcp4 or dhcp6" >&2; exit 2; }
               args+=(--lab-service "$2"); shift 2 ;;
    --service=*) args+=(--lab-service "${1#--service=}"); shift ;;
    *) args+=("$1"); shift ;;
  esac
done
exec ./build/kea-ha-controller --lab "${args[@]}"
