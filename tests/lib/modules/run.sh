#!/usr/bin/env bash
# The NixOS modules' options and wiring, without nixpkgs (stub.nix); ends
# with `N passed, N failed`.
cd "$(dirname "$0")" && exec bash ../support/run-cases.sh modules cases.nix
