# The microVM runner's pure plan (nix/harness/plan.nix, timeline.nix,
# conditions.nix, faults.nix, invariants.nix): nodes, the service options
# they get (type-checked against the modules' own declarations), and the
# translation of a scenario's timeline. Messages of the errors and the
# generated script itself are checked by checks.sh (golden files, Python
# syntax, jq filters run on API documents). Run: bash tests/lib/harness/run.sh
let
  inherit (builtins) attrNames mapAttrs;
  schema = import ../../../lib/schema;
  samples = import ../render/samples.nix;
  render = import ../../../lib/render;
  h = import ../../../nix/harness/plan.nix;
  timeline = import ../../../nix/harness/timeline.nix;
  faults = import ../../../nix/harness/faults.nix;
  conditions = import ../../../nix/harness/conditions.nix;
  invariants = import ../../../nix/harness/invariants.nix;
  contract = schema.loadContract ../../../contracts/harness-scenario.nix;
  t = import ../support/cases.nix;
  inherit (t) eq throws none truthy;

  p = h.plan (import ./fixtures/smoke.nix);
  all = h.plan (import ./fixtures/all-kinds.nix);
  agentErrors = builtins.concatLists (builtins.attrValues (mapAttrs (_: a: schema.validate samples.agentOptions a) p.agents));
  ctx = {
    scenario = "x";
    where = "step 0";
    hosts = [ "web-01" ];
    released = [ "g1" ];
  };
  # The contract's own declarations (lib/schema evaluates the module).
  m = import ../../../lib/schema/module.nix { };
  optionsOf = type: (m.evalModule type.module "<root>" { }).options;
  top = optionsOf contract;
  step = optionsOf top.steps.type.elemType;
  sorted = builtins.sort builtins.lessThan;
  inherit (builtins) elem filter;
  contractConditions = (optionsOf step.wait.type.elemType).kind.type.values;
  contractFaults = (optionsOf step.fault.type.elemType).kind.type.values;
  contractInvariants = top.invariants.type.elemType.values;
  missing = declared: translated: filter (k: !(elem k translated)) declared;
