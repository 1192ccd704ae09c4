# What `nixfleet release --fleet-file FILE` evaluates (builtins only). FILE is
# mkFleet's result, or a function `{ mkFleet, mergeFleets, withSignature, … }:
# <mkFleet result>` that receives this project's library.
#
#   nix-instantiate --eval --strict --json lib/release/eval.nix --argstr fleetFile F -A summary
#   nix-build lib/release/eval.nix --argstr fleetFile F --argstr host web-01 -A toplevel
#
# Host names travel as --argstr values, never spliced into expression text.
{
  fleetFile,
  host ? null,
}:
let
  fleetLib = import ../default.nix;
  selectors = import ../mk-fleet/selectors.nix;
  raw = import (/. + fleetFile);
  fleet = if builtins.isFunction raw then raw fleetLib else raw;
  resolved = fleet.resolved;
  index = selectors.mkIndex resolved.hosts;
in
{
  summary = {
    inherit resolved;
    revocations = fleet.revocations.revocations or fleet.revocations;
    bootstrapNonces = fleet.bootstrapNonces.bootstrapNonces or fleet.bootstrapNonces;
    # Each budget's covered hosts, resolved with mkFleet's own selector
    # algebra at projection time (rollout topology is frozen in the manifest).
    budgetHosts = map (b: builtins.attrNames (selectors.resolve index b.selector)) resolved.disruptionBudgets;
    warnings = fleet.warnings or [ ];
    # Per host, what fleet.nix declares must be rendered into its closure
    # (health-checks.json v1); the release checks each built toplevel.
    healthChecks = fleet.healthChecks or null;
  };

  toplevel =
    let
      cfg = fleet.nixosConfigurations.${host} or null;
    in
    if host == null then
      throw "release: --argstr host is required for the toplevel attribute"
    else if cfg == null then
      throw "release: hosts.${host}: no configuration (set `configuration`, or `nixosArgs` with mkHost)"
    else
      cfg.config.system.build.toplevel;
}
