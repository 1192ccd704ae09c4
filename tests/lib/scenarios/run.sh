#!/usr/bin/env bash
# Every harness scenario validates and every generation evaluates; ends with `N passed, N failed`.
cd "$(dirname "$0")" && exec bash ../support/run-cases.sh scenarios cases.nix
