# flake.apps: the three programs, plus `nix-tests` (the builtins-only eval
# suites, runnable anywhere a Nix binary and Node.js exist).
{ pkgs, packages }:
let
  app = pkg: name: {
    type = "app";
    program = "${pkg}/bin/${name}";
  };
in
{
  default = app packages.nixfleet "nixfleet";
  nixfleet = app packages.nixfleet "nixfleet";
  nixfleet-agent = app packages.nixfleet-agent "nixfleet-agent";
  nixfleet-control-plane = app packages.nixfleet-control-plane "nixfleet-control-plane";
  nix-tests = app (pkgs.writeShellApplication {
    name = "nixfleet-nix-tests";
    runtimeInputs = [
      pkgs.nix
      pkgs.nodejs_20
    ];
    text = ''exec bash tests/lib/run-nix-tests.sh "$@"'';
  }) "nixfleet-nix-tests";
}
