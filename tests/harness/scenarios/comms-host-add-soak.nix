# comms-host-add with a real soak on the canary and early waves (one minute
# each; examples/comms ships thirty). The first release soaks both in full.
# The second, which only adds agent-17, changes no other host's closure:
# every wave before agent-17's is unchanged since the rollout it supersedes,
# so its hosts are dispatched their own closure without the soak
# (DISPATCHED_UNCHANGED, docs/rollouts.md), checked again by their enforce
# probes, and agent-17 still converges within 60 s. Without the waiver the
# two soaks alone (2 min) exceed the budget and hostAddWithin fails.
let
  c = import ../nix/comms-fleet.nix;
in
{
  name = "comms-host-add-soak";
  description = "comms-host-add with one-minute soaks on the canary and early waves: the release that only adds agent-17 waives the soak of the unchanged waves before it, and agent-17 is enrolled, converged, shown by nixfleet status and heartbeating on the real broker within 60 s.";
  fleet = c.fleetWithSoak [
    1
    1
    0
  ];
  timing = {
    shipped = true;
    probeIntervalSecs = 10;
  };
  generations.g1 = c.generationWith [ "agent-17" ] "r1" { };
  steps = [
    { release = "g1"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 900; }
    {
      hostAdd = {
        host = "agent-17";
        tags = [
          "agent"
          "main"
        ];
        channel = "comms";
        release = "g1";
        heartbeatSubject = "fleet.heartbeat.agent-17";
        withinSecs = 60;
      };
      timeoutSecs = 300;
    }
  ];
  invariants = [ "hostAddWithin" ];
}
