# nix/harness/microvm.nix with a stand-in `pkgs` (runNixOSTest returns its
# arguments): the nodes get the plan's options, the cp node carries every
# input the generated script and helpers refer to (etc entries, state
# directories, cache server), and the script is the plan's. nixpkgs' own
# behaviour (fileset, writeShellScriptBin, the NixOS test driver) is
# evaluated only where nixpkgs is available.
let
  inherit (builtins)
    all
    attrNames
    concatStringsSep
    elem
    pathExists
    substring
    stringLength
    ;
  t = import ../support/cases.nix;
  inherit (t) eq truthy;
  h = import ../../../nix/harness/plan.nix;

  pkg = name: "/nix/store/00000000000000000000000000000000-${name}";
  pkgs = {
    lib = {
      escapeShellArgs = l: concatStringsSep " " (map (x: "'${x}'") l);
      fileset = {
        toSource = { root, fileset }: { inherit root fileset; };
        unions = l: l;
      };
      mapAttrsToList = f: a: map (n: f n a.${n}) (attrNames a);
      makeBinPath = l: concatStringsSep ":" (map (p: "${p}/bin") l);
      inherit (builtins) mapAttrs;
      mkIf = cond: value: { _if = cond; inherit value; };
      mkForce = value: { _force = value; };
    };
    runCommand = name: env: script: { inherit name script; };
    writeShellScriptBin = name: text: { inherit name text; };
    testers.runNixOSTest = args: args;
    openssl = pkg "openssl";
    curl = pkg "curl";
    jq = pkg "jq";
    nix = pkg "nix";
    coreutils = pkg "coreutils";
    gnused = pkg "gnused";
    age = pkg "age";
    findutils = pkg "findutils";
    gnugrep = pkg "gnugrep";
    gnutar = pkg "gnutar";
    diffutils = pkg "diffutils";
    xz = pkg "xz";
    bzip2 = pkg "bzip2";
    zstd = pkg "zstd";
    gzip = pkg "gzip";
  };
  packages = {
    nixfleet = pkg "nixfleet";
    nixfleet-agent = pkg "nixfleet-agent";
    nixfleet-control-plane = pkg "nixfleet-control-plane";
  };
  scenario = ./fixtures/all-kinds.nix;
  test = import ../../../nix/harness/microvm.nix { inherit pkgs packages; } scenario;
  plan = h.plan (import scenario);
  cp = test.nodes.cp;
  etc = cp.environment.etc;
  p = h.paths;
  # /etc/<key> → the etc entry the node must have.
  etcKey = path: substring 5 (stringLength path - 5) path;
  helperBins = builtins.filter (x: x ? text) cp.environment.systemPackages;
in
{
  name = eq test.name "harness-all-kinds";
  nodes = eq (attrNames test.nodes) [ "cp" "db-01" "web-01" ];
  script = eq test.testScript plan.testScript;
  cp-options = eq cp.services.nixfleet-control-plane (plan.cp // { package = packages.nixfleet-control-plane; });
  agent-options = eq test.nodes.web-01.services.nixfleet-agent (plan.agents.web-01 // { package = packages.nixfleet-agent; });
  trust = eq ((builtins.head cp.imports).nixfleet.trust) h.trust;
  operator = eq cp.nixfleet.operator.enable true;
  helpers = eq (map (b: b.name) helperBins) (attrNames h.helpers);
  helper-texts = truthy (all (
    b:
    let
      want = h.helpers.${b.name};
      n = stringLength want;
    in
    substring (stringLength b.text - n - 1) n b.text == want
  ) helperBins) "each helper program must carry the plan's text";
  # Every input the helpers and the script read is on the cp node.
  etc-inputs = eq (builtins.sort builtins.lessThan (attrNames etc)) (
    builtins.sort builtins.lessThan (map etcKey [ p.src p.scenario p.ciKey p.cacheSecret p.orgRootKey ])
  );
  etc-files-exist = truthy (all (k: k == etcKey p.src || pathExists etc.${k}.source) (attrNames etc)) "fixture files must exist";
  etc-scenario = eq etc.${etcKey p.scenario}.source scenario;
  source-has-generations = truthy (all pathExists etc.${etcKey p.src}.source.fileset && elem ../../../tests/harness/nix etc.${etcKey p.src}.source.fileset) "the CI role needs tests/harness/nix/generation.nix and the library";
  pki-in-etc = eq (etcKey p.pki) "nixfleet-test";
  pki-operator = truthy (
    let
      script = (builtins.head cp.imports).environment.etc."nixfleet-test".source.script;
    in
    t.hasInfix "for h in 'db-01' 'web-01'; do" script && t.hasInfix ''-subj "/CN=operator:harness"'' script && t.hasInfix "extendedKeyUsage=clientAuth" script
  ) "the PKI must issue the hosts' and the operator's (CN operator:<name>) certificates, with the clientAuth EKU";
  pki-host-keys = truthy (t.hasInfix ''openssl genpkey -algorithm ed25519 -out "$h.ssh_host_ed25519_key"'' ((builtins.head cp.imports).environment.etc."nixfleet-test".source.script)) "every agent needs an ed25519 host key";
  host-helpers = eq (map (b: b.name) (builtins.filter (x: x ? text) test.nodes.web-01.environment.systemPackages)) (attrNames h.hostHelpers);
  # The detached sandbox switch must outlive a killed agent (boot-recovery).
  agent-kill-mode = eq test.nodes.web-01.systemd.services.nixfleet-agent.serviceConfig.KillMode "process";
  agent-age = eq test.nodes.web-01.systemd.services.nixfleet-agent.path [ pkgs.age ];
  # Only the enrolling host's unit waits for its token.
  enrolling-unit-waits = eq (map (n: test.nodes.${n}.systemd.services.nixfleet-agent.wantedBy._if) [ "db-01" "web-01" ]) [ true false ];
  agent-host-key = eq test.nodes.web-01.services.nixfleet-agent.sshHostKeyFile "/etc/nixfleet-test/web-01.ssh_host_ed25519_key";
  state-dirs = truthy (all (d: elem "d ${d} 0755 root root -" cp.systemd.tmpfiles.rules) [ p.work p.releases p.cache ]) "the CI role's directories must exist";
  cache-server = eq {
    root = cp.services.nginx.virtualHosts.nixfleet-cache.root;
    port = (builtins.head cp.services.nginx.virtualHosts.nixfleet-cache.listen).port;
    firewall = cp.networking.firewall.allowedTCPPorts;
  } {
    root = p.cache;
    port = h.cachePort;
    firewall = [ h.cachePort ];
  };
  cp-reads-releases = eq cp.services.nixfleet-control-plane.releaseDir p.releases;
}
