# mergeFleets (RFC-0001 §5): a Paris and a Lyon fleet merged into one.
#   hosts            disjoint, unioned
#   channels.stable  declared identically by both: fine
#   tags.eu          declared identically by both: fine
#   rolloutPolicies  both declare `canary`: the LATER fleet (lyon) wins
#   edges, budgets   concatenated; the duplicate budget appears once
#   lyon refers to a channel (edge) only paris declares: validation runs on
#   the merged fleet, so that is fine
# Paris is given as a mkFleet result, Lyon as a raw description.
{ mkFleet, mergeFleets, ... }:
let
  s = import ../support.nix;
  stable = {
    rolloutPolicy = "canary";
    freshnessWindow = 1440;
  };
  etcdBudget = {
    selector.tags = [ "etcd" ];
    maxInFlight = 1;
  };
  paris = mkFleet {
    hosts = {
      par-etcd-01 = s.host "par-etcd-01" {
        channel = "stable";
        tags = [ "etcd" "eu" "canary" ];
      };
      par-web-01 = s.host "par-web-01" {
        channel = "stable";
        tags = [ "eu" ];
      };
      par-lab-01 = s.host "par-lab-01" { channel = "edge"; };
    };
    tags.eu.description = "Hosted in the EU.";
    channels = {
      inherit stable;
      edge = {
        rolloutPolicy = "all-at-once";
        freshnessWindow = 1440;
      };
    };
    rolloutPolicies = {
      all-at-once.strategy = "all-at-once";
      canary = {
        strategy = "canary";
        waves = [
          {
            selector.tags = [ "canary" ];
            soakMinutes = 10;
          }
          { selector.all = true; }
        ];
      };
    };
    edges = [
      {
        before = "par-etcd-01";
        after = "par-web-01";
      }
    ];
    disruptionBudgets = [ etcdBudget ];
  };
  lyon = {
    hosts = {
      lyo-etcd-01 = s.host "lyo-etcd-01" {
        channel = "stable";
        tags = [ "etcd" "eu" ];
      };
      lyo-lab-01 = s.host "lyo-lab-01" { channel = "edge"; };
    };
    tags.eu.description = "Hosted in the EU.";
    channels = { inherit stable; };
    rolloutPolicies.canary = {
      strategy = "canary";
      waves = [
        {
          selector.tags = [ "etcd" ];
          soakMinutes = 45;
        }
        { selector.all = true; }
      ];
      onHealthFailure = "halt";
    };
    disruptionBudgets = [
      etcdBudget
      {
        selector.tags = [ "eu" ];
        maxInFlightPct = 50;
      }
    ];
  };
in
mergeFleets [
  paris
  lyon
]
