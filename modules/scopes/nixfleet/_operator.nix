# nixfleet.operator: workstation tools (book §10.5). Installs the `nixfleet`
# CLI (release, verify, status, rollout, mint-token, …) and, optionally,
# points it at the org root key for minting bootstrap tokens. Never copies
# the key: only its path reaches the environment, and the control plane never
# needs it (it verifies tokens with nixfleet.trust.orgRootKey).
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib)
    literalExpression
    mkEnableOption
    mkIf
    mkMerge
    mkOption
    types
    ;
  cfg = config.nixfleet.operator;
  common = import ../../../lib/render/common.nix;
in
{
  options.nixfleet.operator = {
    enable = mkEnableOption "the NixFleet operator tools (the nixfleet CLI) on this workstation";

    package = mkOption {
      type = types.package;
      default = (import ../../../nix/packages { inherit pkgs; }).nixfleet;
      defaultText = literalExpression "nixfleet.packages.\${pkgs.stdenv.hostPlatform.system}.nixfleet";
      description = "Package providing bin/nixfleet.";
      example = literalExpression "nixfleet.packages.x86_64-linux.nixfleet";
    };

    orgRootKeyFile = mkOption {
      type = types.nullOr (types.strMatching "/.*");
      default = null;
      description = "Org root private key (ed25519) for `nixfleet mint-token`, exported as NIXFLEET_OPERATOR_ORG_ROOT_KEY. Encrypt it to operators only; the control plane must never be a recipient.";
      example = "/run/agenix/org-root-key";
    };
  };

  config = mkIf cfg.enable (mkMerge [
    {
      assertions = common.secretsOutsideStore {
        "nixfleet.operator.orgRootKeyFile" = cfg.orgRootKeyFile;
      };
      environment.systemPackages = [ cfg.package ];
    }
    (mkIf (cfg.orgRootKeyFile != null) {
      environment.variables.NIXFLEET_OPERATOR_ORG_ROOT_KEY = cfg.orgRootKeyFile;
    })
  ]);
}
