# What `nixfleet demo` plays (a harness scenario, contracts/harness-scenario.nix):
# release a good generation and let the 3-wave canary converge; then release a
# generation whose health probe fails — the canaries roll back on their own
# (the signed manifest says rollback-and-halt), the later waves are never
# dispatched, and the channel quarantines the bad closure.
{
  name = "demo";
  description = "3-wave canary to convergence, then a bad generation: automatic rollback and halt.";
  timing = {
    heartbeatSecs = 1;
    longPollSecs = 2;
    reconcileSecs = 1;
    sustainedFailureSecs = 3;
    probeIntervalSecs = 1;
  };
  fleet = import ./fleet.nix;
  generations = {
    good = { };
    bad.default.probe = "fail";
  };
  steps = [
    { release = "good"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 120; }
    { release = "bad"; }
    { wait = { kind = "hostState"; hosts = [ "canary-01" "canary-02" ]; state = "Reverted"; }; timeoutSecs = 90; }
    { wait = { kind = "rolloutState"; channel = "stable"; state = "Reverted"; }; timeoutSecs = 60; }
    { wait = { kind = "hostCurrent"; generation = "good"; }; timeoutSecs = 30; }
  ];
  invariants = [ "wavesInOrder" "noQuarantinedDispatch" ];
}
