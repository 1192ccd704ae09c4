#!/usr/bin/env bash
# mkFleet eval tests (tier C): builtins only, no nixpkgs.
#
#   tests/lib/mk-fleet/run.sh              run every fixture
#   tests/lib/mk-fleet/run.sh --update     regenerate the positive goldens
#   tests/lib/mk-fleet/run.sh [--update] PATTERN   only fixtures whose name contains PATTERN
#
# positive/NAME.nix  must evaluate; project.nix projects it (resolved,
#                    healthChecks, revocations, bootstrapNonces, warnings,
#                    nixosConfigurations names), checks each part against its
#                    output contract, and the pretty-printed JSON must equal
#                    positive/NAME.resolved.json byte for byte.
# negative/NAME.nix  must fail; every `# expect: TEXT` line of the fixture is a
#                    fixed string the error output must contain.
#
# Goldens change only through --update (review the diff before committing).
# Prints one line (plus a diff or the message) per failure and ends with
# `N passed, N failed` (tests/lib/run-nix-tests.sh sums that last line).
set -uo pipefail
shopt -s nullglob
here=$(cd "$(dirname "$0")" && pwd)

update=0
if [ "${1:-}" = "--update" ]; then
  update=1
  shift
fi
pattern=${1:-}

passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Same formatter for --update and for comparing: nix-instantiate sorts keys;
# Node (always present, see ENVIRONMENT.md) indents. Integers only, so
# JSON.parse/stringify round-trips the values exactly.
pretty() {
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.stringify(JSON.parse(s),null,2)+"\n"))'
}

evaluate() {
  nix-instantiate --eval --strict --json "$here/project.nix" --arg fixture "$1"
}

for f in "$here"/positive/*.nix; do
  name=$(basename "$f" .nix)
  [[ -n "$pattern" && "$name" != *"$pattern"* ]] && continue
  golden="${f%.nix}.resolved.json"
  if ! evaluate "$f" >"$tmp/out.json" 2>"$tmp/err"; then
    echo "FAIL positive/$name: evaluation failed"
    sed 's/^/    /' "$tmp/err"
    failed=$((failed + 1))
    continue
  fi
  pretty <"$tmp/out.json" >"$tmp/pretty.json" || {
    echo "FAIL positive/$name: output is not JSON"
    failed=$((failed + 1))
    continue
  }
  if [ "$update" = 1 ]; then
    if ! cmp -s "$tmp/pretty.json" "$golden"; then
      cp "$tmp/pretty.json" "$golden"
      echo "updated positive/$name.resolved.json"
    fi
    passed=$((passed + 1))
  elif [ ! -f "$golden" ]; then
    echo "FAIL positive/$name: no golden $name.resolved.json (run: tests/lib/mk-fleet/run.sh --update $name)"
    failed=$((failed + 1))
  elif cmp -s "$tmp/pretty.json" "$golden"; then
    passed=$((passed + 1))
  else
    echo "FAIL positive/$name: output differs from the golden"
    diff -u "$golden" "$tmp/pretty.json" | head -60 | sed 's/^/    /'
    failed=$((failed + 1))
  fi
done

for f in "$here"/negative/*.nix; do
  name=$(basename "$f" .nix)
  [[ -n "$pattern" && "$name" != *"$pattern"* ]] && continue
  mapfile -t expects < <(sed -n 's/^# expect: //p' "$f")
  if [ "${#expects[@]}" -eq 0 ]; then
    echo "FAIL negative/$name: no '# expect: …' line"
    failed=$((failed + 1))
    continue
  fi
  if evaluate "$f" >/dev/null 2>"$tmp/err"; then
    echo "FAIL negative/$name: evaluated successfully, expected an error"
    failed=$((failed + 1))
    continue
  fi
  # Nix wraps and indents long messages; compare on whitespace-collapsed text.
  msg=$(tr -s ' \n\t' ' ' <"$tmp/err")
  missing=()
  for e in "${expects[@]}"; do
    e=$(printf '%s' "$e" | tr -s ' \t' ' ')
    [[ "$msg" == *"$e"* ]] || missing+=("$e")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    passed=$((passed + 1))
  else
    echo "FAIL negative/$name: error message lacks:"
    printf '    expected: %s\n' "${missing[@]}"
    sed 's/^/    got: /' "$tmp/err" | head -20
    failed=$((failed + 1))
  fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
