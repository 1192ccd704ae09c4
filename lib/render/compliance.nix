# What services.nixfleet-compliance computes (book §1.6, RFC-0007 §3.6, the
# capability layer): the controls file the collector runs, its argv, the
# unit and timer settings, the assertions. Builtins only, so
# tests/lib/modules checks them without nixpkgs.
let
  inherit (builtins)
    attrNames
    concatMap
    elem
    filter
    length
    listToAttrs
    map
    ;
  catalogue = import ../compliance;
  systemd = import ./systemd.nix;
in
{
  /**
    The controls of `frameworks`, as contracts/compliance-control.nix
    documents sorted by id, each restricted to the enabled frameworks (the
    evidence then carries one entry per control and enabled framework).

    Type: controls :: [ string ] -> [ attrset ]
  */
  controls =
    frameworks:
    concatMap (
      id:
      let
        d = catalogue.declarations.${id};
        fs = filter (f: elem f frameworks) (attrNames d.frameworks);
      in
      if fs == [ ] then
        [ ]
      else
        [
          (
            d
            // {
              frameworks = listToAttrs (
                map (f: {
                  name = f;
                  value = d.frameworks.${f};
                }) fs
              );
            }
          )
        ]
    ) (attrNames catalogue.declarations);

  /**
    The collector's argv after the program.

    Type: args :: cfg -> [ string ]
  */
  args = cfg: [
    "--controls"
    "/etc/nixfleet/compliance/controls.json"
    "--host-key"
    cfg.sshHostKeyFile
    "--out"
    cfg.evidencePath
    "--timeout-secs"
    (toString cfg.timeoutSecs)
  ];

  /**
    [Service] settings other than ExecStart. The collector audits the whole
    system, as root: nothing is hidden from it (no ProtectHome, no private
    /tmp), but it writes only its state directory.

    Type: serviceConfig :: cfg -> attrset
  */
  serviceConfig = cfg: {
    Type = "oneshot";
    NoNewPrivileges = true;
    ProtectSystem = "strict";
    ReadWritePaths = [ (builtins.dirOf cfg.evidencePath) ];
    StateDirectory = "nixfleet-compliance";
    # The agent reads the evidence; it is signed, not secret.
    UMask = "0022";
  };

  /**
    [Timer] settings: a first run shortly after boot, then every `interval`.

    Type: timerConfig :: cfg -> attrset
  */
  timerConfig = cfg: {
    OnBootSec = "2min";
    OnUnitActiveSec = cfg.interval;
    Unit = "nixfleet-compliance.service";
  };

  /**
    Assertions, each naming the option.

    Type: assertions :: cfg -> [ { assertion, message } ]
  */
  assertions = cfg: [
    {
      assertion = length cfg.frameworks > 0;
      message = "services.nixfleet-compliance.frameworks is empty: the collector would check nothing. Fix: list the frameworks the host's channel enables (${builtins.concatStringsSep ", " catalogue.frameworkNames}).";
    }
  ];

  inherit (systemd) execStart;
}
