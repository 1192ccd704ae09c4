# Edges take exact host names (no wildcards, RFC-0001 §3).
# expect: fleet: edges[0]: unknown host "app-*". Fix: name a host declared under hosts (edges take exact names, no wildcards).
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts = s.hosts [ "db-primary" "app-01" ] { channel = "stable"; };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
  edges = [
    {
      before = "db-primary";
      after = "app-*";
    }
  ];
}
