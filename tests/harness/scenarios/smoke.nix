# One CP, two agents: both converge on the first release.
{
  name = "smoke";
  description = "One control plane and two agents converge on the first signed release.";
  fast = true;
  fleet = {
    hosts.web-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    hosts.web-02 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    channels.stable = { rolloutPolicy = "all-at-once"; freshnessWindow = 1440; };
    rolloutPolicies.all-at-once.strategy = "all-at-once";
  };
  generations.g1 = { };
  steps = [
    { release = "g1"; }
    { wait = { kind = "hostsConverged"; }; timeoutSecs = 90; }
    { wait = { kind = "hostCurrent"; generation = "g1"; }; }
  ];
}
