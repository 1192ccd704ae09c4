#!/usr/bin/env bash
# The microVM runner's plan and timeline translation: the Nix cases, then
# what the generated scripts do when run (checks.sh). Ends with
# `N passed, N failed`.
cd "$(dirname "$0")" || exit 1
p=0
f=0
for part in "bash ../support/run-cases.sh harness-plan cases.nix" "bash ../support/run-cases.sh harness-microvm microvm-cases.nix" "bash checks.sh"; do
  out=$($part 2>&1)
  printf '%s\n' "$out" | sed '$d'
  last=$(printf '%s\n' "$out" | tail -n 1)
  if [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
    p=$((p + BASH_REMATCH[1]))
    f=$((f + BASH_REMATCH[2]))
  else
    echo "$part: $last"
    f=$((f + 1))
  fi
done
echo "$p passed, $f failed"
[ "$f" -eq 0 ]
