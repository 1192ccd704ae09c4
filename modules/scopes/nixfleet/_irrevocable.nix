# nixfleet.irrevocable: values a host's configuration declares must never
# change once released (a Matrix server_name, a cluster id, a filesystem
# UUID). mkFleet reads them from each host's configuration, next to the ones
# fleet.nix declares, and the release signs them (docs/fleet-authors.md,
# "Values that must never change"). Declaration only: nothing is rendered.
{ lib, ... }:
{
  options.nixfleet.irrevocable = (import ../../../contracts/_irrevocable.nix { inherit lib; }).declOpt "host configuration";
}
