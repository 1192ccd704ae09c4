# The comms fleet of seed 001 as a fleet author writes it: nats-01 (the bus,
# nats-server with JetStream), matrix-01 (the homeserver) and agent-01…16,
# one channel, the broker before every agent (host edges), the agents as a
# canary 1 -> 3 -> 12 under rollback-and-halt, at most four agents in
# flight. Shape and probes: topology.nix; service settings: settings.nix.
#
# Two ways to evaluate it:
#   - builtins only (this repository, CI, `nixfleet release`): every host's
#     configuration is a stand-in toplevel carrying its rendered service
#     configuration and its probe set, so the fleet resolves and releases
#     without nixpkgs;
#   - with `mkHost` (a flake with nixpkgs, nixfleet's lib.mkHost): each host
#     is built by mkHost from the NixOS modules of nixos.nix (services.nats,
#     services.matrix-conduit, the agents' heartbeat unit). Evaluated only
#     where nixpkgs exists.
#
#   nix-instantiate --eval --strict --json examples/comms/fleet.nix -A resolved.waves.comms
#   nix-instantiate --eval --strict --json examples/comms/fleet.nix -A healthChecks.nats-01
#
# Arguments (all defaulted; the release passes only the library):
#   mkHost    nixfleet's lib.mkHost (needs nixpkgs), or null for stand-ins
#   broker    the URL agents publish their heartbeats to
#   revision  rendered into every service's configuration
{
  mkFleetWith ? (import ../../lib).mkFleetWith,
  mkHost ? null,
  broker ? "nats://nats-01.comms.internal:4222",
  revision ? "r1",
  ...
}:
let
  settings = import ./settings.nix;
  modules = import ./nixos.nix;
  topology = import ./topology.nix { };

  role =
    name:
    if name == "nats-01" then
      "nats"
    else if name == "matrix-01" then
      "matrix"
    else
      "agent";
  args = name: {
    host = name;
    inherit broker revision;
  };

  # What each host's service reads, rendered by settings.nix: the stand-in
  # carries it so the closure changes exactly when the configuration does.
  rendered =
    name:
    {
      nats = settings.nats {
        inherit revision;
        serverName = name;
      };
      matrix = builtins.toJSON settings.matrixVersions;
      agent = settings.heartbeat (args name);
    }
    .${role name};

  stand-in = name: healthChecks: {
    config.system.build.toplevel = builtins.derivation {
      name = "nixos-system-${name}";
      system = builtins.currentSystem;
      builder = "/bin/sh";
      PATH = "/bin:/usr/bin";
      service = rendered name;
      checks = builtins.toJSON healthChecks;
      args = [
        "-c"
        ''
          mkdir -p $out/bin $out/etc/nixfleet/agent $out/etc/comms
          printf '#!/bin/sh\nexit 0\n' > $out/bin/switch-to-configuration
          chmod +x $out/bin/switch-to-configuration
          printf '%s' "$checks" > $out/etc/nixfleet/agent/health-checks.json
          printf '%s' "$service" > $out/etc/comms/${role name}.conf
        ''
      ];
    };
  };

  fleet = mkFleetWith { inherit mkHost; } (
    topology
    // {
      hosts = builtins.mapAttrs (
        name: h:
        h
        // (
          if mkHost == null then
            { configuration = stand-in name fleet.healthChecks.${name}; }
          else
            {
              nixosArgs = {
                stateVersion = "24.11";
                modules = [ (modules.${role name} (args name)) ];
              };
            }
        )
      ) topology.hosts;
    }
  );
in
fleet
