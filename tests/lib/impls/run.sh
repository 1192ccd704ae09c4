#!/usr/bin/env bash
# flake.scopes impls without nixpkgs; ends with `N passed, N failed`.
cd "$(dirname "$0")" && exec bash ../support/run-cases.sh impls cases.nix
