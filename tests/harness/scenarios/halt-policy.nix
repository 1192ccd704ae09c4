# Probe failure in wave 0 under `halt`: the canary stays Failed on the bad
# closure (no rollback), later waves are never dispatched.
{
  name = "halt-policy";
  description = "Probe failure in wave 0 under halt: the canary stays Failed on the new closure, later waves never dispatched.";
  fleet = {
    hosts = {
      canary-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "canary" ]; };
      web-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    };
    channels.stable = { rolloutPolicy = "canary"; freshnessWindow = 1440; };
    rolloutPolicies.canary = {
      strategy = "canary";
      waves = [ { selector.tags = [ "canary" ]; } { selector.all = true; } ];
      onHealthFailure = "halt";
    };
  };
  generations.good = { };
  generations.bad.default.probe = "fail";
  steps = [
    { release = "good"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 120; }
    { release = "bad"; }
    { wait = { kind = "hostState"; hosts = [ "canary-01" ]; state = "Failed"; }; timeoutSecs = 120; }
    { wait = { kind = "hostCurrent"; hosts = [ "canary-01" ]; generation = "bad"; }; }
    { wait = { kind = "hostCurrent"; hosts = [ "web-01" ]; generation = "good"; }; }
    { sleepSecs = 5; }
    { wait = { kind = "hostState"; hosts = [ "canary-01" ]; state = "Failed"; }; }
    { wait = { kind = "hostCurrent"; hosts = [ "web-01" ]; generation = "good"; }; }
  ];
  invariants = [ "wavesInOrder" "noQuarantinedDispatch" ];
}
