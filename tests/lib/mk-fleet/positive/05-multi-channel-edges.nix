# Several channels ordered by channelEdges, and host edges inside a channel.
# Direction everywhere: `before` goes first, `after` waits for it.
#   channels: edge -> infra -> agents (the lab canaries the platform, the
#   servers converge before the agents that talk to them)
#   hosts (channel infra): nats-01 -> matrix-01 (the homeserver bridges to NATS)
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts =
    {
      nats-01 = s.host "nats-01" {
        channel = "infra";
        tags = [ "nats" ];
      };
      matrix-01 = s.host "matrix-01" {
        channel = "infra";
        tags = [ "matrix" ];
      };
      lab-01 = s.host "lab-01" {
        channel = "edge";
        system = "aarch64-linux";
      };
    }
    // s.hosts [ "agent-01" "agent-02" "agent-03" "agent-04" ] {
      channel = "agents";
      tags = [ "agent" ];
    }
    // {
      agent-01 = s.host "agent-01" {
        channel = "agents";
        tags = [ "agent" "canary" ];
      };
    };
  channels = {
    infra = {
      rolloutPolicy = "one-by-one";
      freshnessWindow = 2880;
      signingIntervalMinutes = 120;
    };
    agents = {
      rolloutPolicy = "canary";
      freshnessWindow = 1440;
    };
    edge = {
      rolloutPolicy = "all-at-once";
      freshnessWindow = 20160;
    };
  };
  rolloutPolicies = {
    all-at-once.strategy = "all-at-once";
    one-by-one = {
      strategy = "canary";
      waves = [
        {
          selector.tags = [ "nats" ];
          soakMinutes = 10;
        }
        { selector.all = true; }
      ];
    };
    canary = {
      strategy = "canary";
      waves = [
        {
          selector.tags = [ "canary" ];
          soakMinutes = 30;
        }
        { selector.all = true; }
      ];
    };
  };
  edges = [
    {
      before = "nats-01";
      after = "matrix-01";
      reason = "the homeserver's bridge needs the bus";
    }
    {
      before = "agent-01";
      after = "agent-02";
    }
  ];
  channelEdges = [
    {
      before = "infra";
      after = "agents";
      reason = "servers converge before the agents that talk to them";
    }
    {
      before = "edge";
      after = "infra";
      reason = "the lab canaries the platform";
    }
  ];
}
