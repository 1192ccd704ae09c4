# channelEdges that form a cycle.
# expect: fleet: channelEdges: channel ordering cycle edge -> stable -> edge (channelEdges[0], channelEdges[1]). Fix: remove one of these edges
{ mkFleet, ... }:
let
  s = import ../support.nix;
  ch = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
in
mkFleet {
  hosts.web-01 = s.host "web-01" { channel = "stable"; };
  channels = {
    stable = ch;
    edge = ch;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
  channelEdges = [
    {
      before = "edge";
      after = "stable";
    }
    {
      before = "stable";
      after = "edge";
    }
  ];
}
