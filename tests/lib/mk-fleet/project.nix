# What the mkFleet eval tests compare: a fixture's fleet projected to the
# values mkFleet promises, each checked against its output contract first.
#
#   nix-instantiate --eval --strict --json tests/lib/mk-fleet/project.nix --arg fixture ./positive/01-minimal.nix
#
# A fixture is a mkFleet result or, like a fleet file the release step
# evaluates, a function of the library: `{ mkFleet, mergeFleets, ... }: …`.
# The golden `*.resolved.json` holds this projection:
#   resolved             fleet.resolved v1            (contracts/fleet-resolved.nix)
#   healthChecks.<host>  health-checks.json v1        (contracts/health-checks.nix)
#   revocations          revocations.json             (contracts/revocations.nix)
#   bootstrapNonces      bootstrap-nonces.json        (contracts/bootstrap-nonces.nix)
#   warnings             mkFleet's warnings
#   nixosConfigurations  the host names it passes through
#   irrevocable.<host>   the declared irrevocable values (only in fixtures
#                        that declare any)
{ fixture }:
let
  inherit (builtins)
    attrNames
    concatMap
    concatStringsSep
    isFunction
    length
    ;
  nixfleet = import ../../../lib;
  inherit (nixfleet) schema;
  raw = import fixture;
  fleet = if isFunction raw then raw nixfleet else raw;
  contract = name: schema.loadContract (../../../contracts + "/${name}.nix");

  errors =
    schema.validateAt [ "resolved" ] (contract "fleet-resolved") fleet.resolved
    ++ concatMap (
      h: schema.validateAt [ "healthChecks" h ] (contract "health-checks") fleet.healthChecks.${h}
    ) (attrNames fleet.healthChecks)
    ++ schema.validateAt [ "revocations" ] (contract "revocations") fleet.revocations
    ++ schema.validateAt [ "bootstrapNonces" ] (contract "bootstrap-nonces") fleet.bootstrapNonces;
in
if errors != [ ] then
  throw "project: mkFleet output violates its contract (${toString (length errors)} error(s)):\n  ${concatStringsSep "\n  " errors}"
else
  {
    inherit (fleet)
      resolved
      healthChecks
      revocations
      bootstrapNonces
      warnings
      ;
    nixosConfigurations = attrNames fleet.nixosConfigurations;
  }
  // (
    if builtins.any (v: v != { }) (builtins.attrValues fleet.irrevocable) then
      { inherit (fleet) irrevocable; }
    else
      { }
  )
