# flake.lib: the builtins-only library (mkFleet, mergeFleets, withSignature,
# schema, …) with mkHost wired in, so `nixfleet.lib.mkFleet` builds hosts
# that give `nixosArgs`. `render` exposes the pure renderers the service
# modules use (argv, trust.json, health-checks.json).
{ nixpkgs }:
let
  fleetLib = import ../../lib;
  mkHost = import ../../lib/mk-host.nix { inherit nixpkgs; };
in
fleetLib
// {
  inherit mkHost;
  mkFleet = fleetLib.mkFleetWith { inherit mkHost; };
  mergeFleets = fleetLib.mergeFleetsWith { inherit mkHost; };
  render = import ../../lib/render;
}
