# The disruption budgets of a scenario's fleet, resolved the way the release
# resolves them (mkFleet, then mkFleet's own selector algebra, as
# lib/release/eval.nix does): for the microVM runner's budgetsRespected
# invariant, which counts member hosts in flight in the CP's event log.
# Builtins only.
let
  fleetLib = import ../../lib/default.nix;
  selectors = import ../../lib/mk-fleet/selectors.nix;
  min = a: b: if a == null then b else if b == null then a else if a < b then a else b;
  max = a: b: if a > b then a else b;
in
{
  /**
    Each budget with its member hosts and its limit (the smaller of
    maxInFlight and maxInFlightPct of the members, at least 1; null when
    neither is set).

    Type: resolve :: fleet -> [ { label :: string, limit :: int | null, members :: [ string ] } ]
  */
  resolve =
    fleet:
    let
      # Only the budgets are read: a placeholder toplevel satisfies mkFleet's
      # configuration invariant without building anything (generation.nix
      # does the same).
      resolved =
        (fleetLib.mkFleet (
          fleet
          // {
            hosts = builtins.mapAttrs (_: h: h // { configuration.config.system.build.toplevel = "placeholder"; }) (fleet.hosts or { });
          }
        )).resolved;
      index = selectors.mkIndex resolved.hosts;
      budgets = resolved.disruptionBudgets or [ ];
    in
    builtins.genList (
      i:
      let
        b = builtins.elemAt budgets i;
        members = builtins.attrNames (selectors.resolve index b.selector);
        n = builtins.length members;
        pct = if (b.maxInFlightPct or null) == null then null else max 1 (n * b.maxInFlightPct / 100);
        limit = min (b.maxInFlight or null) pct;
        selector = if (b.selector.tags or [ ]) != [ ] then "tags=${builtins.concatStringsSep "," b.selector.tags}" else builtins.toJSON b.selector;
      in
      {
        inherit members limit;
        label = "budget #${toString i} (${selector}, limit ${if limit == null then "none" else toString limit}, ${toString n} hosts)";
      }
    ) (builtins.length budgets);
}
