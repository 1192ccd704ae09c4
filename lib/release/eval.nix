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
  raw = import (/. + fleetFile);
  fleet = if builtins.isFunction raw then raw fleetLib else raw;
in
{
  summary = import ./project.nix fleet;

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
