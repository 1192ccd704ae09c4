# Contract: GET /v1/deferrals — hosts whose activation waits for a reboot.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options.deferrals = opt (types.listOf (types.submodule (open // {
    options = {
      hostname = opt t.hostname "Host." "web-01" { };
      rolloutId = opt t.rolloutId "Rollout." "stable@3f2a9c1d" { };
      component = opt (types.enum [ "dbus" "systemd" "kernel" "init" ]) "What cannot be swapped live." "kernel" { };
      deferredAt = opt t.timestamp "When." "2026-05-16T01:27:05Z" { };
      targetClosure = opt t.closureHash "Staged closure." "0c5p6k9f1j8m2a7q3x4r5s6d7f8g9h0j-nixos-system-web-01-24.11" { };
    };
  }))) "Deferred activations." [ ] { };
}
