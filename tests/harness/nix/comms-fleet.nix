# The comms-* scenarios' fleet: examples/comms/topology.nix with harness
# intervals (probes every second, no soak), and the hosts' services per
# generation (`comms`, see tests/harness/nix/comms.nix).
#
#   let c = import ../nix/comms-fleet.nix; in c.generation "r2" { agent-01.broker = "…"; }
let
  fleet = import ../../../examples/comms/topology.nix {
    probeIntervalSeconds = 1;
    soakMinutes = [
      0
      0
      0
    ];
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
in
{
  inherit fleet;
  agents = builtins.filter (n: roleOf n == "agent") names;
  /**
    A generation whose every host runs its service at `revision`, with
    per-host overrides of the comms entry.
  */
  generation = revision: overrides: {
    comms = builtins.listToAttrs (
      map (n: {
        name = n;
        value = {
          role = roleOf n;
          inherit revision;
        } // (overrides.${n} or { });
      }) names
    );
  };
}
