# Two control-plane replicas on one PostgreSQL database, each at its own URL;
# every agent is given both. The leader is SIGKILLed while the rollout's
# second wave is activating (the canary wave dispatched and converged, the
# web budget's slots in use): the follower takes over, the agents fail over
# to it by themselves, the rollout finishes in wave order without exceeding
# the budget, every event an agent had acknowledged is in the surviving
# event log, and `nixfleet status` works against the new leader.
{
  name = "replicas-failover";
  description = "Two CP replicas on PostgreSQL behind two URLs; the leader is SIGKILLed mid-rollout and the follower finishes it: wave order, budget, acknowledged events and operator reads hold, takeover within 10 s.";
  fast = true;
  replicas = 2;
  fleet = {
    hosts = {
      canary-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "canary" ]; };
      web-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
      web-02 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
      web-03 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
      db-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "db" ]; };
    };
    channels.stable = { rolloutPolicy = "canary"; freshnessWindow = 1440; };
    rolloutPolicies.canary = {
      strategy = "canary";
      waves = [
        { selector.tags = [ "canary" ]; }
        { selector.tags = [ "web" ]; }
        { selector.all = true; }
      ];
    };
    disruptionBudgets = [ { selector.tags = [ "web" ]; maxInFlight = 2; } ];
  };
  # Switches take 3 s so the web wave is observably in flight when the leader dies.
  generations.g1.default.switchSecs = 3;
  steps = [
    { release = "g1"; }
    { wait = { kind = "hostState"; hosts = [ "canary-01" ]; state = "Converged"; }; timeoutSecs = 120; }
    { wait = { kind = "hostState"; hosts = [ "web-01" ]; state = "Activating"; }; timeoutSecs = 60; }
    { fault.kind = "killLeader"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 180; }
  ];
  invariants = [ "wavesInOrder" "budgetsRespected" "leaderTakeover" "ackedEventsLogged" ];
}
