# Shared trust.json serialiser (book §10.5): turns the nixfleet.trust roots
# into the value the agent and the control plane write to
# /etc/nixfleet/{agent,cp}/trust.json, as a derived read-only option next to
# the contract (disko habit). Imported by _agent.nix and _control-plane.nix.
# The rendering itself is lib/render/trust-json.nix (tested without nixpkgs).
# Never handles private keys: trust.json carries public keys only.
{ config, lib, ... }:
let
  inherit (lib) literalMD mkOption types;
  trustJson = import ../../../lib/render/trust-json.nix;
in
{
  imports = [ ../../../contracts/trust.nix ];

  options.nixfleet.trustJson = mkOption {
    type = types.attrsOf types.anything;
    readOnly = true;
    internal = true;
    default = trustJson.render config.nixfleet.trust;
    defaultText = literalMD "`config.nixfleet.trust` rendered by lib/render/trust-json.nix";
    description = "The trust.json value (schemaVersion 1, every key-slot field present) the agent and control-plane modules write to /etc/nixfleet/{agent,cp}/trust.json.";
    example = {
      schemaVersion = 1;
      ciReleaseKey = {
        current = {
          algorithm = "ed25519";
          public = "Vh0bFq3cBzbXzkl1tLhdM5Y8IuZqTOLQ6jyMeYRvvEY=";
        };
        previous = null;
        rejectBefore = null;
        successor = null;
        retireAt = null;
      };
      cacheKeys = [ ];
      orgRootKey = null;
    };
  };

  config.assertions = map (message: {
    assertion = false;
    inherit message;
  }) (trustJson.problems config.nixfleet.trust);
}
