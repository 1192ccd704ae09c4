# The per-host module mkHost adds after the framework modules and before the
# consumer's: hostSpec from the arguments (mkDefault, so consumer modules
# win) with hostName forced, the state version, the platform, and the probe
# set mkFleet resolved for the host. A function of `lib` only (mkDefault,
# mkForce, mkIf, mapAttrs), so tests call it with a stub.
a:
{ lib, ... }:
{
  hostSpec = lib.mapAttrs (_: lib.mkDefault) (builtins.removeAttrs a.hostSpec [ "hostName" ]) // {
    # The host's identity is its fleet.nix name: never overridable.
    hostName = lib.mkForce a.hostName;
  };
  system.stateVersion = lib.mkDefault a.stateVersion;
  nixpkgs.hostPlatform = lib.mkDefault a.platform;
  services.nixfleet-agent.fleetHealthChecks = lib.mkIf (a.fleetHealthChecks != null) a.fleetHealthChecks;
}
