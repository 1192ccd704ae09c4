# No promotion without evidence: of the two canaries, canary-02 never enrolls
# (its agent is not started). canary-01 converges with its enforce probe
# passing, yet wave 0 holds: the signed policy waits indefinitely for a
# never-seen member (waitForNeverSeenMinutes defaults to null), the trace
# names canary-02, and no web host is dispatched. When canary-02 finally
# starts, enrolls and soaks, wave 1 goes out and the whole fleet converges,
# in wave order.
{
  name = "never-enrolled-canary";
  description = "A canary that never enrolls holds its wave (named in the hold reason); the next wave goes out only once it enrolled and soaked.";
  fleet = {
    hosts = {
      canary-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "canary" ]; };
      canary-02 = { system = "x86_64-linux"; channel = "stable"; tags = [ "canary" ]; };
      web-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
      web-02 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    };
    channels.stable = { rolloutPolicy = "canary"; freshnessWindow = 1440; };
    rolloutPolicies.canary = {
      strategy = "canary";
      waves = [ { selector.tags = [ "canary" ]; } { selector.all = true; } ];
    };
  };
  notStarted = [ "canary-02" ];
  generations.g1 = { };
  steps = [
    { release = "g1"; }
    # The rest of the wave really ran: the enrolled canary soaked.
    { wait = { kind = "hostsConverged"; hosts = [ "canary-01" ]; }; timeoutSecs = 120; }
    {
      wait = { kind = "decision"; channel = "stable"; code = "WAVE_AWAITING_NEVER_SEEN"; hosts = [ "canary-02" ]; };
      timeoutSecs = 30;
    }
    # Several reconcile ticks with the web hosts online and the canary soaked.
    { sleepSecs = 5; }
    { wait = { kind = "notDispatched"; hosts = [ "web-01" "web-02" ]; }; timeoutSecs = 1; }
    {
      wait = { kind = "decision"; channel = "stable"; code = "WAVE_AWAITING_NEVER_SEEN"; hosts = [ "canary-02" ]; };
      timeoutSecs = 5;
    }
    { fault = { kind = "startAgent"; hosts = [ "canary-02" ]; }; }
    { wait.kind = "hostsConverged"; timeoutSecs = 180; }
  ];
  invariants = [ "wavesInOrder" ];
}
