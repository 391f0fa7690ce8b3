#!/usr/bin/env bash
# Records the answers of real Kea 3.2 into tests/data/kea-3.2/ (tests/data/README.md): a pair
# lab of the built controller (`kea-ha-controller --lab --lab-kea 3.2`, the root of
# scripts/kea-roots.sh with KEA_HA_KEA_SOURCE), asked with curl on loopback. Needs root (the
# lab chroots), jq and a built ./build. Stops the controller (and with it the lab) by PID.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=tests/data/kea-3.2
mkdir -p "$out"
work=$(mktemp -d)
log="$work/controller.log"
build/kea-ha-controller --lab --lab-kea 3.2 >"$log" 2>&1 &
controller=$!
cleanup() { kill "$controller" 2>/dev/null || true; wait "$controller" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

until grep -q "lab ready" "$log"; do
  kill -0 "$controller" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.2
done
dir=$(dirname "$(grep -lx "$controller" /tmp/kea-ha-lab-*/.kea-ha-lab-owner)")
url_of() { grep -o "lab peer up peer=$1 role=[a-z]* url=[^ ]*" "$log" | sed 's/.*url=//'; }
url1=$(url_of server1)
url2=$(url_of server2)
auth="$(cat "$dir/api-user"):$(cat "$dir/api-password")"
ask() {  # URL JSON: the whole body Kea sent, whatever the HTTP status
  curl -s -u "$auth" -H 'Content-Type: application/json' -d "$2" "$1"
}
save() { jq -S . >"$out/$1"; echo "recorded $out/$1"; }
state_of() { ask "$1" '{"command": "status-get"}' | jq -r '.[0].arguments["high-availability"][0]["ha-servers"].local.state'; }

ask "$url1" '{"command": "version-get"}' | save version-get.json
ask "$url1" '{"command": "config-get"}' | save config-get-hot-standby-primary.json
ask "$url2" '{"command": "config-get"}' | save config-get-hot-standby-standby.json
ask "$url1" '{"command": "config-hash-get"}' | save config-hash-get.json
ask "$url1" '{"command": "ha-heartbeat"}' | save ha-heartbeat.json
ask "$url1" '{"command": "status-get"}' | save status-get-hot-standby-primary.json
ask "$url2" '{"command": "status-get"}' | save status-get-hot-standby-standby.json
# The same command with `service` naming the daemon that receives it (3.2 takes both).
ask "$url1" '{"command": "version-get", "service": ["dhcp4"]}' | save version-get-service-dhcp4.json

# 401: no credentials. 403: a config command on the HA hook's own listener (restrict-commands).
curl -s -H 'Content-Type: application/json' -d '{"command": "version-get"}' "$url1" | save direct-unauthorized.json
ha1=$(ask "$url1" '{"command": "config-get"}' | jq -r '.[0].arguments.Dhcp4["hooks-libraries"][] | select(.library | test("libdhcp_ha")) | .parameters["high-availability"][0].peers[] | select(.name == "server1") | .url')
ask "$ha1" '{"command": "config-get"}' | save ha-listener-forbidden.json

# config-set while kea-lfc runs: a live process named in the lease file's pid file is one, for Kea.
echo $$ >"$dir/server2/leases4.csv.pid"
config2=$(ask "$url2" '{"command": "config-get"}' | jq -c '{command: "config-set", arguments: {Dhcp4: .[0].arguments.Dhcp4}}')
ask "$url2" "$config2" | save config-set-lfc-running.json
rm -f "$dir/server2/leases4.csv.pid"
ask "$url2" "$config2" | save config-set.json

# The config-set restarted server2's HA service: back in hot-standby first.
for _ in $(seq 150); do [ "$(state_of "$url2")" = hot-standby ] && break; sleep 0.2; done
ask "$url2" '{"command": "dhcp-disable"}' >/dev/null
ask "$url2" '{"command": "status-get"}' | save status-get-disabled-by-user.json
ask "$url2" '{"command": "dhcp-enable"}' >/dev/null

# The primary's daemon gone: the standby goes partner-down.
pid1=$(ask "$url1" '{"command": "status-get"}' | jq -r '.[0].arguments.pid')
kill "$pid1"
for _ in $(seq 150); do [ "$(state_of "$url2")" = partner-down ] && break; sleep 0.2; done
[ "$(state_of "$url2")" = partner-down ] || { echo "server2 never went partner-down" >&2; exit 1; }
ask "$url2" '{"command": "status-get"}' | save status-get-partner-down.json
