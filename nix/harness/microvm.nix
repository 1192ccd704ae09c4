# The microVM runner (ARCHITECTURE.md "Test fabric"): one harness scenario
# file -> one NixOS test that plays it. A real control plane and real agents,
# each a VM configured through the service modules (the scenario surface is
# the operator surface); the cp node also plays CI (`nixfleet release` of
# each generation, signed with a fixture key, closures pushed to a binary
# cache it serves over HTTP) and the operator (the `nixfleet` CLI polls the
# CP for each wait). The plan — nodes, options, helper scripts, the test
# script translating every step, fault, condition and invariant — is pure
# and tested without nixpkgs (nix/harness/*.nix besides this file, tests/lib/harness/); this file
# adds what needs nixpkgs: a throwaway test PKI, the helper programs, the
# cache server and pkgs.testers.runNixOSTest.
#
# Evaluated only where nixpkgs (and KVM) is available:
#   nix build .#checks.x86_64-linux.harness-<scenario>
{ pkgs, packages }:
scenarioFile:
let
  inherit (pkgs) lib;
  h = import ./plan.nix;
  p = h.plan (import scenarioFile);
  inherit (h) paths;

  # Test-only PKI: fixtures in the store on purpose, never a real fleet's.
  # Agents get pre-issued certificates, except those the scenario enrolls
  # with a token minted when the test runs (tokens expire, a test
  # derivation must build the same later); the operator CLI gets its own.
  pki = pkgs.runCommand "nixfleet-harness-pki-${p.name}" {
    nativeBuildInputs = [ pkgs.openssl ];
  } "mkdir -p $out && cd $out\n${h.pkiScript p.hosts}";

  # What the CI role evaluates: tests/harness/nix/generation.nix (the same
  # generations as the local runner) and the library it imports.
  harnessSrc = lib.fileset.toSource {
    root = ../..;
    fileset = lib.fileset.unions [
      ../../lib
      ../../contracts
      ../../tests/harness/nix
    ];
  };

  # The helpers' tools: the CLI, jq, curl (HTTP/2), openssl, age, nix, the
  # decompressors of the secret scan, tar, find, sed, cmp.
  helpersOf = lib.mapAttrsToList (
    name: text:
    pkgs.writeShellScriptBin name ''
      export PATH=${
        lib.makeBinPath [
          packages.nixfleet
          pkgs.jq
          pkgs.curl
          pkgs.openssl
          pkgs.age
          pkgs.nix
          pkgs.coreutils
          pkgs.findutils
          pkgs.gnugrep
          pkgs.gnused
          pkgs.gnutar
          pkgs.diffutils
          pkgs.xz
          pkgs.bzip2
          pkgs.zstd
          pkgs.gzip
        ]
      }:$PATH
      ${text}
    ''
  );
  helpers = helpersOf h.helpers;
  hostHelpers = helpersOf h.hostHelpers;

  common =
    { hostName }:
    {
      imports = import ../../lib/mk-host/modules.nix { };
      hostSpec.hostName = hostName;
      environment.etc."nixfleet-test".source = pki;
      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
      ];
      # The fixture CI release key and cache key (nix/harness/fixtures/).
      nixfleet.trust = h.trust;
    };
in
pkgs.testers.runNixOSTest {
  name = "harness-${p.name}";
  nodes =
    {
      cp = {
        imports = [ (common { hostName = "cp"; }) ];
        services.nixfleet-control-plane = p.cp // {
          package = packages.nixfleet-control-plane;
        };
        nixfleet.operator = {
          enable = true;
          package = packages.nixfleet;
        };
        environment.systemPackages = helpers ++ [ pkgs.openssl ];
        environment.etc = {
          "nixfleet-harness/src".source = harnessSrc;
          "nixfleet-harness/scenario.nix".source = scenarioFile;
          "nixfleet-harness/ci-release.key".source = ./fixtures/ci-release.key;
          "nixfleet-harness/cache.secret".source = ./fixtures/cache.secret;
          "nixfleet-harness/org-root.key".source = ./fixtures/org-root.key;
        };
        # generation.nix builds its toplevels like a CI runner would, with
        # /bin/sh and the tools of /usr/bin: outside the build sandbox, with
        # a /usr/bin this node provides (NixOS has none).
        nix.settings = {
          sandbox = false;
          experimental-features = [ "nix-command" ];
        };
        systemd.tmpfiles.rules =
          map (d: "d ${d} 0755 root root -") [
            paths.work
            paths.releases
            paths.cache
          ]
          ++ map (t: "L+ /usr/bin/${t} - - - - ${pkgs.coreutils}/bin/${t}") [
            "mkdir"
            "chmod"
            "ln"
            "cat"
          ]
          ++ [ "L+ /usr/bin/sed - - - - ${pkgs.gnused}/bin/sed" ];
        # The binary cache the agents copy closures from.
        services.nginx = {
          enable = true;
          virtualHosts.nixfleet-cache = {
            listen = [
              {
                addr = "0.0.0.0";
                port = h.cachePort;
              }
            ];
            root = paths.cache;
          };
        };
        networking.firewall.allowedTCPPorts = [ h.cachePort ];
        virtualisation = {
          memorySize = p.cpMemoryMiB;
          diskSize = 4096;
          writableStore = true;
        };
      };
    }
    // lib.mapAttrs (host: agent: {
      imports = [ (common { hostName = host; }) ];
      services.nixfleet-agent = agent // {
        package = packages.nixfleet-agent;
      };
      environment.systemPackages = hostHelpers;
      systemd.services.nixfleet-agent = {
        # The switch of a generation shipping secrets decrypts them with age.
        path = [ pkgs.age ];
        # The sandbox backend's detached switch stands in for the transient
        # systemd-run unit of the nixos backend: it must outlive the agent's
        # process (killAgent inside an activation, boot-recovery), so
        # stopping the agent stops only its main process.
        serviceConfig.KillMode = "process";
        # An enrolling host's agent starts once its token is on the host
        # (the test script mints and copies it, then starts the unit).
        # A host in the scenario's notStarted waits for its startAgent fault.
        wantedBy = lib.mkIf (builtins.elem host (p.enrolling ++ p.notStarted)) (lib.mkForce [ ]);
      };
    }) p.agents;
  inherit (p) testScript;
}