in
{
  hosts = eq p.hosts [ "db-01" "web-01" ];
  agents = eq (attrNames p.agents) [ "db-01" "web-01" ];
  agent-options-valid = none agentErrors;
  cp-options-valid = none (schema.validate samples.cpOptions p.cp);
  agent-identity = eq p.agents.web-01.machineId "web-01";
  agent-cache = eq p.agents.web-01.cacheUrls [ "http://cp:5000" ];
  agent-argv-renders = truthy (builtins.elem "https://cp:8443" (render.agent.args (schema.applyDefaults samples.agentOptions p.agents.web-01))) "agent argv must point at the cp node";
  cp-warns-exposed = eq (builtins.length (render.controlPlane.warnings (schema.applyDefaults samples.cpOptions p.cp))) 1;
  cp-release-dir = eq p.cp.releaseDir "/var/lib/nixfleet-harness/releases";
  script-waits-for-agents = truthy (t.hasInfix "nixfleet-agent.service" p.testScript && t.hasInfix ''("db-01", db_01), ("web-01", web_01)'' p.testScript) "the test script must wait for every agent";
  script-timeout = truthy (t.hasInfix "timeout=150" p.testScript) "the longest step bound must reach the script";
  script-releases = truthy (t.hasInfix ''cp.succeed("nixfleet-harness-release smoke g1 0")'' p.testScript) "the release step must run the CI role";
  releases = eq all.releases [ "g1" "g2" ];
  description-stays-a-comment = truthy (t.hasInfix "two rm -rf" (builtins.head (builtins.split "\n" (h.plan ((import ./fixtures/smoke.nix) // { description = "two\nrm -rf"; })).testScript))) "a multi-line description must stay on the comment line";
  # timing: the scenario's values over the contract's defaults.
  timing-agent = eq (builtins.genList (i: builtins.elemAt p.agents.web-01.extraArgs i) 6) [
    "--heartbeat-interval"
    "2s"
    "--long-poll-timeout"
    "2s"
    "--sustained-failure-threshold"
    "3s"
  ];
  timing-cp = eq {
    inherit (p.cp) extraArgs confirmDeadlineSecs;
  } {
    extraArgs = [ "--poll-interval-secs" "1" "--heartbeat-interval-secs" "2" "--long-poll-secs" "2" "--reconcile-interval-secs" "1" ];
    confirmDeadlineSecs = 600;
  };
  rejects-cp-name = throws (h.plan { name = "x"; description = "x"; fleet.hosts.cp = { }; generations = { }; steps = [ ]; });
  rejects-digit-first = throws (h.plan { name = "x"; description = "x"; fleet.hosts."1web" = { }; generations = { }; steps = [ ]; });
  rejects-empty = throws (h.plan { name = "x"; description = "x"; fleet = { }; generations = { }; steps = [ ]; });
  rejects-off-contract = throws (h.plan ((import ./fixtures/smoke.nix) // { steps = [ { wait.kind = "noSuchKind"; } ]; }));

  # Every kind the contract declares is played by this runner; a kind added
  # to the contract without a translation fails here first (and, in a
  # scenario, with "not supported by the microVM runner").
  # Against the contract's own enums: every kind translated here exists
  # there (a rename fails), and every kind the contract declares that is not
  # translated (one added on another branch, budgetsRespected today) fails
  # evaluation instead of being skipped; checks.sh checks those messages.
  condition-kinds-exist = none (filter (k: !(elem k contractConditions)) conditions.kinds);
  fault-kinds-exist = none (filter (k: !(elem k contractFaults)) faults.kinds);
  step-fields-exist = none (filter (k: !(elem k (attrNames step))) timeline.stepFields);
  invariant-kinds-exist = none (filter (k: !(elem k contractInvariants)) invariants.kinds);
  untranslated-conditions-throw = none (filter (k: (builtins.tryEval (builtins.deepSeq (conditions.check ctx { kind = k; }) true)).success) (missing contractConditions conditions.kinds));
  untranslated-faults-throw = none (filter (k: (builtins.tryEval (builtins.deepSeq (faults.inject ctx { kind = k; hosts = [ "web-01" ]; seconds = 1; }) true)).success) (missing contractFaults faults.kinds));
  untranslated-invariants-throw = none (filter (k: (builtins.tryEval (builtins.deepSeq (invariants.program ctx [ k ]) true)).success) (missing contractInvariants invariants.kinds));

  # Unknown kinds (a contract newer than this runner) throw.
  unknown-fault = throws (faults.inject ctx { kind = "frobnicate"; });
  unknown-condition = throws (conditions.check ctx { kind = "frobnicate"; });
  unknown-invariant = throws (invariants.program ctx [ "frobnicate" ]);
  # The kinds this change added, on the all-kinds fixture.
  enrolls-replayed-host = eq all.enrolling [ "db-01" ];
  enrolling-agent = eq {
    inherit (all.agents.db-01) bootstrapTokenFile;
    inherit (all.agents.db-01.tls) clientCert clientKey;
  } {
    bootstrapTokenFile = "/var/lib/nixfleet-bootstrap/token.json";
    clientCert = null;
    clientKey = null;
  };
  pre-issued-agent = eq all.agents.web-01.bootstrapTokenFile null;
  cp-fleet-ca = eq { inherit (all.cp) fleetCaCert fleetCaKey; } {
    fleetCaCert = "/etc/nixfleet-test/ca.crt";
    fleetCaKey = "/etc/nixfleet-test/ca.key";
  };
  trust-org-root = eq h.trust.orgRootKey.current.algorithm "ed25519";
  setup-order = eq (map (a: a.type) (builtins.filter (a: builtins.elem a.type [ "setup" "secret" "enroll" ]) all.actions)) [ "setup" "secret" "enroll" ];
  secret-pairs = eq (map (a: "${a.host}/${a.name}") (builtins.filter (a: a.type == "secret") all.actions)) [ "db-01/db-password" ];
  kill-during-activation-awaits-switch = eq (map (a: a.node) (builtins.filter (a: a.type == "hostWait") all.actions)) [ "web-01" ];
  recovered-gathers = eq (map (g: g.node) (builtins.head (builtins.filter (a: a.type == "wait" && a.gather != [ ]) all.actions)).gather) [ "web-01" ];
  roundtrip-last-release = truthy (builtins.any (a: a.type == "invariants" && t.hasInfix "nixfleet-harness-roundtrip g2" a.command) all.actions) "signedRoundtrip audits the last release";
  scan-every-node = eq (map (c: c.node) (builtins.head (builtins.filter (a: a.type == "scan") all.actions)).checks) [ "cp" "db-01" "web-01" ];
  roundtrip-needs-release = throws (h.plan ((import ./fixtures/smoke.nix) // { steps = [ { sleepSecs = 1; } ]; invariants = [ "signedRoundtrip" ]; }));
  enroll-refused-needs-hosts = throws (conditions.check ctx { kind = "enrollRefused"; });
  host-recovered-needs-hosts = throws (conditions.check ctx { kind = "hostRecovered"; });
  replay-needs-hosts = throws (faults.inject ctx { kind = "replayEnrollToken"; });
  # A field the kind would not read fails instead of being ignored.
  condition-unread-field = throws (conditions.check ctx { kind = "cpAlert"; hosts = [ "web-01" ]; });
  fault-unread-field = throws (faults.inject ctx { kind = "killCp"; seconds = 3; });
  fault-unread-false-is-unset = eq (faults.inject ctx { kind = "killCp"; duringActivation = false; hosts = [ ]; }).kind "killCp";
  every-kind-reads = eq (sorted (attrNames conditions.reads)) (sorted conditions.kinds);
  every-fault-reads = eq (sorted (attrNames faults.reads)) (sorted faults.kinds);
  condition-unreleased = throws (conditions.check ctx { kind = "hostCurrent"; generation = "g9"; });
  condition-unknown-host = throws (conditions.check ctx { kind = "hostState"; hosts = [ "db-09" ]; state = "Converged"; });
  condition-needs-state = throws (conditions.check ctx { kind = "hostState"; });
  fault-needs-hosts = throws (faults.inject ctx { kind = "killAgent"; });
  fault-needs-seconds = throws (faults.inject ctx { kind = "skewClock"; });
  fault-kill-stays-down = truthy (t.hasInfix "systemctl stop nixfleet-agent.service" (builtins.head (faults.inject ctx { kind = "killAgent"; hosts = [ "web-01" ]; }).commands).command) "a killed agent must not be restarted by systemd";
  fault-skew-cp = eq (map (x: x.node) (faults.inject ctx { kind = "skewClock"; seconds = 5; }).commands) [ "cp" ];
  fault-during-activation = eq (faults.inject ctx { kind = "restartAgent"; hosts = [ "web-01" ]; duringActivation = true; }).waitFor [ "web-01" ];
  no-invariants = eq (invariants.command ctx [ ]) null;

  # Every scenario the harness ships translates (nodes, options, script),
  # or fails evaluation — checks.sh then requires the "not supported by the
  # microVM runner" message. A value that is neither is a bug here.
  real-scenarios =
    let
      dir = ../../harness/scenarios;
      files = if builtins.pathExists dir then builtins.filter (n: builtins.match ".*[.]nix" n != null) (attrNames (builtins.readDir dir)) else [ ];
      planned = map (
        f:
        let
          r = builtins.tryEval (builtins.deepSeq (h.plan (import (dir + "/${f}"))).testScript true);
        in
        if r.success then "${(import (dir + "/${f}")).name}.nix" else f
      ) files;
    in
    eq planned files;
}
