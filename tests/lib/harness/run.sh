#!/usr/bin/env bash
# The microVM runner's plan for harness scenarios; ends with `N passed, N failed`.
cd "$(dirname "$0")" && exec bash ../support/run-cases.sh harness-plan cases.nix
