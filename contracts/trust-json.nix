# Contract: /etc/nixfleet/{agent,cp}/trust.json (Boundary contracts §II,
# CONTRACTS.md), rendered from the `trust` NixOS contract by _trust-json.nix.
# Binaries refuse to start on an unknown schemaVersion.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
  slot = t.keySlot { withDefaults = false; };
in
open
// {
  options = {
    schemaVersion = opt (types.enum [ 1 ]) "Version of the trust file." 1 { };
    ciReleaseKey = opt slot "CI release key slot: verifies fleet.resolved, rollout manifests and sidecars." { } { };
    cacheKeys = opt (types.listOf types.str) "Binary-cache public keys (`name:base64`), forwarded verbatim to Nix's trusted-public-keys." [ "cache.example.com-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=" ] { };
    orgRootKey = opt (types.nullOr slot) "Org root key slot (ed25519): verifies bootstrap tokens." null { };
  };
}
