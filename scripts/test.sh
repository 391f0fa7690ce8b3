#!/usr/bin/env bash
# README command (b): install, build, run the whole test suite (unit, integration, and
# end-to-end against real Kea daemons the tests start on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 600
