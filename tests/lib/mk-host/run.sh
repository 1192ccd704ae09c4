#!/usr/bin/env bash
# mkHost without nixpkgs: cases.nix (values), then each wrong call must fail
# with a message naming the host and the fix. Ends with `N passed, N failed`.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(bash "$here/../support/run-cases.sh" mk-host "$here/cases.nix")
printf '%s\n' "$out" | sed '$d'
last=$(printf '%s\n' "$out" | tail -n 1)
passed=$(echo "$last" | sed -E 's/^([0-9]+) passed.*/\1/')
failed=$(echo "$last" | sed -E 's/.* ([0-9]+) failed.*/\1/')

args="$here/../../../lib/mk-host/args.nix"
expect_error() {
  local expr=$1
  shift
  local msg
  if msg=$(nix-instantiate --eval --strict -E "import $args ($expr)" 2>&1); then
    echo "FAIL mk-host: evaluated, expected an error: $expr"
    failed=$((failed + 1))
    return
  fi
  msg=$(printf '%s' "$msg" | tr -s ' \n\t' ' ')
  for want in "$@"; do
    if [[ "$msg" != *"$want"* ]]; then
      echo "FAIL mk-host: $expr: message lacks '$want': $msg"
      failed=$((failed + 1))
      return
    fi
  done
  passed=$((passed + 1))
}

expect_error '{ platform = "x86_64-linux"; stateVersion = "24.11"; }' 'mkHost <unnamed>: hostName is required' 'Fix:'
expect_error '{ hostName = "Web_01"; platform = "x86_64-linux"; stateVersion = "24.11"; }' 'mkHost Web_01: hostName must match'
expect_error '{ hostName = "web-01"; stateVersion = "24.11"; }' 'mkHost web-01: platform is required'
expect_error '{ hostName = "mac-01"; platform = "aarch64-darwin"; stateVersion = "24.11"; }' 'mkHost mac-01: platform = "aarch64-darwin"' 'nix-darwin'
expect_error '{ hostName = "web-01"; platform = "x86_64-linux"; }' 'mkHost web-01: stateVersion is required'
expect_error '{ hostName = "web-01"; platform = "x86_64-linux"; stateVersion = "24"; }' 'is not a NixOS release'
expect_error '{ hostName = "web-01"; platform = "x86_64-linux"; stateVersion = "24.11"; role = "web"; }' 'unknown argument(s) role' 'Fix: put NixOS settings in `modules`'
expect_error '{ hostName = "web-01"; platform = "x86_64-linux"; stateVersion = "24.11"; hostSpec.hostName = "x"; }' 'hostSpec.hostName = "x" differs from hostName'
expect_error '{ hostName = "web-01"; platform = "x86_64-linux"; stateVersion = "24.11"; modules = {}; }' 'modules must be a list'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
