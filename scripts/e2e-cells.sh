#!/usr/bin/env bash
# scripts/e2e-cells.sh table|ci-exclude
# The end-to-end cells (Kea version x service) and the ones CI runs, from tests/e2e-kea-versions.txt
# (its third column). A test parameterized by service is named "kea-X.Y.Service/Suite.Test/dhcp6"
# (or /dhcp4; CMake 3.25 appends gtest's "  # GetParam() = …"); every other test counts as dhcp4.
#   table       one line per cell: VERSION SERVICE NEED ci|session
#   ci-exclude  a ctest -E regular expression of the cells CI leaves out ("" when none)
set -euo pipefail
cd "$(dirname "$0")/.."
services=(dhcp4 dhcp6)
mode=${1:?usage: scripts/e2e-cells.sh table|ci-exclude}
excluded=()
while read -r version need ci _; do
  case "$version" in ''|\#*) continue ;; esac
  case ",${ci:-}," in
    *,dhcp4,*) ;;
    *) echo "tests/e2e-kea-versions.txt: Kea $version: CI services '${ci:-}' leave out dhcp4" \
            "(the tests not parameterized by service count as dhcp4: CI runs them on every version)" >&2
       exit 1 ;;
  esac
  for s in ${ci//,/ }; do
    case " ${services[*]} " in *" $s "*) ;; *) echo "tests/e2e-kea-versions.txt: Kea $version: unknown service '$s'" >&2; exit 1 ;; esac
  done
  for service in "${services[@]}"; do
    case ",$ci," in *",$service,"*) in_ci=ci ;; *) in_ci=session ;; esac
    case "$mode" in
      table) printf '%s %s %s %s\n' "$version" "$service" "$need" "$in_ci" ;;
      # CMake 3.25's gtest_discover_tests() keeps gtest's comment in the name: "…/dhcp6  # GetParam() = …".
      ci-exclude) [ "$in_ci" = ci ] || excluded+=("^kea-${version//./\\.}\\.[^ ]*/$service( .*)?\$") ;;
      *) echo "usage: scripts/e2e-cells.sh table|ci-exclude" >&2; exit 2 ;;
    esac
  done
done < tests/e2e-kea-versions.txt
if [ "$mode" = ci-exclude ]; then (IFS='|'; printf '%s\n' "${excluded[*]}"); fi
