# What `nixfleet release --fleet-file FILE` evaluates (builtins only). FILE is
# mkFleet's result, or a function `{ mkFleet, mergeFleets, withSignature, … }:
# <mkFleet result>` that receives this project's library.
#
#   nix-instantiate --eval --strict --json lib/release/eval.nix --argstr fleetFile F -A summary
#   nix-build lib/release/eval.nix --argstr fleetFile F --argstr host web-01 -A toplevel
#   nix-instantiate --eval --strict --json --read-write-mode lib/release/eval.nix \
#     --argstr fleetFile F --argstr hostsJson '["web-01","web-02"]' -A instantiate
#
# `instantiate` is the release's one evaluation of the selected toplevels: it
# writes each host's .drv and returns { <host> = { drv; out; }; } (keys, not
# list order, tie a path to its host), which one `nix-store --realise` builds.
# Host names travel as --argstr values, never spliced into expression text.
{
  fleetFile,
  host ? null,
  hostsJson ? "[]",
}:
let
  fleetLib = import ../default.nix;
  raw = import (/. + fleetFile);
  fleet = if builtins.isFunction raw then raw fleetLib else raw;
  toplevelOf =
    h:
    let
      cfg = fleet.nixosConfigurations.${h} or null;
    in
    if cfg == null then
      throw "release: hosts.${h}: no configuration (set `configuration`, or `nixosArgs` with mkHost)"
    else
      cfg.config.system.build.toplevel;
in
{
  summary = import ./project.nix fleet;

  toplevel =
    if host == null then
      throw "release: --argstr host is required for the toplevel attribute"
    else
      toplevelOf host;

  # `out`, not `outPath`: an attrset with outPath would serialise as a string.
  instantiate = builtins.listToAttrs (
    map (h: {
      name = h;
      value =
        let
          t = toplevelOf h;
        in
        {
          drv = t.drvPath;
          out = t.outPath;
        };
    }) (builtins.fromJSON hostsJson)
  );
}
