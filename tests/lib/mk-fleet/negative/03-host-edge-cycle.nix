# Host edges that form a cycle; the message names the cycle and its edges.
# expect: fleet: edges: host ordering cycle app-01 -> cache-01 -> db-01 -> app-01 (edges[2], edges[1], edges[0]). Fix: remove one of these edges
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts = s.hosts [ "db-01" "app-01" "cache-01" "web-01" ] { channel = "stable"; };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
  edges = [
    {
      before = "db-01";
      after = "app-01";
    }
    {
      before = "cache-01";
      after = "db-01";
    }
    {
      before = "app-01";
      after = "cache-01";
    }
    {
      before = "app-01";
      after = "web-01";
    }
  ];
}
