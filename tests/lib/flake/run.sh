#!/usr/bin/env bash
# flake.nix wiring with a stand-in nixpkgs; ends with `N passed, N failed`.
cd "$(dirname "$0")" && exec bash ../support/run-cases.sh flake cases.nix
