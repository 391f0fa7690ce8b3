#!/usr/bin/env bash
# README command (b): install, build, run the whole test suite (unit, integration, and
# end-to-end against real Kea daemons the tests start on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
# The JUnit file lets .ci/e2e-counts say per Kea version what ran, passed and was skipped.
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 600 --output-junit "$PWD/build/ctest-results.xml"
