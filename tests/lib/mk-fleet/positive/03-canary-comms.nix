# Multi-wave canary on the comms fleet of seed 001 ("Operation Sovereign
# Comms"): a NATS bus host, a Matrix homeserver host and 16 agent hosts.
# Phase 4 disables Telegram "on agents one by one (canary rollout!)": two
# canary agents soak 30 minutes, then the non-critical agents for 60, then
# everything else (including the two servers).
{ mkFleet, ... }:
let
  s = import ../support.nix;
  agent = i: "agent-${if i < 10 then "0" else ""}${toString i}";
  agents = builtins.genList (i: agent (i + 1)) 16;
  tagsOf =
    i:
    [ "agent" ]
    ++ (if i <= 2 then [ "canary" ] else [ ])
    ++ (if i > 2 && i <= 8 then [ "non-critical" ] else [ ]);
in
mkFleet {
  hosts =
    builtins.listToAttrs (
      builtins.genList (i: {
        name = agent (i + 1);
        value = s.host (agent (i + 1)) {
          channel = "stable";
          tags = tagsOf (i + 1);
        };
      }) 16
    )
    // {
      nats-01 = s.host "nats-01" {
        channel = "stable";
        tags = [ "nats" "always-on" ];
        pubkey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBSoVereignCommsNatsBusHostKey0000000000 root@nats-01";
      };
      matrix-01 = s.host "matrix-01" {
        channel = "stable";
        tags = [ "matrix" "always-on" ];
      };
    };
  tags = {
    canary.description = "Agents that take every change first.";
    non-critical.description = "Agents whose loss for an hour nobody notices.";
    always-on.description = "Expected to be reachable 24/7 (the NATS bus and the homeserver).";
  };
  channels.stable = {
    description = "The comms fleet.";
    rolloutPolicy = "canary-conservative";
    freshnessWindow = 1440;
  };
  rolloutPolicies.canary-conservative = {
    strategy = "canary";
    waves = [
      {
        selector.tags = [ "canary" ];
        soakMinutes = 30;
        # Evidence knobs flow unchanged into both wave projections; the
        # wave's allowNoEnforceProbes overrides the policy's.
        minSoaked = 2;
        waitForNeverSeenMinutes = 45;
        allowNoEnforceProbes = false;
      }
      {
        selector.tagsAny = [ "non-critical" ];
        soakMinutes = 60;
      }
      {
        selector.all = true;
        soakMinutes = 0;
      }
    ];
    allowNoEnforceProbes = true;
    healthGate.systemdFailedUnits.max = 0;
    onHealthFailure = "rollback-and-halt";
  };
  disruptionBudgets = [
    {
      selector.tags = [ "always-on" ];
      maxInFlight = 1;
    }
    {
      selector.tags = [ "agent" ];
      maxInFlightPct = 25;
    }
  ];
}
