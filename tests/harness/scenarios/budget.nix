# One disruption budget (maxInFlight 1) over the web hosts of two channels:
# the two channels' rollouts run at the same time, yet no two web hosts are
# ever in flight (Activating or Soaking) together. Switches take 2 s so every
# host is observably in flight.
{
  name = "budget";
  description = "A disruption budget of maxInFlight 1 spanning two channels is never exceeded while both channels roll out.";
  fleet = {
    hosts = {
      web-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
      web-02 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
      web-03 = { system = "x86_64-linux"; channel = "edge"; tags = [ "web" ]; };
      web-04 = { system = "x86_64-linux"; channel = "edge"; tags = [ "web" ]; };
    };
    channels.stable = { rolloutPolicy = "all-at-once"; freshnessWindow = 1440; };
    channels.edge = { rolloutPolicy = "all-at-once"; freshnessWindow = 1440; };
    rolloutPolicies.all-at-once.strategy = "all-at-once";
    disruptionBudgets = [ { selector.tags = [ "web" ]; maxInFlight = 1; } ];
  };
  generations.g1.default.switch = "slow";
  steps = [
    { release = "g1"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 180; }
  ];
  invariants = [ "budgetsRespected" ];
}
