# The comms fleet of examples/comms with a real broker: nats-01 runs Debian's
# nats-server with JetStream from the configuration file in its closure;
# agent-01…16 publish fleet.heartbeat.<host> with the nats client library,
# and each agent's enforce probe is its heartbeat confirmed by the broker;
# matrix-01 serves /_matrix/client/versions from a stand-in (no Matrix
# homeserver is installable on the harness's machines). A change of every
# host's configuration (r1 → r2) restarts each service at its switch and
# reaches all 18 hosts in order: the broker first, the canary, three, then
# twelve at most four at a time.
let
  c = import ../nix/comms-fleet.nix;
in
{
  name = "comms-good";
  description = "The comms fleet (real nats-server, 16 NATS heartbeat clients, a Matrix stand-in): a change of all 18 hosts goes out broker first, canary 1 -> 3 -> 12, at most 4 agents in flight.";
  inherit (c) fleet;
  generations = {
    g1 = c.generation "r1" { };
    g2 = c.generation "r2" { };
  };
  steps = [
    { release = "g1"; }
    { wait.kind = "hostsConverged"; timeoutSecs = 300; }
    { release = "g2"; }
    { wait = { kind = "hostCurrent"; generation = "g2"; }; timeoutSecs = 300; }
    { wait.kind = "hostsConverged"; timeoutSecs = 120; }
  ];
  invariants = [ "wavesInOrder" "budgetsRespected" ];
}
