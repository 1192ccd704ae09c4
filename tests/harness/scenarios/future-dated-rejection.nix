# An artifact dated in the future beyond the clock-skew slack (60 s) is
# refused. web-02's clock runs 10 minutes behind (skewClock: libfaketime on a
# restarted agent), so the release CI signs now is 10 minutes in web-02's
# future: web-02 refuses it (DispatchReject Stale, TRUST_ERR_FUTURE_DATED) and
# keeps its generation, while web-01 with a correct clock converges.
{
  name = "future-dated-rejection";
  description = "An agent whose clock is 10 min behind refuses a just-signed target as future-dated beyond the 60 s slack and keeps its generation; a correct host converges.";
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
    { fault = { kind = "skewClock"; hosts = [ "web-02" ]; seconds = -600; }; }
    { release = "g2"; }
    { wait = { kind = "agentRejected"; hosts = [ "web-02" ]; code = "TRUST_ERR_FUTURE_DATED"; }; timeoutSecs = 60; }
    { wait = { kind = "hostCurrent"; hosts = [ "web-01" ]; generation = "g2"; }; timeoutSecs = 60; }
    { wait = { kind = "hostCurrent"; hosts = [ "web-02" ]; generation = "g1"; }; }
  ];
}
