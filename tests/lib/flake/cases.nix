# flake.nix wiring with a stand-in nixpkgs (nixosSystem returns its
# arguments): flake.lib.mkFleet builds `nixosArgs` hosts through mkHost with
# the framework modules, the per-host module and the host's resolved probe
# set; scopes and nixosModules point at existing files. The real nixpkgs
# evaluation is `nix flake check` (nix/flake/checks.nix).
# Run: bash tests/lib/flake/run.sh
let
  inherit (builtins)
    all
    attrNames
    elem
    head
    length
    listToAttrs
    pathExists
    ;
  t = import ../support/cases.nix;
  inherit (t) eq truthy;
  stub = import ../modules/stub.nix;

  fakeNixpkgs = {
    lib = {
      genAttrs =
        names: f:
        listToAttrs (
          map (n: {
            name = n;
            value = f n;
          }) names
        );
      nixosSystem = args: {
        _args = args;
        config.system.build.toplevel = {
          type = "derivation";
          name = "nixos-system-fake";
          outPath = "/nix/store/00000000000000000000000000000000-nixos-system-fake";
        };
      };
    };
    legacyPackages = { };
  };
  flake = import ../../../flake.nix;
  self = flake.outputs {
    inherit self;
    nixpkgs = fakeNixpkgs;
  };

  fleet = self.lib.mkFleet {
    hosts.web-01 = {
      system = "x86_64-linux";
      channel = "stable";
      healthChecks.ssh = {
        kind = "tcp";
        host = "127.0.0.1";
        port = 22;
      };
      nixosArgs = {
        stateVersion = "24.11";
        hostSpec.userName = "deploy";
        modules = [ { services.nixfleet-agent.enable = true; } ];
      };
    };
    channels.stable = {
      rolloutPolicy = "all";
      freshnessWindow = 1440;
    };
    rolloutPolicies.all.strategy = "all-at-once";
  };
  sys = fleet.nixosConfigurations.web-01._args;
  modules = sys.modules;
  hostModule = builtins.elemAt modules (length modules - 2) { inherit (stub) lib; };
  # nix/flake/apps.nix with stand-in packages: each program is a binary the
  # package declares (package.json "bin"), taken from the matching package.
  bins = attrNames (builtins.fromJSON (builtins.readFile ../../../package.json)).bin;
  storeOf = name: "/nix/store/00000000000000000000000000000000-${name}";
  apps = import ../../../nix/flake/apps.nix {
    pkgs = {
      nix = storeOf "nix";
      nodejs_20 = storeOf "nodejs";
      openssh = storeOf "openssh";
      jq = storeOf "jq";
      python3 = storeOf "python3";
      openssl = storeOf "openssl";
      writeShellApplication = a: storeOf a.name;
    };
    packages = builtins.listToAttrs (map (b: {
      name = b;
      value = storeOf b;
    }) bins);
  };
in
{
  apps-programs = truthy (all (
    n:
    let
      a = apps.${n};
      bin = builtins.baseNameOf a.program;
    in
    a.type == "app" && (if n == "nix-tests" then bin == "nixfleet-nix-tests" else elem bin bins && a.program == "${storeOf bin}/bin/${bin}")
  ) (attrNames apps)) "every app must run a binary its package declares";
  apps-cover-bins = truthy (all (b: apps ? ${b}) bins) "every program of package.json must be an app";
  lib-exports = truthy (all (n: self.lib ? ${n}) [
    "mkFleet"
    "mergeFleets"
    "withSignature"
    "mkHost"
    "schema"
    "render"
  ]) "flake.lib must export mkFleet, mergeFleets, withSignature, mkHost, schema and render";
  mkfleet-uses-mkhost = eq (length modules) (length (import ../../../lib/mk-host/modules.nix { }) + 2);
  mkhost-framework-first = eq (head modules) ../../../contracts/host-spec.nix;
  mkhost-consumer-last = eq (builtins.elemAt modules (length modules - 1)) { services.nixfleet-agent.enable = true; };
  mkhost-forces-hostname = eq hostModule.hostSpec.hostName {
    _stub = "force";
    value = "web-01";
  };
  mkhost-probes-flow-back = eq (attrNames hostModule.services.nixfleet-agent.fleetHealthChecks.content.probes) [ "ssh" ];
  mkhost-platform = eq hostModule.nixpkgs.hostPlatform.value "x86_64-linux";
  merge-fleets-uses-mkhost = eq (self.lib.mergeFleets [ fleet ]).nixosConfigurations.web-01._args.specialArgs { inputs = { }; };
  scopes-exist = truthy (
    pathExists self.scopes.persistence.impermanence && pathExists self.scopes.keyslots.tpm && pathExists self.scopes.secrets
  ) "flake.scopes module paths must exist";
  modules-exist = truthy (all (n: n == "default" || pathExists self.nixosModules.${n}) (attrNames self.nixosModules)) "flake.nixosModules paths must exist";
  modules-default = eq self.nixosModules.default.imports (import ../../../lib/mk-host/modules.nix { });
  outputs = truthy (all (n: elem n (attrNames self)) [
    "lib"
    "nixosModules"
    "scopes"
    "schemas"
    "packages"
    "apps"
    "checks"
    "formatter"
    "devShells"
  ]) "flake outputs";
}
