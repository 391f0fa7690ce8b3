#!/usr/bin/env bash
# The naive baseline of the replication benchmark (bench/replication_bench.cpp, issue 4):
# what an operator's script does without the controller. For each peer in turn, strictly
# sequentially: config-get, edit valid-lifetime with jq, config-set, config-write. No
# config-test, no per-peer transformation (each peer gets its own config back, edited).
#
#   bench/naive_sync.sh VALID_LIFETIME SERVICE URL [URL…]
#     SERVICE: dhcp4 or dhcp6; URL: a Kea control agent ("http://127.0.0.41:8000/").
# Exits non-zero on the first failure. Every curl has a deadline (--max-time).
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: naive_sync.sh VALID_LIFETIME SERVICE URL [URL…]" >&2
  exit 2
fi
lifetime=$1 service=$2
shift 2
script=naive_sync.sh
# shellcheck source=bench/sync_common.sh
. "$(dirname "$0")/sync_common.sh"
for url in "$@"; do
  kea "$url" "$tmp/get.cmd" "$tmp/get.json"
  jq -c --arg svc "$service" --arg key "$key" --argjson lt "$lifetime" \
    '{command: "config-set", service: [$svc],
      arguments: {($key): (.[0].arguments[$key] | .["valid-lifetime"] = $lt)}}' \
    "$tmp/get.json" >"$tmp/set.cmd"
  kea "$url" "$tmp/set.cmd" "$tmp/set.json"
  kea "$url" "$tmp/write.cmd" "$tmp/write.json"
done
