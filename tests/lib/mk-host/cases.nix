# mkHost's pure parts (lib/mk-host/): argument defaults, the injected module
# list, and the per-host module (with the stub lib of tests/lib/modules).
# Error messages are checked by run.sh. Run: bash tests/lib/mk-host/run.sh
let
  inherit (builtins)
    attrNames
    elem
    filter
    match
    pathExists
    readDir
    ;
  args = import ../../../lib/mk-host/args.nix;
  modules = import ../../../lib/mk-host/modules.nix;
  hostModule = import ../../../lib/mk-host/host-module.nix;
  stub = import ../modules/stub.nix;
  t = import ../support/cases.nix;
  inherit (t) eq throws truthy none;

  ok = args {
    hostName = "web-01";
    platform = "x86_64-linux";
    stateVersion = "24.11";
  };
  scopeDir = ../../../modules/scopes/nixfleet;
  # Every scope module (not the option-declaration halves) must be injected.
  scopeFiles = filter (n: match "_.*[.]nix" n != null && match ".*-options[.]nix" n == null) (
    attrNames (readDir scopeDir)
  );
  list = modules { };

  m = hostModule (
    args {
      hostName = "web-01";
      platform = "aarch64-linux";
      stateVersion = "24.11";
      hostSpec = {
        userName = "deploy";
        timeZone = "Europe/Paris";
      };
      fleetHealthChecks = {
        schemaVersion = 1;
        hostname = "web-01";
        probes = { };
      };
    }
  ) { inherit (stub) lib; };
in
{
  defaults = eq ok {
    hostName = "web-01";
    platform = "x86_64-linux";
    stateVersion = "24.11";
    hostSpec = { };
    modules = [ ];
    isVm = false;
    extraInputs = { };
    fleetHealthChecks = null;
  };
  rejects-darwin = throws (args {
    hostName = "mac-01";
    platform = "aarch64-darwin";
    stateVersion = "24.11";
  });
  rejects-unknown = throws (args (ok // { role = "web"; }));
  rejects-other-hostspec-name = throws (args (ok // { hostSpec.hostName = "other"; }));
  accepts-same-hostspec-name = eq (args (ok // { hostSpec.hostName = "web-01"; })).hostSpec.hostName "web-01";

  modules-exist = none (filter (p: !(pathExists p)) (modules { isVm = true; }));
  modules-every-scope = none (filter (n: !(elem (scopeDir + "/${n}") list)) scopeFiles);
  modules-contracts = truthy (
    elem ../../../contracts/host-spec.nix list
    && elem ../../../contracts/persistence.nix list
    && elem ../../../contracts/trust.nix list
    && elem ../../../modules/core/_nixos.nix list
  ) "mkHost must inject the three host contracts and the core glue";
  modules-vm-only-when-asked = eq [
    (elem ../../../modules/core/_vm.nix list)
    (elem ../../../modules/core/_vm.nix (modules { isVm = true; }))
  ] [ false true ];

  host-name-forced = eq m.hostSpec.hostName {
    _stub = "force";
    value = "web-01";
  };
  host-spec-defaults = eq m.hostSpec.userName {
    _stub = "default";
    value = "deploy";
  };
  host-platform = eq m.nixpkgs.hostPlatform.value "aarch64-linux";
  host-state-version = eq m.system.stateVersion.value "24.11";
  host-health-checks = eq m.services.nixfleet-agent.fleetHealthChecks.content.hostname "web-01";
}
