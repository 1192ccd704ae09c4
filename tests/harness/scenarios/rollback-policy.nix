# A probe fails in wave 0 under rollback-and-halt: the canary reverts on its
# own, later waves are never dispatched, the channel quarantines the closure.
{
  name = "rollback-policy";
  description = "Probe failure in wave 0 under rollback-and-halt: agents revert, later waves never dispatched, closure quarantined.";
  fast = true;
  fleet = {
    hosts = {
      canary-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "canary" ]; };
      web-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    };
    channels.stable = { rolloutPolicy = "canary"; freshnessWindow = 1440; };
    rolloutPolicies.canary = {
      strategy = "canary";
      waves = [ { selector.tags = [ "canary" ]; } { selector.all = true; } ];
      onHealthFailure = "rollback-and-halt";
    };
  };
  generations.good = { };
  generations.bad.default.probe = "fail";
  steps = [
    { release = "good"; }
    { wait = { kind = "hostsConverged"; }; timeoutSecs = 120; }
    { release = "bad"; }
    { wait = { kind = "hostState"; hosts = [ "canary-01" ]; state = "Reverted"; }; timeoutSecs = 120; }
    { wait = { kind = "hostCurrent"; hosts = [ "canary-01" "web-01" ]; generation = "good"; }; }
    { wait = { kind = "hostQuarantined"; channel = "stable"; generation = "bad"; }; }
    { sleepSecs = 5; }
    { wait = { kind = "rolloutState"; channel = "stable"; state = "Reverted"; }; }
  ];
  invariants = [ "wavesInOrder" "noQuarantinedDispatch" ];
}
