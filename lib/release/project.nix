# What `nixfleet release` reads from a fleet (a mkFleet result), shared by the
# fleet-file path (eval.nix) and the flake path (`nix eval --apply`).
#
# The diagnostics come first and on their own: a fleet that unaccepted
# safety-relevant warnings refuse yields `{ blocked = true; diagnostics; }`
# and nothing else (its `resolved` would throw), so the release can print
# every warning and refuse with a typed code before building anything.
#
#   (import lib/release/project.nix) fleet
fleet:
let
  selectors = import ../mk-fleet/selectors.nix;
  diagnostics = fleet.diagnostics;
  blocked = builtins.any (d: d.severity == "safety" && !d.accepted) diagnostics;
  resolved = fleet.resolved;
  index = selectors.mkIndex resolved.hosts;
in
if blocked then
  {
    inherit blocked diagnostics;
  }
else
  {
    inherit blocked diagnostics resolved;
    revocations = fleet.revocations.revocations or fleet.revocations;
    bootstrapNonces = fleet.bootstrapNonces.bootstrapNonces or fleet.bootstrapNonces;
    # Each budget's covered hosts, resolved with mkFleet's own selector
    # algebra at projection time (rollout topology is frozen in the manifest).
    budgetHosts = map (b: builtins.attrNames (selectors.resolve index b.selector)) resolved.disruptionBudgets;
    warnings = fleet.warnings;
    # Per host, what fleet.nix declares must be rendered into its closure
    # (health-checks.json v1); the release checks each built toplevel.
    healthChecks = fleet.healthChecks or null;
    # Per host, the values that must never change (the release compares them
    # with the previous signed release before building).
    irrevocable = fleet.irrevocable or { };
  }
