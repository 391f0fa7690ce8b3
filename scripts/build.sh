#!/usr/bin/env bash
# Configures and builds kea-ha-controller into ./build (or $BUILD_DIR): every target, or only
# those named in $KEA_HA_BUILD_TARGETS (space-separated; scripts/lab.sh builds only its two).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
read -r -a targets <<<"${KEA_HA_BUILD_TARGETS:-}"
cmake --build "$build_dir" -j "$(nproc)" ${targets[@]+--target "${targets[@]}"}
