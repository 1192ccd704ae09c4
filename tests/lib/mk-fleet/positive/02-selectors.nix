# Every selector form (RFC-0001 §3), including nested `and` / `not`, used as
# wave selectors (resolved per channel, first wave wins) and as budget
# selectors (carried through normalised, unresolved).
{ mkFleet, ... }:
let
  s = import ../support.nix;
in
mkFleet {
  hosts =
    s.hosts [ "db-01" "db-02" ] {
      channel = "stable";
      tags = [ "db" "eu-fr" ];
    }
    // s.hosts [ "web-01" "web-02" "web-03" ] {
      channel = "stable";
      tags = [ "web" "eu-de" ];
    }
    // {
      web-04 = s.host "web-04" {
        channel = "stable";
        tags = [ "web" "canary" "eu-fr" ];
      };
      lab-01 = s.host "lab-01" {
        channel = "edge";
        tags = [ "lab" ];
      };
      lab-02 = s.host "lab-02" {
        channel = "edge";
        tags = [ "lab" "canary" ];
      };
      lab-03 = s.host "lab-03" {
        channel = "edge";
        tags = [ "lab" "canary" ];
      };
    };
  channels = {
    stable = {
      rolloutPolicy = "every-form";
      freshnessWindow = 1440;
    };
    edge = {
      rolloutPolicy = "every-form";
      freshnessWindow = 1440;
    };
  };
  # One policy shared by two channels: some waves stage only the other
  # channel's hosts, which is intended here.
  acceptWarnings = {
    "empty-wave:waves.edge[0]" = "wave 0 stages stable's web canaries only";
    "empty-wave:waves.edge[2]" = "wave 2 stages stable's EU hosts only";
  };
  rolloutPolicies.every-form = {
    strategy = "canary";
    waves = [
      # tags: ALL listed tags.
      {
        selector.tags = [ "web" "canary" ];
        soakMinutes = 15;
      }
      # hosts: explicit names (lab-02 lives on edge: selected there only).
      {
        selector.hosts = [ "db-02" "lab-02" ];
        soakMinutes = 10;
      }
      # and [ tagsAny, not channel ]: eu-fr or eu-de, but not on edge.
      {
        selector.and = [
          { tagsAny = [ "eu-fr" "eu-de" ]; }
          { not.channel = "edge"; }
        ];
        soakMinutes = 20;
      }
      # channel = edge AND not (and [ lab, not canary ]): the canary labs.
      {
        selector = {
          channel = "edge";
          not.and = [
            { tags = [ "lab" ]; }
            { not.tags = [ "canary" ]; }
          ];
        };
        soakMinutes = 5;
      }
      # all: whatever is left.
      { selector.all = true; }
    ];
    healthGate.systemdFailedUnits.max = 0;
    onHealthFailure = "halt";
  };
  disruptionBudgets = [
    {
      selector.tagsAny = [ "db" "lab" ];
      maxInFlight = 1;
    }
    {
      selector.and = [
        { channel = "stable"; }
        { not.hosts = [ "web-04" ]; }
      ];
      maxInFlightPct = 50;
    }
  ];
}
