#!/usr/bin/env bash
# Unit cases of lib/schema (the contract interpreter); ends with `N passed, N failed`.
cd "$(dirname "$0")" && exec bash ../support/run-cases.sh schema cases.nix
