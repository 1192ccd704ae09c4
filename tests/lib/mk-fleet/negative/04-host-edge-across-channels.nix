# A host edge between hosts of two channels (a rollout never spans channels).
# expect: fleet: edges[0]: host edge across channels: "nats-01" is on channel infra and "agent-01" on channel agents
# expect: Fix: remove the edge and order the channels instead with channelEdges = [ { before = "infra"; after = "agents"; } ].
{ mkFleet, ... }:
let
  s = import ../support.nix;
  ch = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
in
mkFleet {
  hosts = {
    nats-01 = s.host "nats-01" { channel = "infra"; };
    agent-01 = s.host "agent-01" { channel = "agents"; };
  };
  channels = {
    infra = ch;
    agents = ch;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
  edges = [
    {
      before = "nats-01";
      after = "agent-01";
    }
  ];
}
