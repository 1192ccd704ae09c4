# Abort mid-rollout, through the real CLI: the canary converged, the manual
# second wave waits for approval, an admin aborts. Nothing more is
# dispatched (approve and resume are refused: abort is final), the canary
# stays on the new closure, and the next release takes the channel at once.
{
  name = "operator-abort";
  description = "Abort mid-rollout: final, nothing more dispatched, the hosts already updated stay, the next release supersedes it.";
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
    };
    operators.harness.role = "admin";
  };
  generations.good = { };
  generations.next = { };
  steps = [
    { release = "good"; }
    { operator = { action = "resume"; reason = "first start of this control plane"; }; }
    { wait = { kind = "hostState"; hosts = [ "canary-01" ]; state = "Converged"; }; timeoutSecs = 120; }
    { wait = { kind = "decision"; channel = "stable"; code = "AWAITING_APPROVAL"; hosts = [ "web-01" ]; }; timeoutSecs = 60; }
    { operator = { action = "abort"; reason = "bad build"; }; }
    { operator = { action = "abort"; reason = "bad build"; }; }
    { operator = { action = "approve"; reason = "undo"; expectCode = "CP_ERR_ACTION_STATE"; }; }
    { operator = { action = "resume"; reason = "undo"; expectCode = "CP_ERR_ACTION_STATE"; }; }
    { wait = { kind = "decision"; channel = "stable"; code = "OPERATOR_ABORTED"; hosts = [ "web-01" ]; }; timeoutSecs = 60; }
    { sleepSecs = 3; }
    { wait = { kind = "notDispatched"; hosts = [ "web-01" ]; }; }
    { wait = { kind = "hostCurrent"; hosts = [ "canary-01" ]; generation = "good"; }; }
    { release = "next"; }
    { wait = { kind = "hostCurrent"; hosts = [ "canary-01" ]; generation = "next"; }; timeoutSecs = 120; }
    { wait = { kind = "decision"; channel = "stable"; code = "AWAITING_APPROVAL"; hosts = [ "web-01" ]; }; timeoutSecs = 60; }
    { operator = { action = "approve"; reason = "next build is fine"; }; }
    { wait.kind = "hostsConverged"; timeoutSecs = 120; }
  ];
  invariants = [ "wavesInOrder" ];
}
