# A bootstrap token is single-use: presented a second time (a fresh CSR on
# the host's own key, after the host enrolled with it) the CP answers 409 and
# issues nothing; the legitimate host keeps working.
{
  name = "enroll-replay";
  description = "A second use of a host's bootstrap token is refused with 409 and issues nothing; the legitimate host keeps converging.";
  fast = true;
  fleet = {
    hosts.web-01 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    hosts.web-02 = { system = "x86_64-linux"; channel = "stable"; tags = [ "web" ]; };
    channels.stable = { rolloutPolicy = "all-at-once"; freshnessWindow = 1440; };
    rolloutPolicies.all-at-once.strategy = "all-at-once";
  };
  generations.g1 = { };
  generations.g2 = { };
  steps = [
    { release = "g1"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 90; }
    { fault = { kind = "replayEnrollToken"; hosts = [ "web-01" ]; }; }
    { wait = { kind = "enrollRefused"; hosts = [ "web-01" ]; }; timeoutSecs = 10; }
    # The legitimate host still works with the certificate it enrolled for.
    { release = "g2"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 90; }
    { wait = { kind = "hostCurrent"; generation = "g2"; }; }
    # Nothing was issued for the replay in the meantime either.
    { wait = { kind = "enrollRefused"; hosts = [ "web-01" ]; }; timeoutSecs = 5; }
  ];
}
