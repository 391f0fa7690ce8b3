#!/usr/bin/env bash
# README command (b): install, build, run the whole test suite (unit, integration, and
# end-to-end against real Kea daemons the tests start on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
# Under CI (.ci/run sets KEA_HA_E2E_CELLS=ci) the end-to-end tests run in the (Kea version,
# service) cells tests/e2e-kea-versions.txt declares for CI only (scripts/e2e-cells.sh); otherwise,
# by hand, in every cell.
exclude=()
if [ "${KEA_HA_E2E_CELLS:-all}" = ci ]; then
  regex=$(scripts/e2e-cells.sh ci-exclude)
  [ -z "$regex" ] || exclude=(-E "$regex")
fi
# The JUnit file lets .ci/e2e-counts say per (Kea version, service) what ran, passed and was skipped.
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 600 --output-junit "$PWD/build/ctest-results.xml" \
  ${exclude[@]+"${exclude[@]}"}
