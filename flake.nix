# NixFleet flake. Thin on purpose: each output is one small file under
# nix/flake/ (or a directory's default.nix), and every value those files
# compute comes from builtins-only functions tested with `nix-instantiate`
# (flakes need downloads, which this project's CI machines cannot do).
#
# Inputs: nixpkgs only (nixosSystem for mkHost, the service modules,
# buildNpmPackage for the packages, runNixOSTest for the harness). The
# impermanence impl expects the fleet to import upstream impermanence itself,
# so it is not an input here; nothing else is needed.
{
  description = "NixFleet: declarative NixOS fleet management with signed intent";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      linux = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      systems = linux ++ [
        "aarch64-darwin"
        "x86_64-darwin"
      ];
      forSystems = list: f: lib.genAttrs list (system: f system nixpkgs.legacyPackages.${system});
    in
    {
      # mkFleet, mergeFleets, withSignature, mkHost, schema, render.
      lib = import ./nix/flake/lib.nix { inherit nixpkgs; };

      nixosModules = import ./nix/flake/nixos-modules.nix;

      # Contract implementations: flake.scopes.<family>.<impl>.
      scopes = import ./impls;

      # JSON Schema of every boundary contract, for consumers that validate
      # artifacts in other languages.
      schemas = import ./lib/schema/export.nix { };

      packages = forSystems systems (
        _: pkgs:
        let
          p = import ./nix/packages {
            inherit pkgs;
            # `--version` prints it (ts/version/version.ts reads COMMIT).
            commit = self.shortRev or self.dirtyShortRev or null;
          };
        in
        p // { default = p.nixfleet; }
      );

      apps = forSystems systems (
        system: pkgs:
        import ./nix/flake/apps.nix {
          inherit pkgs;
          packages = self.packages.${system};
        }
      );

      checks = forSystems linux (
        system: pkgs:
        import ./nix/flake/checks.nix {
          inherit pkgs self system;
        }
      );

      formatter = forSystems systems (_: pkgs: pkgs.nixfmt-rfc-style);

      devShells = forSystems systems (_: pkgs: { default = import ./nix/flake/dev-shell.nix { inherit pkgs; }; });
    };
}
