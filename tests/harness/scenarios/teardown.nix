# Wipe the CP database mid-rollout: within a reconcile cycle the CP rebuilds
# full visibility from the signed artifacts, heartbeats and replays, and the
# rollout completes without operator action.
{
  name = "teardown";
  description = "Wiping the CP database mid-rollout: visibility returns from signed artifacts and agent replays; the rollout completes.";
  fleet = {
    hosts = {
      canary-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "canary" ]; };
      web-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
      web-02 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    };
    channels.stable = { rolloutPolicy = "canary"; freshnessWindow = 1440; };
    rolloutPolicies.canary = {
      strategy = "canary";
      waves = [ { selector.tags = [ "canary" ]; } { selector.all = true; } ];
    };
  };
  generations.g1 = { };
  generations.g2 = { };
  steps = [
    { release = "g1"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 120; }
    { release = "g2"; }
    # Mid-rollout: the canary runs g2 and has converged on it (a Converged
    # state alone is still the g1 rollout's right after the release).
    { wait = { kind = "hostCurrent"; hosts = [ "canary-01" ]; generation = "g2"; }; timeoutSecs = 120; }
    { wait = { kind = "hostState"; hosts = [ "canary-01" ]; state = "Converged"; }; timeoutSecs = 120; }
    { fault.kind = "wipeCpDb"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 120; }
    { wait = { kind = "hostCurrent"; generation = "g2"; }; }
  ];
  invariants = [ "wavesInOrder" ];
}
