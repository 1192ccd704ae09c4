# A partitioned host does not block its wave; when its network returns it
# converges to the current target.
{
  name = "offline-host";
  description = "A partitioned host does not block its wave and converges to the current target when it returns.";
  fleet = {
    hosts = {
      web-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
      web-02 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
      web-03 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    };
    channels.stable = { rolloutPolicy = "all-at-once"; freshnessWindow = 1440; };
    rolloutPolicies.all-at-once.strategy = "all-at-once";
  };
  generations.g1 = { };
  generations.g2 = { };
  steps = [
    { release = "g1"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 120; }
    { fault = { kind = "cutNetwork"; hosts = [ "web-03" ]; }; }
    { sleepSecs = 5; }
    { release = "g2"; }
    { wait = { kind = "hostCurrent"; hosts = [ "web-01" "web-02" ]; generation = "g2"; }; timeoutSecs = 120; }
    { wait = { kind = "hostCurrent"; hosts = [ "web-03" ]; generation = "g1"; }; }
    { fault = { kind = "restoreNetwork"; hosts = [ "web-03" ]; }; }
    { wait = { kind = "hostCurrent"; generation = "g2"; }; timeoutSecs = 120; }
  ];
}
