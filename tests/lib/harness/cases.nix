# The microVM runner's pure plan (lib/harness/plan.nix): nodes, the service
# options they get (type-checked against the modules' own declarations), and
# the test script. Run: bash tests/lib/harness/run.sh
let
  inherit (builtins) attrNames mapAttrs;
  schema = import ../../../lib/schema;
  samples = import ../render/samples.nix;
  render = import ../../../lib/render;
  h = import ../../../lib/harness/plan.nix;
  t = import ../support/cases.nix;
  inherit (t) eq throws none truthy;

  p = h.plan (import ./fixtures/smoke.nix);
  agentErrors = builtins.concatLists (builtins.attrValues (mapAttrs (_: a: schema.validate samples.agentOptions a) p.agents));
in
{
  hosts = eq p.hosts [ "db-01" "web-01" ];
  agents = eq (attrNames p.agents) [ "db-01" "web-01" ];
  agent-options-valid = none agentErrors;
  cp-options-valid = none (schema.validate samples.cpOptions p.cp);
  agent-identity = eq p.agents.web-01.machineId "web-01";
  agent-argv-renders = truthy (builtins.elem "https://cp:8443" (render.agent.args (schema.applyDefaults samples.agentOptions p.agents.web-01))) "agent argv must point at the cp node";
  cp-warns-exposed = eq (builtins.length (render.controlPlane.warnings (schema.applyDefaults samples.cpOptions p.cp))) 1;
  script-waits-for-agents = truthy (t.hasInfix "nixfleet-agent.service" p.testScript && t.hasInfix ''["db-01","web-01"]'' p.testScript) "the test script must wait for every agent";
  script-timeout = truthy (t.hasInfix "timeout=150" p.testScript) "the longest step bound must reach the script";
  uninterpreted = eq p.uninterpreted [ "generations" "steps" ];
  timing-agent = eq p.agents.web-01.extraArgs [ "--heartbeat-interval" "2s" ];
  timing-cp = eq {
    inherit (p.cp) extraArgs confirmDeadlineSecs;
  } {
    extraArgs = [ "--heartbeat-interval-secs" "2" "--reconcile-interval-secs" "1" ];
    confirmDeadlineSecs = 600;
  };
  memory = eq p.memoryMiB 4096;
  rejects-cp-name = throws (h.plan { name = "x"; fleet.hosts.cp = { }; });
  # Every scenario the harness ships plans (nodes, options, script).
  real-scenarios =
    let
      dir = ../../harness/scenarios;
      files = if builtins.pathExists dir then builtins.filter (n: builtins.match ".*[.]nix" n != null) (attrNames (builtins.readDir dir)) else [ ];
      planned = map (f: builtins.deepSeq (h.plan (import (dir + "/${f}"))) "${(import (dir + "/${f}")).name}.nix") files;
    in
    eq planned files;
  rejects-empty = throws (h.plan { name = "x"; });
}
