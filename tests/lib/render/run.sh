#!/usr/bin/env bash
# lib/render (argv, unit settings, trust.json, health-checks.json,
# assertions, warnings), builtins only; ends with `N passed, N failed`.
cd "$(dirname "$0")" && exec bash ../support/run-cases.sh render cases.nix
