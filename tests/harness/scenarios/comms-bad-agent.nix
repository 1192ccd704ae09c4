# The comms fleet with a real broker (see comms-good): a change ships every
# agent a wrong broker URL (nats://127.0.0.1:4222, a developer default: nothing listens there on an agent host). The canary's
# heartbeat never reaches the broker, its enforce probe fails, it rolls back
# to the closure it ran (its publisher restarted with the right URL) and the
# rollout halts: the other 15 agents never change.
let
  c = import ../nix/comms-fleet.nix;
  wrong = builtins.listToAttrs (map (a: { name = a; value.broker = "nats://127.0.0.1:4222"; }) c.agents);
  others = builtins.filter (a: a != "agent-01") c.agents;
in
{
  name = "comms-bad-agent";
  description = "A wrong broker URL for every agent: the canary's heartbeat probe fails, it rolls back, the rollout halts, the other 15 agents never change.";
  inherit (c) fleet;
  generations = {
    g1 = c.generation "r1" { };
    g2 = c.generation "r2" wrong;
  };
  steps = [
    { release = "g1"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 300; }
    { release = "g2"; }
    { wait = { kind = "hostState"; hosts = [ "agent-01" ]; state = "Reverted"; }; timeoutSecs = 180; }
    { wait = { kind = "hostCurrent"; hosts = [ "agent-01" ]; generation = "g1"; }; timeoutSecs = 60; }
    { wait = { kind = "hostQuarantined"; channel = "comms"; generation = "g2"; }; timeoutSecs = 30; }
    { sleepSecs = 5; }
    { wait = { kind = "rolloutState"; channel = "comms"; state = "Reverted"; }; timeoutSecs = 30; }
    { wait = { kind = "hostCurrent"; hosts = others; generation = "g1"; }; timeoutSecs = 10; }
  ];
  invariants = [ "wavesInOrder" "noQuarantinedDispatch" "budgetsRespected" ];
}
