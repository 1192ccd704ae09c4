# The signed health gate is enforced: a generation that leaves a systemd unit
# failed (the sandbox's failed-units file) breaches
# healthGate.systemdFailedUnits.max = 0 on the canary although every probe
# the closure declares passes. The gate's enforce probe fails, so the wave
# holds, the canary reverts on its own (rollback-and-halt) and web-01 never
# runs the bad generation.
{
  name = "health-gate";
  description = "healthGate.systemdFailedUnits.max = 0 breached on the canary (probes passing): the canary reverts, the next wave is never dispatched.";
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
      healthGate.systemdFailedUnits.max = 0;
      onHealthFailure = "rollback-and-halt";
    };
  };
  generations.good = { };
  generations.bad.default.failedUnits = [ "harness-broken.service" ];
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
