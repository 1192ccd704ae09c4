# services.nixfleet-compliance: the compliance collector (book §1.6,
# RFC-0007 §3.6, capability layer). Renders the controls of the enabled
# frameworks to /etc/nixfleet/compliance/controls.json and runs
# nixfleet-compliance-collect on a timer; fleet.nix decides, separately,
# whether and how the agent consumes the evidence (compliance.frameworks).
# Every computed value comes from lib/render/compliance.nix.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib)
    getExe'
    literalExpression
    mkIf
    mkOption
    types
    ;
  cfg = config.services.nixfleet-compliance;
  render = (import ../../../lib/render).compliance;
in
{
  options.services.nixfleet-compliance = import ./_compliance-options.nix { inherit lib; } // {
    package = mkOption {
      type = types.package;
      default = (import ../../../nix/packages { inherit pkgs; }).nixfleet-compliance-collect;
      defaultText = literalExpression "nixfleet.packages.\${pkgs.stdenv.hostPlatform.system}.nixfleet-compliance-collect";
      description = "Package providing bin/nixfleet-compliance-collect.";
      example = literalExpression "nixfleet.packages.x86_64-linux.nixfleet-compliance-collect";
    };
    probePackages = mkOption {
      type = types.listOf types.package;
      default = with pkgs; [
        bash
        coreutils
        findutils
        gnugrep
        util-linux
        procps
        openssh
        audit
        config.systemd.package
      ];
      defaultText = literalExpression "with pkgs; [ bash coreutils findutils gnugrep util-linux procps openssh audit config.systemd.package ]";
      description = "Packages on the collector's PATH: the commands the controls' probes run (sshd, sysctl, auditctl, systemctl, find, grep, lsblk, findmnt, sh).";
      example = literalExpression "[ pkgs.openssh ]";
    };
  };

  config = mkIf cfg.enable {
    assertions = render.assertions cfg;

    environment.etc."nixfleet/compliance/controls.json".text = builtins.toJSON (render.controls cfg.frameworks);

    systemd.services.nixfleet-compliance = {
      description = "NixFleet compliance collector";
      path = cfg.probePackages;
      serviceConfig = render.serviceConfig cfg // {
        ExecStart = render.execStart (getExe' cfg.package "nixfleet-compliance-collect") (render.args cfg);
      };
    };

    systemd.timers.nixfleet-compliance = {
      wantedBy = [ "timers.target" ];
      timerConfig = render.timerConfig cfg;
    };
  };
}
