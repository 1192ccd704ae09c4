#!/usr/bin/env bash
# The compliance catalogue and its static evaluations (lib/compliance), over
# stand-in configurations; ends with `N passed, N failed`.
cd "$(dirname "$0")" && exec bash ../support/run-cases.sh compliance cases.nix
