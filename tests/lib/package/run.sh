#!/usr/bin/env bash
# The npm lockfile transforms behind nix/packages; ends with `N passed, N failed`.
cd "$(dirname "$0")" && exec bash ../support/run-cases.sh package cases.nix
