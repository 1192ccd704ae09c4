# Three waves with soak: wave N+1 is never dispatched before wave N converged
# and soaked.
{
  name = "canary-waves";
  description = "A 3-wave canary respects soak; no host of wave N+1 is dispatched before wave N converged.";
  fleet = {
    hosts = {
      canary-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "canary" ]; };
      web-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
      web-02 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
      db-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "db" ]; };
    };
    channels.stable = { rolloutPolicy = "canary"; freshnessWindow = 1440; };
    rolloutPolicies.canary = {
      strategy = "canary";
      waves = [
        { selector.tags = [ "canary" ]; soakMinutes = 1; }
        { selector.tags = [ "web" ]; soakMinutes = 1; }
        { selector.all = true; }
      ];
    };
  };
  generations.g1 = { };
  steps = [
    { release = "g1"; }
    { wait = { kind = "hostsConverged"; }; timeoutSecs = 300; }
  ];
  invariants = [ "wavesInOrder" ];
}
