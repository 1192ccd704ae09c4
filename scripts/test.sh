#!/usr/bin/env bash
# The one test command (README: `npm test`). Installs what it needs, then runs
# every check: typecheck, lint, format, contract drift, the production build
# (dist/), Nix eval tests, vitest.
# Ends with the `N passed, N failed` line CI reads (ENVIRONMENT.md).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

passed=0
failed=0
skipped=0
failures=()

say() { printf '\n==> %s\n' "$*"; }

# --- 1. Install what is missing -------------------------------------------
bash scripts/ensure-deps.sh || { echo "test: could not install dependencies (see above)"; echo "0 passed, 1 failed"; exit 1; }

export NIX_CONFIG="experimental-features = nix-command
sandbox = false"

# A step is one named check; it counts as one test.
step() {
  local name=$1
  shift
  say "$name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$name")
  fi
}

# --- 2. Static checks ------------------------------------------------------
step typecheck npx --no-install tsc --noEmit -p tsconfig.json
step lint npx --no-install eslint --max-warnings 0 .
step format npx --no-install prettier --check --log-level warn .
step 'contract drift' npx --no-install tsx scripts/gen-contracts.ts --check
# dist/ is not committed: build it from the sources under test (the built
# binaries' test, tests/build/built-binaries.test.ts, builds its own checkout).
step 'build (dist/)' node scripts/build.mjs
step 'nix parse' bash scripts/nix-parse-all.sh

# --- 3. Nix eval tests (tier C) -------------------------------------------
say 'nix eval tests'
nix_summary=$(mktemp)
NIXFLEET_TEST_SUMMARY=$nix_summary bash tests/lib/run-nix-tests.sh
if [ -s "$nix_summary" ]; then
  read -r np nf < "$nix_summary"
  passed=$((passed + np))
  failed=$((failed + nf))
  [ "$nf" -gt 0 ] && failures+=("nix eval tests ($nf)")
else
  failed=$((failed + 1))
  failures+=("nix eval tests (runner crashed)")
fi
rm -f "$nix_summary"

# --- 4. Vitest (tier B) -----------------------------------------------------
say 'vitest'
vt_summary=$(mktemp)
NIXFLEET_TEST_SUMMARY=$vt_summary npx --no-install vitest run
vt_rc=$?
if [ -s "$vt_summary" ]; then
  eval "$(node -e 'const s=JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(`vp=${s.passed} vf=${s.failed} vs=${s.skipped}`)' "$vt_summary")"
  passed=$((passed + vp))
  failed=$((failed + vf))
  skipped=$((skipped + vs))
  [ "$vf" -gt 0 ] && failures+=("vitest ($vf)")
  if [ "$vt_rc" -ne 0 ] && [ "$vf" -eq 0 ]; then failed=$((failed + 1)); failures+=("vitest (exit $vt_rc)"); fi
else
  failed=$((failed + 1))
  failures+=("vitest (no summary, exit $vt_rc)")
fi
rm -f "$vt_summary"

echo
if [ "${#failures[@]}" -gt 0 ]; then
  echo "Failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
