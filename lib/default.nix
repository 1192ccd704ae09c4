# The builtins-only NixFleet library: everything here evaluates with plain
# `nix-instantiate`, without nixpkgs or flake inputs.
#
#   let nixfleet = import ./lib; in nixfleet.mkFleet { … }
#
# The design book's lib/default.nix takes `{ inputs, lib }` because it also
# exports mkHost and mkVmApps, which build real systems and need nixpkgs.
# Those are added by the flake wiring where nixpkgs exists (and mkHost can be
# handed to `mkFleetWith { mkHost = …; }`); this entry deliberately takes no
# arguments so eval-only tools and tests can import it anywhere.
#
# A fleet file the release step evaluates is either a mkFleet result or a
# function of this attrset: `{ mkFleet, mergeFleets, ... }: mkFleet { … }`.
let
  mkFleetImpl = import ./mk-fleet.nix;
in
{
  inherit (mkFleetImpl)
    mkFleet
    mkFleetWith
    mergeFleets
    mergeFleetsWith
    withSignature
    ;

  /**
    Names of the compliance frameworks mkFleet accepts (declared in
    ./compliance-frameworks.nix).

    Type: complianceFrameworks :: [ string ]
  */
  complianceFrameworks = builtins.attrNames (import ./compliance-frameworks.nix);

  # The contract interpreter (validate / applyDefaults / toJSONSchema).
  schema = import ./schema;
}
