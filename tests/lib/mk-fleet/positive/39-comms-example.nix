# examples/comms/fleet.nix, builtins only (stand-in configurations): one
# channel, the broker before every agent, waves infra -> 1 -> 3 -> 12, a
# budget of four agents, the broker's JetStream probe, the homeserver's
# client API with its `versions` key, each agent's heartbeat on the broker.
import ../../../../examples/comms/fleet.nix { }
