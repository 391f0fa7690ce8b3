#!/usr/bin/env bash
# Builds and runs the benchmarks on demand: bench/run.sh [fleet|detection|replication|soak|all] [args…]
# Figures are printed as ratios against the targets and a baseline measured in the same run;
# docs/performance.md records them.
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}; shift || true
BUILD_DIR=${BUILD_DIR:-build-bench}
./scripts/install-deps.sh
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEA_HA_BENCH=ON >/dev/null
cmake --build "$BUILD_DIR" --target kea-ha-controller fleet_bench detection_bench replication_bench soak_bench
case "$which" in
  fleet) "$BUILD_DIR/bench/fleet_bench" "$@" ;;
  detection) "$BUILD_DIR/bench/detection_bench" "$@" ;;
  replication) "$BUILD_DIR/bench/replication_bench" "$@" ;;
  soak) "$BUILD_DIR/bench/soak_bench" "$@" ;;  # --minutes N (default 10; CI 2) --seed S
  all) "$BUILD_DIR/bench/fleet_bench"; "$BUILD_DIR/bench/detection_bench"; "$BUILD_DIR/bench/replication_bench" ;;
  *) echo "usage: bench/run.sh [fleet|detection|replication|soak|all] [args…]" >&2; exit 2 ;;
esac
