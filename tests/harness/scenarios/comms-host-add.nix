# A new host in under a minute, in the comms fleet with its real broker
# (docs/harness.md, "The comms fleet"; docs/operators.md, `nixfleet host
# add`). The control plane and every agent run at their shipped default
# timings (artifact poll, reconcile, enrollment retries, long-poll,
# heartbeat), the probes at the example's own 10 s. Once the 18 hosts
# converge on g1, step hostAdd runs the real `nixfleet host add agent-17
# --tags agent,main --channel comms` (its hosts.json entry, SSH host key,
# token and nonce), boots agent-17 with that key and token while g1 is
# released again with the new host (the fleet reads hosts.json and the
# nonces file; no other host's closure changes), and measures until `nixfleet status` shows agent-17
# Converged on its closure and a NATS subscription on nats-01 has seen a
# message on fleet.heartbeat.agent-17. The run prints the figure and its
# parts; hostAddWithin fails above 60 s.
let
  c = import ../nix/comms-fleet.nix;
in
{
  name = "comms-host-add";
  description = "The comms fleet at the shipped default timings: nixfleet host add agent-17, a release, agent-17 enrolled, converged, shown by nixfleet status and heartbeating on the real broker within 60 s (the figure and its parts printed).";
  fleet = c.fleetWithExampleProbes;
  timing = {
    shipped = true;
    probeIntervalSecs = 10;
  };
  # agent-17's service is declared from the start; it is built once the
  # fleet has the host. Releasing g1 again after the add changes no other
  # host's closure: only agent-17's is new.
  generations.g1 = c.generationWith [ "agent-17" ] "r1" { };
  steps = [
    { release = "g1"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 600; }
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
      timeoutSecs = 240;
    }
  ];
  invariants = [ "hostAddWithin" ];
}
