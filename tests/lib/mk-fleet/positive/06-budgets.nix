# Disruption budgets: selectors carried through normalised (resolved later,
# per rollout), maxInFlight xor maxInFlightPct, and the two budget warnings:
# a selector covering no host (safety-relevant, accepted here), and a budget
# needing more than 50 sequential batches (117 non-etcd workers,
# maxInFlight = 2 -> 59 batches; advisory).
{ mkFleet, ... }:
let
  s = import ../support.nix;
  worker = i: "worker-${toString (i + 100)}";
in
mkFleet {
  hosts =
    builtins.listToAttrs (
      builtins.genList (i: {
        name = worker i;
        value = s.host (worker i) {
          channel = "stable";
          tags = [ "worker" ] ++ (if i < 3 then [ "etcd" ] else [ ]);
        };
      }) 120
    );
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
  acceptWarnings."empty-budget:disruptionBudgets[3]" = "gpu hosts join next quarter";
  disruptionBudgets = [
    {
      selector.tags = [ "etcd" ];
      maxInFlight = 1;
    }
    {
      selector.tags = [ "worker" ];
      maxInFlightPct = 10;
    }
    {
      selector.and = [
        { tags = [ "worker" ]; }
        { not.tags = [ "etcd" ]; }
      ];
      maxInFlight = 2;
    }
    {
      selector.tags = [ "gpu" ];
      maxInFlight = 1;
    }
  ];
}
