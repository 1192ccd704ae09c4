# Pure renderers behind the NixOS service modules: every value a module
# computes (argv, trust.json, health-checks.json, unit settings, assertions,
# warnings) comes from here, so it is tested with `nix-instantiate` on
# machines without nixpkgs (tests/lib/render/). Builtins only.
#
#   let render = import ./lib/render; in render.agent.args cfg
{
  agent = import ./agent.nix;
  controlPlane = import ./control-plane.nix;
  trustJson = import ./trust-json.nix;
  healthChecks = import ./health-checks.nix;
  systemd = import ./systemd.nix;
  host = import ./host.nix;
  common = import ./common.nix;
  compliance = import ./compliance.nix;
}
