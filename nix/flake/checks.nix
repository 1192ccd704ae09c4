# flake.checks (Linux): the eval suites, contract drift, module assertions
# under the real NixOS module system, a full host evaluation, and the
# harness scenarios through the microVM runner. Evaluated only where
# nixpkgs is available (`nix flake check`); the suites themselves also run
# without it (`npm test`).
{
  pkgs,
  self,
  system,
}:
let
  inherit (pkgs) lib;
  src = self.outPath;
  packages = self.packages.${system};

  # Nix inside a build: a private store and state under $TMPDIR, enough for
  # `nix-instantiate --eval` of builtins-only files.
  nixEnv = ''
    export HOME=$TMPDIR
    export NIX_STORE_DIR=$TMPDIR/store NIX_STATE_DIR=$TMPDIR/state NIX_LOG_DIR=$TMPDIR/log NIX_CONF_DIR=$TMPDIR/etc
    mkdir -p $NIX_CONF_DIR && echo 'experimental-features = nix-command' > $NIX_CONF_DIR/nix.conf
    nix-store --init
    cp -r ${src} repo && chmod -R u+w repo && cd repo
  '';

  host =
    modules:
    self.lib.mkHost {
      hostName = "check-01";
      platform = system;
      stateVersion = "24.11";
      modules = [
        {
          # Enough of a machine for evaluation.
          boot.loader.grub.enable = false;
          fileSystems."/".device = "/dev/disk/by-label/nixos";
          nixfleet.trust.ciReleaseKey.current = {
            algorithm = "ed25519";
            public = "Vh0bFq3cBzbXzkl1tLhdM5Y8IuZqTOLQ6jyMeYRvvEY=";
          };
        }
      ] ++ modules;
    };
  failing = h: map (a: a.message) (lib.filter (a: !a.assertion) h.config.assertions);

  # Module assertions and warnings under nixpkgs' module system: each case
  # must produce a message containing `expect`.
  moduleCases = {
    agent-no-release-key = {
      messages = failing (host [
        {
          nixfleet.trust.ciReleaseKey.current = lib.mkForce null;
          services.nixfleet-agent = {
            enable = true;
            controlPlane.url = "https://cp.example.com:8443";
          };
        }
      ]);
      expect = "nixfleet.trust.ciReleaseKey.current";
    };
    agent-bad-probe = {
      messages = failing (host [
        {
          services.nixfleet-agent = {
            enable = true;
            controlPlane.url = "https://cp.example.com:8443";
            healthChecks.web = {
              kind = "http";
            };
          };
        }
      ]);
      expect = "services.nixfleet-agent.healthChecks.web.url";
    };
    cp-strict-missing = {
      messages = failing (host [
        {
          services.nixfleet-control-plane = {
            enable = true;
            strict = true;
          };
        }
      ]);
      expect = "services.nixfleet-control-plane.strict = true";
    };
    cp-exposed-warning = {
      messages =
        (host [
          {
            services.nixfleet-control-plane = {
              enable = true;
              listen = "0.0.0.0:8443";
            };
          }
        ]).config.warnings;
      expect = "services.nixfleet-control-plane.strict = true";
    };
  };
  badCases = lib.filterAttrs (_: c: !(lib.any (m: lib.hasInfix c.expect m) c.messages)) moduleCases;

  full = host [
    {
      services.nixfleet-agent = {
        enable = true;
        controlPlane.url = "https://cp.example.com:8443";
        healthChecks.ssh = {
          kind = "tcp";
          host = "127.0.0.1";
          port = 22;
        };
      };
      services.nixfleet-control-plane.enable = true;
      services.nixfleet-cache = {
        enable = true;
        cacheUrl = "https://cache.example.com";
        publicKey = "cache.example.com-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";
      };
      nixfleet.operator.enable = true;
    }
  ];

  # One microVM test per scenario. A scenario the runner cannot play (a
  # kind newer than nix/harness/plan.nix) becomes a failing check naming the command
  # that prints the reason, instead of aborting every other check's
  # evaluation.
  scenarioDir = ../../tests/harness/scenarios;
  harnessPlan = import ../harness/plan.nix;
  scenarios = lib.optionalAttrs (builtins.pathExists scenarioDir) (
    lib.mapAttrs' (
      file: _:
      let
        name = lib.removeSuffix ".nix" file;
        scenarioFile = scenarioDir + "/${file}";
        playable = (builtins.tryEval (builtins.deepSeq (harnessPlan.plan (import scenarioFile)).testScript true)).success;
      in
      {
        name = "harness-${name}";
        value =
          if playable then
            import ../harness/microvm.nix { inherit pkgs packages; } scenarioFile
          else
            pkgs.runCommand "harness-${name}-unsupported" { } ''
              echo "tests/harness/scenarios/${file} cannot be played by the microVM runner; the reason:" >&2
              echo "  nix-instantiate --eval -E '(import ./nix/harness/plan.nix).plan (import ./tests/harness/scenarios/${file})'" >&2
              exit 1
            '';
      }
    ) (lib.filterAttrs (n: t: t == "regular" && lib.hasSuffix ".nix" n) (builtins.readDir scenarioDir))
  );
in
{
  nix-eval = pkgs.runCommand "nixfleet-nix-eval" {
    # jq, python3 and openssl: tests/lib/harness runs what the microVM
    # runner generates (filters, scripts, fixture keys).
    nativeBuildInputs = [
      pkgs.nix
      pkgs.nodejs_20
      pkgs.openssh
      pkgs.jq
      pkgs.python3
      pkgs.openssl
    ];
  } ''
    ${nixEnv}
    bash tests/lib/run-nix-tests.sh
    touch $out
  '';

  contract-drift = pkgs.runCommand "nixfleet-contract-drift" {
    nativeBuildInputs = [
      pkgs.nix
      pkgs.nodejs_20
    ];
    nodeModules = pkgs.importNpmLock.buildNodeModules {
      npmRoot = src;
      nodejs = pkgs.nodejs_20;
    };
  } ''
    ${nixEnv}
    ln -s $nodeModules/node_modules node_modules
    node_modules/.bin/tsx scripts/gen-contracts.ts --check
    touch $out
  '';

  module-assertions =
    if badCases == { } then
      pkgs.runCommand "nixfleet-module-assertions" { } "touch $out"
    else
      throw "module assertions: ${lib.concatStringsSep "; " (lib.mapAttrsToList (n: c: "${n}: no message containing \"${c.expect}\" in ${builtins.toJSON c.messages}") badCases)}";

  # Every framework module enabled at once evaluates to a system derivation.
  host-eval = pkgs.runCommand "nixfleet-host-eval" {
    drv = builtins.unsafeDiscardStringContext full.config.system.build.toplevel.drvPath;
  } "touch $out";

  inherit (packages) nixfleet;
}
// scenarios
