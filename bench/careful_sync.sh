#!/usr/bin/env bash
# The careful baseline of the replication benchmark (bench/replication_bench.cpp, issue 31
# point 6), beside bench/naive_sync.sh: what a careful operator's script does without the
# controller. Both configs read at once, one jq run that edits both, then each peer's
# config-set and config-write, the peers at once. No config-test and no per-peer
# transformation either (each peer gets its own config back, edited).
#
#   bench/careful_sync.sh VALID_LIFETIME SERVICE URL1 URL2
#     SERVICE: dhcp4 or dhcp6; URL: a Kea control agent ("http://127.0.0.41:8000/").
# Exits non-zero on any failure. Every curl has a deadline (--max-time).
set -euo pipefail
if [ $# -ne 4 ]; then
  echo "usage: careful_sync.sh VALID_LIFETIME SERVICE URL1 URL2" >&2
  exit 2
fi
lifetime=$1 service=$2 url1=$3 url2=$4
script=careful_sync.sh
# shellcheck source=bench/sync_common.sh
. "$(dirname "$0")/sync_common.sh"
# Both configs at once.
kea "$url1" "$tmp/get.cmd" "$tmp/get1.json" & one=$!
kea "$url2" "$tmp/get.cmd" "$tmp/get2.json" & two=$!
wait "$one"
wait "$two"
# One jq run edits both (its two outputs, one a line).
jq -c -n --arg svc "$service" --arg key "$key" --argjson lt "$lifetime" \
  --slurpfile a "$tmp/get1.json" --slurpfile b "$tmp/get2.json" \
  '($a, $b) | {command: "config-set", service: [$svc],
               arguments: {($key): (.[0][0].arguments[$key] | .["valid-lifetime"] = $lt)}}' >"$tmp/sets"
sed -n 1p "$tmp/sets" >"$tmp/set1.cmd"
sed -n 2p "$tmp/sets" >"$tmp/set2.cmd"
# Each peer: config-set then config-write; the two peers at once.
( kea "$url1" "$tmp/set1.cmd" "$tmp/set1.json" && kea "$url1" "$tmp/write.cmd" "$tmp/write1.json" ) & one=$!
( kea "$url2" "$tmp/set2.cmd" "$tmp/set2.json" && kea "$url2" "$tmp/write.cmd" "$tmp/write2.json" ) & two=$!
wait "$one"
wait "$two"
