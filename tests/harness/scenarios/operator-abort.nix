# Abort mid-rollout, through the real CLI. The fleet runs `good`; `next`
# reaches the canary, which converges, and the manual second wave waits for
# approval; an admin aborts. Nothing more is dispatched (approve and resume
# are refused: abort is final). The control plane tells the canary's agent
# in its heartbeat reply that the rollout was aborted, and the agent applies
# the signed onHealthFailure as if its wave had failed: under
# rollback-and-halt it goes back to `good`, the generation it ran before,
# and reports Reverted. The next release takes the channel at once.
{
  name = "operator-abort";
  description = "Abort mid-rollout: final, nothing more dispatched, the converged canary rolls back under rollback-and-halt, the next release supersedes it.";
  fleet = {
    hosts = {
      canary-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "canary" ]; };
      web-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    };
    channels.stable = { rolloutPolicy = "gated"; freshnessWindow = 1440; };
    rolloutPolicies.gated = {
      strategy = "canary";
      waves = [
        { selector.tags = [ "canary" ]; }
        { selector.all = true; approval = "manual"; }
      ];
      onHealthFailure = "rollback-and-halt";
    };
    operators.harness.role = "admin";
  };
  generations.good = { };
  generations.next = { };
  generations.fixed = { };
  steps = [
    { release = "good"; }
    { operator = { action = "resume"; reason = "first start of this control plane"; }; }
    { wait = { kind = "decision"; channel = "stable"; code = "AWAITING_APPROVAL"; hosts = [ "web-01" ]; }; timeoutSecs = 120; }
    { operator = { action = "approve"; reason = "first release"; }; }
    { wait.kind = "hostsConverged"; timeoutSecs = 120; }
    { release = "next"; }
    { wait = { kind = "hostCurrent"; hosts = [ "canary-01" ]; generation = "next"; }; timeoutSecs = 120; }
    { wait = { kind = "hostState"; hosts = [ "canary-01" ]; state = "Converged"; }; timeoutSecs = 120; }
    { wait = { kind = "decision"; channel = "stable"; code = "AWAITING_APPROVAL"; hosts = [ "web-01" ]; }; timeoutSecs = 60; }
    { operator = { action = "abort"; reason = "bad build"; }; }
    { operator = { action = "abort"; reason = "bad build"; }; }
    { operator = { action = "approve"; reason = "undo"; expectCode = "CP_ERR_ACTION_STATE"; }; }
    { operator = { action = "resume"; reason = "undo"; expectCode = "CP_ERR_ACTION_STATE"; }; }
    { wait = { kind = "decision"; channel = "stable"; code = "OPERATOR_ABORTED"; hosts = [ "web-01" ]; }; timeoutSecs = 60; }
    { wait = { kind = "hostState"; hosts = [ "canary-01" ]; state = "Reverted"; }; timeoutSecs = 120; }
    { wait = { kind = "hostCurrent"; hosts = [ "canary-01" "web-01" ]; generation = "good"; }; }
    { release = "fixed"; }
    { wait = { kind = "hostCurrent"; hosts = [ "canary-01" ]; generation = "fixed"; }; timeoutSecs = 120; }
    { wait = { kind = "decision"; channel = "stable"; code = "AWAITING_APPROVAL"; hosts = [ "web-01" ]; }; timeoutSecs = 60; }
    { operator = { action = "approve"; reason = "fixed build is fine"; }; }
    { wait.kind = "hostsConverged"; timeoutSecs = 120; }
  ];
  invariants = [ "wavesInOrder" ];
}
