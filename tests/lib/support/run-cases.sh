#!/usr/bin/env bash
# Runs one `cases.nix` (an attrset of `{ ok; detail; }`, see cases.nix next
# to this script) and ends with `N passed, N failed`.
#   bash tests/lib/support/run-cases.sh SUITE-NAME path/to/cases.nix
set -uo pipefail
name=$1
file=$2
out=$(nix-instantiate --eval --strict --json "$file" 2>&1) || {
  echo "$out"
  echo "0 passed, 1 failed"
  exit 1
}
node -e '
const [name, json] = process.argv.slice(1);
const r = JSON.parse(json);
let p = 0, f = 0;
for (const [k, c] of Object.entries(r)) {
  if (c.ok) p++; else { f++; console.log(`FAIL ${name}/${k}: ${c.detail}`); }
}
console.log(`${p} passed, ${f} failed`);
process.exit(f ? 1 : 0);
' "$name" "$out"
