# A host with nixosArgs, but mkFleet was not given mkHost (no nixpkgs here).
# expect: fleet: hosts.web-01.nixosArgs: needs mkHost, which needs nixpkgs and was not given to mkFleet. Fix: use (import ./lib).mkFleetWith { mkHost = nixfleet.lib.mkHost; }
{ mkFleet, ... }:
mkFleet {
  hosts.web-01 = {
    system = "x86_64-linux";
    channel = "stable";
    nixosArgs.stateVersion = "24.11";
  };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}
