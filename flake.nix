# NixFleet flake. Thin on purpose: every output is a small file or a function
# that is tested directly with `nix-instantiate` (flakes need downloads, which
# the project's own CI machines cannot do). Inputs: nixpkgs only, for mkHost,
# the service modules and the packages; the builtins-only library (mkFleet,
# mergeFleets, withSignature, lib/schema) never touches it.
{
  description = "NixFleet: declarative NixOS fleet management with signed intent";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      # The builtins-only library; evaluable without nixpkgs.
      fleetLib = import ./lib;
    in
    {
      lib = fleetLib;

      # JSON Schema of every boundary contract, for consumers that validate
      # artifacts in other languages.
      schemas = import ./lib/schema/export.nix { };
    };
}
