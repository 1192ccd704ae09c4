#!/usr/bin/env bash
# Runs the lib/schema unit cases; ends with `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")"
out=$(nix-instantiate --eval --strict --json cases.nix 2>&1) || { echo "$out"; echo "0 passed, 1 failed"; exit 1; }
node -e '
const r = JSON.parse(process.argv[1]);
let p = 0, f = 0;
for (const [name, c] of Object.entries(r)) {
  if (c.ok) p++; else { f++; console.log(`FAIL harness/${name}: ${c.detail}`); }
}
console.log(`${p} passed, ${f} failed`);
process.exit(f ? 1 : 0);
' "$out"
