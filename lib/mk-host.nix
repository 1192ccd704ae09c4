# mkHost (book §10.2): one NixOS system per call, with every framework module
# injected and disabled by default. Needs nixpkgs (nixosSystem); what can be
# checked without it lives in ./mk-host/ (argument validation, the module
# list, the per-host module) and is tested there.
#
# Usage (the flake does this; see nix/flake/lib.nix):
#   mkHost = import ./lib/mk-host.nix { inherit nixpkgs; };
#   mkHost { hostName = "web-01"; platform = "x86_64-linux"; stateVersion = "24.11"; modules = [ … ]; }
{ nixpkgs }:
/**
  Builds a host.

  Inputs: `hostName` (required; forced into hostSpec.hostName), `platform`
  (a Linux system double), `stateVersion`, `hostSpec` (contracts/host-spec.nix
  values, mkDefault), `modules` (consumer modules, merged last), `isVm`
  (adds modules/core/_vm.nix), `extraInputs` (visible to modules as the
  `inputs` module argument), `fleetHealthChecks` (set by mkFleet).

  Type: mkHost :: attrset -> nixosSystem

  Example: (mkHost { hostName = "web-01"; platform = "x86_64-linux"; stateVersion = "24.11"; }).config.hostSpec.hostName
    => "web-01"
*/
args:
let
  a = import ./mk-host/args.nix args;
in
nixpkgs.lib.nixosSystem {
  specialArgs = {
    inputs = a.extraInputs;
  };
  modules =
    import ./mk-host/modules.nix { inherit (a) isVm; }
    ++ [ (import ./mk-host/host-module.nix a) ]
    ++ a.modules;
}
