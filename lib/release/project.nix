# What `nixfleet release` reads from a fleet (a mkFleet result), shared by the
# fleet-file path (eval.nix) and the flake path (`nix eval --apply`).
#
# The diagnostics come first and on their own: a fleet that unaccepted
# safety-relevant warnings refuse yields `{ blocked = true; diagnostics; }`
# and nothing else (its `resolved` would throw), so the release can print
# every warning and refuse with a typed code before building anything.
#
#   (import lib/release/project.nix) fleet
#
# The static compliance gate's failures come first too: a fleet with a
# failing enforce-mode control yields `{ blocked = true; complianceFailures;
# … }` (its `resolved` would throw), so the release refuses with
# RELEASE_ERR_COMPLIANCE naming each. `complianceGate` says whether the
# fleet's library evaluates the gate at all (mkFleet's `compliance`).
fleet:
let
  selectors = import ../mk-fleet/selectors.nix;
  diagnostics = fleet.diagnostics;
  complianceGate = fleet ? compliance;
  complianceFailures = if complianceGate then fleet.compliance.failures else [ ];
  blocked = builtins.any (d: d.severity == "safety" && !d.accepted) diagnostics || complianceFailures != [ ];
  resolved = fleet.resolved;
  index = selectors.mkIndex resolved.hosts;
in
if blocked then
  {
    inherit blocked diagnostics complianceFailures;
  }
else
  {
    inherit
      blocked
      diagnostics
      resolved
      complianceFailures
      complianceGate
      ;
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
