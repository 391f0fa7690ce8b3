#!/usr/bin/env bash
# README command (a): install, build, then run the controller on its embedded default:
# a local Kea HA pair on loopback (2 x kea-dhcp4 + 2 x kea-ctrl-agent) that it manages.
# Ctrl-C stops the controller and every Kea process it started.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
exec ./build/kea-ha-controller --lab "$@"
