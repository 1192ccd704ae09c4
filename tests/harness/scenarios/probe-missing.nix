# A probe the signed manifest declares is missing from the closure the
# canary runs (its health-checks.json gone while it soaks). The agent must
# not read that as "no probes": it reports the reserved enforce probe
# nixfleet-probe-set failing with AGENT_ERR_PROBES_MISMATCH, the CP sees the
# failure, the canary rolls back under rollback-and-halt, and the next wave
# is never dispatched. (`nixfleet release` refuses a closure built without
# the file outright: tests/release/release-probes.test.ts.)
{
  name = "probe-missing";
  description = "A declared probe missing from the closure a canary runs: typed enforce failure (AGENT_ERR_PROBES_MISMATCH) seen by the CP, canary reverted, wave 1 never dispatched.";
  fast = false;
  fleet = {
    hosts = {
      canary-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "canary" ]; };
      web-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    };
    channels.stable = { rolloutPolicy = "canary"; freshnessWindow = 1440; };
    rolloutPolicies.canary = {
      strategy = "canary";
      # A soak long enough that the canary is still soaking when its probe
      # file disappears: promotion can only come from a passing canary.
      waves = [ { selector.tags = [ "canary" ]; soakMinutes = 1; } { selector.all = true; } ];
      onHealthFailure = "rollback-and-halt";
    };
  };
  generations.good = { };
  generations.next = { };
  steps = [
    { release = "good"; }
    { wait = { kind = "hostsConverged"; }; timeoutSecs = 300; }
    { release = "next"; }
    { wait = { kind = "hostState"; hosts = [ "canary-01" ]; state = "Soaking"; }; timeoutSecs = 120; }
    { fault = { kind = "removeProbeFile"; hosts = [ "canary-01" ]; }; }
    { wait = { kind = "probeFailed"; hosts = [ "canary-01" ]; code = "AGENT_ERR_PROBES_MISMATCH"; }; timeoutSecs = 60; }
    { wait = { kind = "hostState"; hosts = [ "canary-01" ]; state = "Reverted"; }; timeoutSecs = 120; }
    { wait = { kind = "hostCurrent"; hosts = [ "canary-01" "web-01" ]; generation = "good"; }; }
    { wait = { kind = "rolloutState"; channel = "stable"; state = "Reverted"; }; timeoutSecs = 60; }
    { sleepSecs = 5; }
    { wait = { kind = "hostCurrent"; hosts = [ "web-01" ]; generation = "good"; }; }
  ];
  invariants = [ "wavesInOrder" "noQuarantinedDispatch" ];
}
