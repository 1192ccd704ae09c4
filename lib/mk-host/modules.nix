# The framework modules mkHost injects into every host (book §10.2): the
# three host-facing contracts, the core glue, and every scope module, each
# disabled until the host enables it. Paths only, so the list is checked
# without nixpkgs (tests/lib/mk-host/).
{
  isVm ? false,
}:
[
  ../../contracts/host-spec.nix
  ../../contracts/persistence.nix
  ../../contracts/trust.nix
  ../../modules/core/_nixos.nix
  ../../modules/scopes/nixfleet/_trust-json.nix
  ../../modules/scopes/nixfleet/_irrevocable.nix
  ../../modules/scopes/nixfleet/_agent.nix
  ../../modules/scopes/nixfleet/_control-plane.nix
  ../../modules/scopes/nixfleet/_cache.nix
  ../../modules/scopes/nixfleet/_operator.nix
  ../../modules/scopes/nixfleet/_compliance.nix
]
++ (if isVm then [ ../../modules/core/_vm.nix ] else [ ])
