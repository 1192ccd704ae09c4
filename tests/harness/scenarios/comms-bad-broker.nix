# The comms fleet with a real broker (see comms-good): a change of nats-01's
# configuration turns on NKey authorization with a user's seed pasted where
# its public key belongs. nats-server refuses the file and exits; the
# broker's probe (/healthz?js-enabled-only=true on the monitoring port)
# fails, nats-01 rolls back to the configuration it ran (the switch starts
# the old nats-server again) and the rollout halts before any agent.
let
  c = import ../nix/comms-fleet.nix;
in
{
  name = "comms-bad-broker";
  description = "A broker configuration nats-server refuses: the broker's JetStream health probe fails, nats-01 rolls back (the old nats-server started again), the rollout halts before any agent.";
  inherit (c) fleet;
  generations = {
    g1 = c.generation "r1" { };
    g2 = c.generation "r1" {
      nats-01 = {
        revision = "r2";
        nkeyUsers = [ "SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4" ];
      };
    };
  };
  steps = [
    { release = "g1"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 300; }
    { release = "g2"; }
    { wait = { kind = "hostState"; hosts = [ "nats-01" ]; state = "Reverted"; }; timeoutSecs = 180; }
    { wait = { kind = "hostCurrent"; hosts = [ "nats-01" ]; generation = "g1"; }; timeoutSecs = 60; }
    { wait = { kind = "hostQuarantined"; channel = "comms"; generation = "g2"; }; timeoutSecs = 30; }
    { sleepSecs = 5; }
    { wait = { kind = "rolloutState"; channel = "comms"; state = "Reverted"; }; timeoutSecs = 30; }
    { wait = { kind = "hostCurrent"; hosts = c.agents; generation = "g1"; }; timeoutSecs = 10; }
  ];
  invariants = [ "wavesInOrder" "noQuarantinedDispatch" ];
}
