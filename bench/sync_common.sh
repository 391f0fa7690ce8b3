# Sourced by bench/naive_sync.sh and bench/careful_sync.sh (the replication benchmark's
# baselines): `script` names the caller for messages, `service` is dhcp4 or dhcp6. Sets
# `key` (Dhcp4 or Dhcp6) and `tmp` (removed on exit), writes the config-get and config-write
# commands to $tmp/get.cmd and $tmp/write.cmd, and defines kea().
case "$service" in
  dhcp4) key=Dhcp4 ;;
  dhcp6) key=Dhcp6 ;;
  *) echo "$script: service must be dhcp4 or dhcp6" >&2; exit 2 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

kea() {  # kea URL BODY-FILE OUT-FILE: POST a command, fail unless Kea's result is 0
  curl -sS --fail --max-time 120 -H 'Content-Type: application/json' --data-binary "@$2" -o "$3" "$1"
  if ! jq -e '.[0].result == 0' "$3" >/dev/null; then
    echo "$script: $1: $(head -c 300 "$3")" >&2
    exit 1
  fi
}

printf '{"command":"config-get","service":["%s"]}' "$service" >"$tmp/get.cmd"
printf '{"command":"config-write","service":["%s"]}' "$service" >"$tmp/write.cmd"
