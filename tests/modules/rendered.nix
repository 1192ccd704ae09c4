# Arguments and files as the NixOS modules render them, for
# rendered-args.test.ts: the sample argv of tests/lib/render/samples.nix, and
# a runnable agent and control plane whose paths live under `tmp`. Builtins
# only (lib/schema evaluates the modules' real option declarations).
#
#   nix-instantiate --eval --strict --json tests/modules/rendered.nix --argstr tmp /tmp/x
{ tmp }:
let
  schema = import ../../lib/schema;
  render = import ../../lib/render;
  samples = import ../lib/render/samples.nix;
  harnessPlan = import ../../nix/harness/plan.nix;
  scenarioDir = ../harness/scenarios;
  harnessFiles =
    map (f: scenarioDir + "/${f}") (
      builtins.filter (n: builtins.match ".*[.]nix" n != null) (builtins.attrNames (builtins.readDir scenarioDir))
    )
    ++ [ ../lib/harness/fixtures/all-kinds.nix ];
  # A scenario the runner cannot play (tests/lib/harness checks its error)
  # has no nodes to render.
  playable = builtins.filter (f: (builtins.tryEval (builtins.deepSeq (harnessPlan.plan (import f)).agents true)).success) harnessFiles;

  # The test's own ed25519 key pair (public half only here): any valid key
  # shape will do, nothing is verified before enrollment.
  key = {
    algorithm = "ed25519";
    public = "Vh0bFq3cBzbXzkl1tLhdM5Y8IuZqTOLQ6jyMeYRvvEY=";
  };
  trust =
    (schema.check "nixfleet.trust" (schema.loadContract ../../contracts/trust.nix) {
      nixfleet.trust = {
        ciReleaseKey.current = key;
        cacheKeys = [ "cache.example.com-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=" ];
        orgRootKey.current = key;
      };
    }).nixfleet.trust;

  agent = schema.check "agent" samples.agentOptions {
    enable = true;
    controlPlane.url = "https://127.0.0.1:9";
    machineId = "web-01";
    pollInterval = 5;
    trustFile = "${tmp}/agent/trust.json";
    stateDir = "${tmp}/agent/state";
    sshHostKeyFile = "${tmp}/agent/ssh_host_ed25519_key";
    bootstrapTokenFile = "${tmp}/agent/bootstrap-token.json";
    activationBackend = "sandbox";
    cacheUrls = [ "file://${tmp}/cache" ];
  };

  cp = schema.check "cp" samples.cpOptions {
    enable = true;
    listen = "127.0.0.1:0";
    tls = {
      cert = "${tmp}/cp/tls.crt";
      key = "${tmp}/cp/tls.key";
    };
    trustFile = "${tmp}/cp/trust.json";
    dbPath = "${tmp}/cp/state.db";
    auditLogPath = "${tmp}/cp/issuance.log";
    releaseDir = "${tmp}/cp/releases";
  };
in
{
  inherit (samples) argv;
  trustJson = render.trustJson.render trust;
  runnable = {
    agent = render.agent.args agent;
    cp = render.controlPlane.args cp;
  };
  # What each strict-mode sample must satisfy on the binary's side.
  strictSamples = [ "strict" ];
  # The microVM runner's nodes (nix/harness/plan.nix) for every scenario
  # the harness ships: each host's agent argv and the CP argv as the
  # modules render them, and the operator commands of the test script.
  harness = map (
    file:
    let
      p = harnessPlan.plan (import file);
    in
    {
      inherit (p) name;
      agents = builtins.mapAttrs (_: a: render.agent.args (schema.check "agent" samples.agentOptions a)) p.agents;
      cp = render.controlPlane.args (schema.check "cp" samples.cpOptions p.cp);
      cli = p.cliCommands;
    }
  ) playable;
}
