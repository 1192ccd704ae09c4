# Fleet warnings, classified (issue: safety-relevant warnings fail closed).
# Every warning mkFleet reports carries a stable id; a safety-relevant one (a
# wave that is empty while later waves roll out, hosts no wave selects, a
# budget that selects no host, a selector naming an unknown host or channel)
# refuses the fleet unless fleet.nix accepts that id in `acceptWarnings`,
# with a reason. Advisory warnings (trailing empty waves, slow budgets,
# shadowed probes) only print.
#
# Owns: the diagnostic records, acceptance, the refusal message. Never:
# detecting the problems (selectors.nix, waves.nix, probes.nix do).
#
# Builtins only.
let
  inherit (builtins)
    attrNames
    concatStringsSep
    filter
    length
    listToAttrs
    map
    ;

  /**
    Diagnostics of a fleet: each warning `{ id, safety, message }` becomes
    `{ id, severity, accepted, message }` (severity "safety" or "advisory";
    accepted when `acceptWarnings` names its id). An `acceptWarnings` entry
    that matches no warning is itself an advisory `stale-accept:<id>`: a
    leftover acceptance would otherwise silently cover a future problem
    that reuses the id.

    Type: classify :: { warnings :: [ { id, safety, message } ], accept :: attrsOf string } -> [ { id, severity, accepted, message } ]

    Example: classify { warnings = [ { id = "empty-budget:disruptionBudgets[0]"; safety = true; message = "…"; } ]; accept = { }; }
      => [ { id = "empty-budget:disruptionBudgets[0]"; severity = "safety"; accepted = false; message = "…"; } ]
  */
  classify =
    { warnings, accept }:
    let
      ids = listToAttrs (
        map (w: {
          name = w.id;
          value = true;
        }) warnings
      );
    in
    map (w: {
      inherit (w) id message;
      severity = if w.safety then "safety" else "advisory";
      accepted = accept ? ${w.id};
    }) warnings
    ++ map (id: {
      id = "stale-accept:${id}";
      severity = "advisory";
      accepted = false;
      message = "fleet: acceptWarnings.\"${id}\" matches no warning of this fleet. Fix: remove it, so it cannot silently accept a future problem with the same id.";
    }) (filter (id: !(ids ? ${id})) (attrNames accept));

  /**
    The safety-relevant diagnostics nobody accepted: any of them refuses the
    fleet.

    Type: blocking :: [ diagnostic ] -> [ diagnostic ]
  */
  blocking = filter (d: d.severity == "safety" && !d.accepted);

  /**
    One line per diagnostic, as mkFleet's `warnings` and traces show it.

    Type: format :: diagnostic -> string

    Example: format { id = "x"; severity = "advisory"; accepted = false; message = "fleet: m"; } => "fleet: m [x]"
  */
  format =
    d:
    if d.accepted then
      "${d.message} [${d.id}, accepted in acceptWarnings]"
    else if d.severity == "safety" then
      "${d.message} [${d.id}, safety: refuses the fleet]"
    else
      "${d.message} [${d.id}]";

  /**
    The error mkFleet throws (and `nixfleet release` prints as
    RELEASE_ERR_UNACCEPTED_WARNING) for unaccepted safety warnings.

    Type: refusal :: [ diagnostic ] -> string
  */
  refusal =
    ds:
    "fleet: ${toString (length ds)} safety-relevant warning(s) refuse this fleet:\n${
      concatStringsSep "\n" (map (d: "  - [${d.id}] ${d.message}") ds)
    }\nFix: correct each item; or, if it is intended, accept it by id in fleet.nix with the reason, e.g. acceptWarnings.\"${(builtins.head ds).id}\" = \"why this is intended\"; (docs/fleet-authors.md, Warnings).";
in
{
  inherit
    classify
    blocking
    format
    refusal
    ;
}
