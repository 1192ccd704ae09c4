# Operator control mid-rollout, through the real CLI: the channel's first
# rollout on a fresh database opens paused (no dispatch) until resumed; the
# canary converges; the manual second wave waits for its approval; a pause
# taken then holds the approved wave (nothing dispatched while paused, the
# pause repeated is idempotent); resume lets it finish.
{
  name = "operator-pause-approve";
  description = "Pause mid-rollout (no dispatch while paused, resume continues) and a manual approval gate between two waves, through nixfleet rollout.";
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
  steps = [
    { release = "good"; }
    { wait = { kind = "decision"; channel = "stable"; code = "OPERATOR_PAUSED"; hosts = [ "web-01" ]; }; timeoutSecs = 120; }
    { sleepSecs = 3; }
    { wait = { kind = "notDispatched"; hosts = [ "canary-01" "web-01" ]; }; }
    { operator = { action = "approve"; reason = "not yet"; expectCode = "CP_ERR_APPROVAL_NOT_REQUIRED"; }; }
    { operator = { action = "resume"; reason = "first start of this control plane"; }; }
    { wait = { kind = "hostState"; hosts = [ "canary-01" ]; state = "Converged"; }; timeoutSecs = 120; }
    { wait = { kind = "decision"; channel = "stable"; code = "AWAITING_APPROVAL"; hosts = [ "web-01" ]; }; timeoutSecs = 60; }
    { operator = { action = "pause"; reason = "db migration running"; }; }
    { operator = { action = "pause"; reason = "again"; }; }
    { operator = { action = "approve"; reason = "canary healthy"; }; }
    { wait = { kind = "decision"; channel = "stable"; code = "OPERATOR_PAUSED"; hosts = [ "web-01" ]; }; timeoutSecs = 60; }
    { sleepSecs = 3; }
    { wait = { kind = "notDispatched"; hosts = [ "web-01" ]; }; }
    { operator = { action = "resume"; reason = "migration done"; }; }
    { wait.kind = "hostsConverged"; timeoutSecs = 120; }
  ];
  invariants = [ "wavesInOrder" ];
}
