# Clear a Reverted rollout, through the real CLI, then release again. The
# canaries fail their probe under rollback-and-halt and revert; both
# channels hold. An operator without the right to clear is refused by role;
# `edge`, whose signed policy says operatorClear = false, is refused by
# policy; the admin clears `stable`. The cleared wave never passes its gate
# (web-01 is never dispatched the bad closure), the next release takes both
# channels at once and converges everywhere, and the quarantined closure is
# never dispatched again.
{
  name = "operator-clear";
  description = "Clear a Reverted rollout: refused by role and by signed policy, allowed to the admin; the next release takes the channel and converges; the quarantined closure is never dispatched again.";
  fleet = {
    hosts = {
      canary-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "canary" ]; };
      web-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
      edge-01 = { system = "x86_64-linux"; channel = "edge"; tags = [ "edge" ]; };
    };
    channels.stable = { rolloutPolicy = "clearable"; freshnessWindow = 1440; };
    channels.edge = { rolloutPolicy = "sealed"; freshnessWindow = 1440; };
    rolloutPolicies.clearable = {
      strategy = "canary";
      waves = [ { selector.tags = [ "canary" ]; } { selector.all = true; } ];
      onHealthFailure = "rollback-and-halt";
      operatorClear = true;
    };
    rolloutPolicies.sealed = {
      strategy = "canary";
      waves = [ { selector.all = true; } ];
      onHealthFailure = "rollback-and-halt";
      operatorClear = false;
    };
    operators.harness.role = "admin";
    operators.vic.role = "operator";
  };
  generations.good = { };
  generations.bad.default.probe = "fail";
  generations.next = { };
  steps = [
    { release = "good"; }
    { operator = { action = "resume"; reason = "first start of this control plane"; }; }
    { operator = { action = "resume"; channel = "edge"; reason = "first start of this control plane"; }; }
    { wait = { kind = "hostsConverged"; }; timeoutSecs = 120; }
    { release = "bad"; }
    { wait = { kind = "hostState"; hosts = [ "canary-01" "edge-01" ]; state = "Reverted"; }; timeoutSecs = 120; }
    { wait = { kind = "hostQuarantined"; channel = "stable"; generation = "bad"; }; }
    { wait = { kind = "rolloutState"; channel = "stable"; state = "Reverted"; }; timeoutSecs = 60; }
    { wait = { kind = "rolloutState"; channel = "edge"; state = "Reverted"; }; timeoutSecs = 60; }
    { operator = { action = "clear"; as = "vic"; reason = "probe was misconfigured"; expectCode = "CP_ERR_ROLE_FORBIDDEN"; }; }
    { operator = { action = "clear"; channel = "edge"; reason = "probe was misconfigured"; expectCode = "CP_ERR_CLEAR_NOT_ALLOWED"; }; }
    { operator = { action = "clear"; reason = "probe was misconfigured"; }; }
    { wait = { kind = "rolloutState"; channel = "stable"; state = "Converging"; }; timeoutSecs = 60; }
    { wait = { kind = "rolloutState"; channel = "edge"; state = "Reverted"; }; }
    { sleepSecs = 3; }
    { wait = { kind = "hostCurrent"; hosts = [ "canary-01" "web-01" "edge-01" ]; generation = "good"; }; }
    { release = "next"; }
    { wait = { kind = "hostsConverged"; }; timeoutSecs = 180; }
    { wait = { kind = "hostCurrent"; hosts = [ "canary-01" "web-01" "edge-01" ]; generation = "next"; }; }
  ];
  invariants = [ "wavesInOrder" "noQuarantinedDispatch" ];
}
