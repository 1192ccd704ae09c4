# Option declarations of services.nixfleet-compliance (book §1.6, RFC-0007
# §3.6: the capability layer), except `package` and `probePackages`, which
# need nixpkgs. Same module-API subset as _agent-options.nix, so tests
# evaluate defaults and examples without nixpkgs.
{ lib }:
let
  inherit (lib) mkEnableOption mkOption types;
  frameworks = builtins.attrNames (import ../../../lib/compliance-frameworks.nix);
  # The one duration grammar of docs/operators.md (ts/core/duration.ts):
  # terms with units from largest to smallest, each at most once, decimals
  # allowed; systemd reads every such value the same way. `15min` stays
  # accepted for configurations written before.
  units = [
    "d"
    "h"
    "m"
    "s"
    "ms"
  ];
  term = u: "[0-9]+([.][0-9]+)?${u}";
  after =
    rest: builtins.concatStringsSep "" (map (u: "(${term u})?") rest);
  tails = l: if l == [ ] then [ ] else [ l ] ++ tails (builtins.tail l);
  duration = builtins.concatStringsSep "|" (
    map (l: "${term (builtins.head l)}${after (builtins.tail l)}") (tails units)
  );
in
{
  enable = mkEnableOption "the compliance collector, which runs the runtime probe of every control of `frameworks` on a timer and writes the host-signed evidence file the agent's evidence probes read";

  frameworks = mkOption {
    type = types.listOf (types.enum frameworks);
    default = [ ];
    description = "Frameworks whose controls the collector checks; list those the host's channel enables in fleet.nix (compliance.frameworks), or the agent's evidence probes find no controls and fail.";
    example = [
      "anssi-bp028"
      "nis2-essential"
    ];
  };

  interval = mkOption {
    type = types.strMatching "${duration}|[0-9]+min";
    default = "15min";
    description = "Time between two collections (systemd OnUnitActiveSec), a duration such as 15m, 1h30m or 1.5h; the agent re-verifies the evidence file whenever it changes.";
    example = "1h";
  };

  evidencePath = mkOption {
    type = types.strMatching "/.*";
    default = "/var/lib/nixfleet-compliance/evidence.json";
    description = "Where the signed evidence is written; the evidencePath of the fleet's evidence probes.";
    example = "/var/lib/nixfleet-compliance/evidence.json";
  };

  sshHostKeyFile = mkOption {
    type = types.strMatching "/.*";
    default = "/etc/ssh/ssh_host_ed25519_key";
    description = "The host's ed25519 SSH key, which signs the evidence; the agent verifies it with the public half of the same key.";
    example = "/etc/ssh/ssh_host_ed25519_key";
  };

  timeoutSecs = mkOption {
    type = types.ints.positive;
    default = 120;
    description = "Seconds one control's probe may run before it is killed and the control fails.";
    example = 300;
  };
}
