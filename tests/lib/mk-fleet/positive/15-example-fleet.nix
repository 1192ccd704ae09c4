# examples/fleet.nix (the documented comms fleet) must keep evaluating, and
# its output is pinned here: NATS + Matrix on channel infra, 16 agents on
# channel agents (canary, non-critical, rest), channelEdges infra -> agents.
{ mkFleet, ... }: import ../../../../examples/fleet.nix { inherit mkFleet; }
