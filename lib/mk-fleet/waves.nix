# Wave resolution (RFC-0001 §4.1): each channel's rollout-policy waves
# resolved, at eval time, to sorted host lists, plus the rollout-related
# warnings (empty waves, hosts no wave selects, empty and slow disruption
# budgets), each `{ id, safety, message }` (diagnostics.nix classifies).
#
# Owns: `waves.<channel>` and `disruptionBudgets` of fleet.resolved. Never:
# validation of the names it is given (invariants.nix runs first).
#
# Builtins only.
let
  inherit (builtins)
    attrNames
    concatLists
    concatMap
    elemAt
    foldl'
    genList
    intersectAttrs
    length
    mapAttrs
    removeAttrs
    ;

  selectors = import ./selectors.nix;
  inherit (selectors) resolve show showNames;

  /**
    Waves of every channel. Within a channel, a host belongs to the FIRST
    wave whose selector selects it; later waves only see the hosts still
    unassigned. Every policy wave yields one entry (possibly with no hosts),
    so wave indexes match `rolloutPolicies.<p>.waves`. Host names are sorted
    (`attrNames` order). Each wave selector is resolved once per policy, then
    intersected with each channel's remaining hosts: O(waves × hosts).

    Warnings: an empty wave followed by a non-empty one is safety-relevant
    (`empty-wave:waves.<channel>[<i>]`): the hosts it was meant to stage go
    out with a later wave, without the soak the author asked for. Trailing
    empty waves only warn (every host was placed earlier). Hosts no wave
    selects (`unwaved-hosts:channels.<channel>`) are safety-relevant: they
    silently never receive a rollout.

    Type: resolveWaves :: { index, channels, rolloutPolicies } -> { waves :: attrsOf [ { hosts, soakMinutes } ], warnings :: [ { id, safety, message } ] }

    Example: (resolveWaves { inherit index channels rolloutPolicies; }).waves.stable
      => [ { hosts = [ "agent-01" ]; soakMinutes = 30; } { hosts = [ "agent-02" "matrix-01" ]; soakMinutes = 0; } ]
  */
  resolveWaves =
    {
      index,
      channels,
      rolloutPolicies,
    }:
    let
      # Lazy: a policy no channel uses is never resolved.
      policySets = mapAttrs (_: p: map (w: resolve index w.selector) p.waves) rolloutPolicies;

      perChannel = mapAttrs (
        cname: ch:
        let
          pname = ch.rolloutPolicy;
          policy = rolloutPolicies.${pname};
          sets = policySets.${pname};
          step =
            acc: i:
            let
              # intersectAttrs walks its second argument: the channel's remaining hosts.
              picked = attrNames (intersectAttrs (elemAt sets i) acc.remaining);
            in
            {
              remaining = removeAttrs acc.remaining picked;
              waves = acc.waves ++ [
                {
                  hosts = picked;
                  inherit ((elemAt policy.waves i))
                    soakMinutes
                    minSoaked
                    waitForNeverSeenMinutes
                    allowNoEnforceProbes
                    approval
                    ;
                }
              ];
            };
          r = foldl' step {
            remaining = index.byChannel.${cname} or { };
            waves = [ ];
          } (genList (i: i) (length policy.waves));
          unassigned = attrNames r.remaining;
          # Waves with hosts after index i: an empty wave i only matters
          # when something still rolls out after it.
          laterHosts = i: builtins.any (j: (elemAt r.waves j).hosts != [ ]) (genList (j: i + 1 + j) (length r.waves - i - 1));
          emptyWaves = concatLists (
            genList (
              i:
              let
                staged = laterHosts i;
                sel = show (elemAt policy.waves i).selector;
              in
              if (elemAt r.waves i).hosts == [ ] then
                [
                  {
                    id = "empty-wave:waves.${cname}[${toString i}]";
                    safety = staged;
                    message =
                      if staged then
                        "fleet: rolloutPolicies.${pname}.waves[${toString i}].selector ${sel} selects no host of channel ${cname}: wave ${toString i} is empty and the hosts after it roll out without that stage (a typo in a tag or host name?). Fix: correct the selector."
                      else
                        "fleet: rolloutPolicies.${pname}.waves[${toString i}].selector ${sel} selects no host of channel ${cname} (an empty trailing wave; every host is placed by an earlier wave).";
                  }
                ]
              else
                [ ]
            ) (length r.waves)
          );
        in
        {
          inherit (r) waves;
          warnings =
            emptyWaves
            ++ (
              if unassigned == [ ] then
                [ ]
              else
                [
                  {
                    id = "unwaved-hosts:channels.${cname}";
                    safety = true;
                    message = "fleet: channels.${cname}: ${toString (length unassigned)} host(s) are selected by no wave of rollout policy ${pname} and will never receive a rollout: ${showNames 10 unassigned}. Fix: end rolloutPolicies.${pname}.waves with { selector.all = true; }.";
                  }
                ]
            );
        }
      ) channels;
    in
    {
      waves = mapAttrs (_: c: c.waves) perChannel;
      warnings = concatMap (c: perChannel.${c}.warnings) (attrNames perChannel);
    };

  /**
    Heuristic bound for "a budget that cannot make progress in reasonable
    time": more than this many sequential batches. A batch is at least one
    activation + confirm window (360 s by default, CONTRACTS.md timing
    constants), so 50 batches is about five hours of rollout on one budget.

    Type: maxBatches :: int
  */
  maxBatches = 50;

  ceilDiv = a: b: (a + b - 1) / b;

  /**
    Disruption budgets carried through (selectors normalised, not resolved:
    the release step resolves them per rollout), plus warnings: a budget
    whose selector covers no host, and a budget that needs more than
    `maxBatches` sequential batches to let every covered host through
    (covered hosts / effective maxInFlight, where maxInFlightPct rounds down
    with a minimum of 1). An empty budget (`empty-budget:disruptionBudgets[<i>]`)
    is safety-relevant: the limit it states protects nothing. A slow budget
    (`slow-budget:disruptionBudgets[<i>]`) only warns: it errs on the safe side.

    Type: resolveBudgets :: index -> [ budget ] -> { budgets :: [ budget ], warnings :: [ { id, safety, message } ] }

    Example: (resolveBudgets index [ { selector = normalize { tags = [ "worker" ]; }; maxInFlight = 1; maxInFlightPct = null; } ]).warnings
      => [ { id = "slow-budget:disruptionBudgets[0]"; safety = false; message = "fleet: disruptionBudgets[0]: maxInFlight = 1 over 120 covered hosts needs 120 sequential batches … Fix: …"; } ]
  */
  resolveBudgets =
    index: budgets:
    let
      one =
        i: b:
        let
          path = "disruptionBudgets[${toString i}]";
          covered = length (attrNames (resolve index b.selector));
          pctLimit = covered * (if b.maxInFlightPct == null then 100 else b.maxInFlightPct) / 100;
          limit =
            if b.maxInFlight != null then
              b.maxInFlight
            else if pctLimit < 1 then
              1
            else
              pctLimit;
          batches = ceilDiv covered limit;
          setting =
            if b.maxInFlight != null then
              "maxInFlight = ${toString b.maxInFlight}"
            else
              "maxInFlightPct = ${toString b.maxInFlightPct} (${toString limit} host(s))";
        in
        if covered == 0 then
          [
            {
              id = "empty-budget:${path}";
              safety = true;
              message = "fleet: ${path}.selector ${show b.selector} selects no host: the budget limits nothing (a typo in a tag or host name?). Fix: correct the selector, or remove the budget.";
            }
          ]
        else if batches > maxBatches then
          [
            {
              id = "slow-budget:${path}";
              safety = false;
              message = "fleet: ${path}: ${setting} over ${toString covered} covered hosts needs ${toString batches} sequential batches (more than ${toString maxBatches}, hours of rollout). Fix: raise ${path}.maxInFlight or maxInFlightPct, or narrow its selector.";
            }
          ]
        else
          [ ];
    in
    {
      budgets = map (b: {
        inherit (b) selector maxInFlight maxInFlightPct;
      }) budgets;
      warnings = concatLists (genList (i: one i (elemAt budgets i)) (length budgets));
    };
in
{
  inherit resolveWaves resolveBudgets maxBatches;
}
