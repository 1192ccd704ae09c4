# flake.apps: the programs of package.json, plus `nix-tests` (the builtins-only eval
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
  nixfleet-compliance-collect = app packages.nixfleet-compliance-collect "nixfleet-compliance-collect";
  nix-tests = app (pkgs.writeShellApplication {
    name = "nixfleet-nix-tests";
    # What the suites call: nix-instantiate, node (the case runner),
    # ssh-keygen, and jq/python3/openssl for tests/lib/harness.
    runtimeInputs = [
      pkgs.nix
      pkgs.nodejs_20
      pkgs.openssh
      pkgs.jq
      pkgs.python3
      pkgs.openssl
    ];
    text = ''exec bash tests/lib/run-nix-tests.sh "$@"'';
  }) "nixfleet-nix-tests";
}
