#!/usr/bin/env bash
# Every tracked .nix file must parse, including those (modules, flake) that
# can only be evaluated where nixpkgs is available.
set -uo pipefail
cd "$(dirname "$0")/.."
bad=0
n=0
while IFS= read -r -d '' f; do
  n=$((n + 1))
  if ! out=$(nix-instantiate --parse "$f" 2>&1 >/dev/null); then
    echo "nix parse: $f"
    echo "$out"
    bad=$((bad + 1))
  fi
done < <(git ls-files -z --cached --others --exclude-standard -- '*.nix')
echo "nix parse: $n files, $bad failed"
[ "$bad" -eq 0 ]
