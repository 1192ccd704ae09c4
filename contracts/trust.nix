# Contract: the trust roots (book §10.3, Boundary contracts §II). Declared in
# the flake, rendered to trust.json by modules/scopes/nixfleet/_trust-json.nix.
# The per-host SSH key, the fourth root, is intrinsic to each host.
{ lib, ... }:
let
  inherit (lib) mkOption types;
  t = import ./_types.nix { inherit lib; };
  slot = t.keySlot { withDefaults = true; };
in
{
  options.nixfleet.trust = {
    ciReleaseKey = mkOption {
      type = slot;
      default = { };
      description = "CI release key slot (ed25519 or ecdsa-p256): verifies fleet.resolved, rollout manifests and sidecars.";
      example = {
        current = {
          algorithm = "ecdsa-p256";
          public = "base64 of X||Y";
        };
      };
    };
    cacheKeys = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "Binary-cache public keys, forwarded verbatim to nix.settings.trusted-public-keys.";
      example = [ "cache.example.com-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=" ];
    };
    orgRootKey = mkOption {
      type = types.nullOr slot;
      default = null;
      description = "Org root key slot (ed25519 only): verifies bootstrap tokens. Its private half never reaches the control plane.";
      example = {
        current = {
          algorithm = "ed25519";
          public = "Vh0bFq3cBzbXzkl1tLhdM5Y8IuZqTOLQ6jyMeYRvvEY=";
        };
      };
    };
  };
}
