# Key-slot impl (book §10.4, flake.scopes.keyslots.tpm): a CI release key
# that never leaves the TPM. First boot creates a primary key and persists it
# at `handle` (idempotent: an existing handle is reused, e.g. after an
# impermanence wipe), exports the public half in the trust.json format
# (base64 of X||Y for ecdsa-p256) to `exportPubkeyDir`, and installs a
# `tpm-sign` wrapper that follows the release --sign-cmd contract
# (NIXFLEET_INPUT in, raw 64-byte signature to NIXFLEET_OUTPUT). Does not
# handle disk encryption.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib)
    mkEnableOption
    mkIf
    mkOption
    types
    ;
  cfg = config.nixfleet.keyslots.tpm;
  tpm = "${pkgs.tpm2-tools}/bin";
  openssl = "${pkgs.openssl}/bin/openssl";

  signWrapper = pkgs.writeShellApplication {
    name = cfg.signWrapperName;
    runtimeInputs = [
      pkgs.tpm2-tools
      pkgs.openssl
      pkgs.coreutils
      pkgs.xxd
    ];
    text = ''
      : "''${NIXFLEET_INPUT:?NIXFLEET_INPUT must name the file to sign}"
      : "''${NIXFLEET_OUTPUT:?NIXFLEET_OUTPUT must name the signature file}"
      work=$(mktemp -d)
      trap 'rm -rf "$work"' EXIT
      tpm2_sign -c ${cfg.handle} -g sha256 -s ecdsa -f plain -o "$work/sig.der" "$NIXFLEET_INPUT"
      # DER (SEQUENCE of two INTEGERs) -> raw r||s, each left-padded to 32 bytes.
      : > "$work/raw"
      openssl asn1parse -inform DER -in "$work/sig.der" | awk '/INTEGER/ { sub(/.*:/, ""); print }' |
        while read -r hex; do
          hex=$(printf '%064s' "''${hex: -64}" | tr ' ' 0)
          printf '%s' "$hex" | xxd -r -p >> "$work/raw"
        done
      [ "$(stat -c %s "$work/raw")" -eq 64 ] || { echo "tpm-sign: signature is not 64 bytes" >&2; exit 1; }
      mv "$work/raw" "$NIXFLEET_OUTPUT"
    '';
  };
in
{
  imports = [ ../../../contracts/persistence.nix ];

  options.nixfleet.keyslots.tpm = {
    enable = mkEnableOption "a TPM-resident CI release signing key";

    handle = mkOption {
      type = types.strMatching "0x81[0-9a-fA-F]{6}";
      default = "0x81010001";
      description = "Persistent TPM handle the key lives at.";
      example = "0x81010002";
    };

    algorithm = mkOption {
      type = types.enum [ "ecdsa-p256" ];
      default = "ecdsa-p256";
      description = "Key algorithm. TPMs implement P-256 widely and ed25519 rarely, so ecdsa-p256 is the only choice here.";
      example = "ecdsa-p256";
    };

    exportPubkeyDir = mkOption {
      type = types.strMatching "/.*";
      default = "/var/lib/nixfleet-tpm-keyslot";
      description = "Directory receiving pubkey.pem and trust-key.json (the nixfleet.trust.ciReleaseKey.current value to commit to the fleet).";
      example = "/var/lib/nixfleet-tpm-keyslot";
    };

    signWrapperName = mkOption {
      type = types.str;
      default = "tpm-sign";
      description = "Name of the installed signing wrapper, for `nixfleet release --sign-cmd`.";
      example = "tpm-sign";
    };
  };

  config = mkIf cfg.enable {
    security.tpm2.enable = true;
    environment.systemPackages = [ signWrapper ];

    systemd.services.nixfleet-tpm-keyslot = {
      description = "Create or re-export the TPM-resident CI release key";
      wantedBy = [ "multi-user.target" ];
      after = [ "dev-tpmrm0.device" ];
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
      };
      script = ''
        set -eu
        mkdir -p ${cfg.exportPubkeyDir}
        if ! ${tpm}/tpm2_readpublic -c ${cfg.handle} > /dev/null 2>&1; then
          work=$(mktemp -d)
          ${tpm}/tpm2_createprimary -C o -G ecc256:ecdsa-sha256 -c "$work/primary.ctx"
          ${tpm}/tpm2_evictcontrol -C o -c "$work/primary.ctx" ${cfg.handle}
          rm -rf "$work"
        fi
        ${tpm}/tpm2_readpublic -c ${cfg.handle} -f pem -o ${cfg.exportPubkeyDir}/pubkey.pem > /dev/null
        # SPKI DER of a P-256 key ends with 0x04||X||Y: keep X||Y.
        pub=$(${openssl} ec -pubin -in ${cfg.exportPubkeyDir}/pubkey.pem -outform DER 2> /dev/null | tail -c 64 | base64 -w0)
        printf '{"algorithm":"ecdsa-p256","public":"%s"}\n' "$pub" > ${cfg.exportPubkeyDir}/trust-key.json
      '';
    };

    nixfleet.persistence.directories = [ cfg.exportPubkeyDir ];
  };
}
