# The microVM runner (ARCHITECTURE.md "Test fabric"): one harness scenario
# file -> one NixOS test with a real control plane and real agents, each a
# VM configured through the service modules (the scenario surface is the
# operator surface). The plan (nodes, options, test script) is pure and
# tested without nixpkgs (lib/harness/plan.nix); this file adds what needs
# nixpkgs: a throwaway test PKI and pkgs.testers.runNixOSTest.
#
# Evaluated only where nixpkgs (and KVM) is available:
#   nix build .#checks.x86_64-linux.harness-<scenario>
{ pkgs, packages }:
scenarioFile:
let
  inherit (pkgs) lib;
  p = (import ../../lib/harness/plan.nix).plan (import scenarioFile);

  # Test-only keys: fixtures in the store on purpose, never a real fleet's.
  pki = pkgs.runCommand "nixfleet-harness-pki-${p.name}" { nativeBuildInputs = [ pkgs.openssl ]; } ''
    mkdir -p $out && cd $out
    gen() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" 2>/dev/null; }
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
      -subj /CN=nixfleet-harness-ca -days 3650 2>/dev/null
    printf 'subjectAltName=DNS:cp\n' > cp.ext
    gen cp
    openssl x509 -req -in cp.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out cp.crt -days 3650 -extfile cp.ext
    for h in ${lib.escapeShellArgs p.hosts}; do
      gen "$h"
      openssl x509 -req -in "$h.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$h.crt" -days 3650
    done
    rm -f ./*.csr ./*.ext ./*.srl
  '';

  common =
    { hostName }:
    {
      imports = import ../../lib/mk-host/modules.nix { };
      hostSpec.hostName = hostName;
      environment.etc."nixfleet-test".source = pki;
      environment.systemPackages = [ pkgs.curl ];
      # A fixture release key: the scenario's signed artifacts come from the
      # harness, and both daemons refuse to start without one.
      nixfleet.trust.ciReleaseKey.current = {
        algorithm = "ed25519";
        public = "Vh0bFq3cBzbXzkl1tLhdM5Y8IuZqTOLQ6jyMeYRvvEY=";
      };
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
        virtualisation.memorySize = 1024;
      };
    }
    // lib.mapAttrs (host: agent: {
      imports = [ (common { hostName = host; }) ];
      services.nixfleet-agent = agent // {
        package = packages.nixfleet-agent;
      };
    }) p.agents;
  inherit (p) testScript;
}
