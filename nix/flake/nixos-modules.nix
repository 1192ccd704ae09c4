# flake.nixosModules: the framework modules for fleets that do not use
# mkHost. Each module imports the contracts it reads; `default` is every
# module mkHost injects (all disabled until enabled).
{
  nixfleet-core = ../../modules/core/_nixos.nix;
  agent = ../../modules/scopes/nixfleet/_agent.nix;
  control-plane = ../../modules/scopes/nixfleet/_control-plane.nix;
  cache = ../../modules/scopes/nixfleet/_cache.nix;
  operator = ../../modules/scopes/nixfleet/_operator.nix;
  compliance = ../../modules/scopes/nixfleet/_compliance.nix;
  trust-json = ../../modules/scopes/nixfleet/_trust-json.nix;
  irrevocable = ../../modules/scopes/nixfleet/_irrevocable.nix;
  default = {
    imports = import ../../lib/mk-host/modules.nix { };
  };
}
