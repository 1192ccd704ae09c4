#!/usr/bin/env bash
# Tier C: Nix eval tests. Runs every suite `tests/lib/<suite>/run.sh`; each
# prints its own failures and ends with `N passed, N failed`. Sums them into
# one closing line (and into $NIXFLEET_TEST_SUMMARY as "passed failed").
set -uo pipefail
cd "$(dirname "$0")/../.."
export NIX_CONFIG="${NIX_CONFIG:-experimental-features = nix-command}"

total_p=0
total_f=0
for suite in tests/lib/*/run.sh; do
  [ -f "$suite" ] || continue
  name=$(basename "$(dirname "$suite")")
  echo "--- nix suite: $name"
  out=$(bash "$suite" 2>&1)
  rc=$?
  printf '%s\n' "$out"
  last=$(printf '%s\n' "$out" | tail -n 1)
  if [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
    total_p=$((total_p + BASH_REMATCH[1]))
    total_f=$((total_f + BASH_REMATCH[2]))
    if [ "$rc" -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ]; then
      echo "nix suite $name exited $rc without reporting a failure"
      total_f=$((total_f + 1))
    fi
  else
    echo "nix suite $name did not end with 'N passed, N failed' (exit $rc)"
    total_f=$((total_f + 1))
  fi
done
[ -n "${NIXFLEET_TEST_SUMMARY:-}" ] && echo "$total_p $total_f" > "$NIXFLEET_TEST_SUMMARY"
echo "nix: $total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
