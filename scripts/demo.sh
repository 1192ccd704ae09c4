#!/usr/bin/env bash
# The README's first command: installs what it needs (as `npm test` does),
# then runs `nixfleet demo` — the whole signed loop on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
export NIX_CONFIG="${NIX_CONFIG:-experimental-features = nix-command}"
exec node bin/nixfleet.mjs demo "$@"
