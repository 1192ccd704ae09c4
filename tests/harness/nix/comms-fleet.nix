# The comms-* scenarios' fleet: examples/comms/topology.nix with harness
# intervals (probes every second, no soak), and the hosts' services per
# generation (`comms`, see tests/harness/nix/comms.nix).
#
#   let c = import ../nix/comms-fleet.nix; in c.generation "r2" { agent-01.broker = "…"; }
let
  topology = import ../../../examples/comms/topology.nix;
  noSoak = [
    0
    0
    0
  ];
  fleet = topology {
    probeIntervalSeconds = 1;
    soakMinutes = noSoak;
  };
  roleOf =
    name:
    if name == "nats-01" then
      "nats"
    else if name == "matrix-01" then
      "matrix"
    else
      "agent";
  names = builtins.attrNames fleet.hosts;
  entries =
    hosts: revision: overrides:
    builtins.listToAttrs (
      map (n: {
        name = n;
        value = {
          role = roleOf n;
          inherit revision;
        } // (overrides.${n} or { });
      }) hosts
    );
in
{
  inherit fleet;
  /** The fleet with the example's own probe interval (10 s) and no soak. */
  fleetWithExampleProbes = topology { soakMinutes = noSoak; };
  /** The same with soaks on the agent tier's waves: [ canary three rest ], in minutes. */
  fleetWithSoak = soakMinutes: topology { inherit soakMinutes; };
  agents = builtins.filter (n: roleOf n == "agent") names;
  /**
    A generation whose every host runs its service at `revision`, with
    per-host overrides of the comms entry.
  */
  generation = revision: overrides: { comms = entries names revision overrides; };
  /**
    The same, with the services of hosts the fleet does not declare: hosts
    `nixfleet host add` adds before the generation is released.
  */
  generationWith =
    added: revision: overrides:
    {
      comms = entries (names ++ added) revision overrides;
    };
}
