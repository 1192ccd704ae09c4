# Static side of every catalogue control (lib/compliance/catalogue/): each
# passes on the hardened stand-in (tests/lib/support/hardened.nix), fails on
# an empty configuration (an option it cannot see is not a pass), and fails
# on one realistic misconfiguration, with evidence naming the option.
# Real NixOS configurations need nixpkgs; these stand-ins carry the same
# option paths.
let
  inherit (builtins)
    attrNames
    length
    listToAttrs
    map
    ;
  t = import ../support/cases.nix;
  c = import ../../../lib/compliance;
  hardened = import ../support/hardened.nix;

  # `config` with the value at `path` replaced (intermediate sets created).
  set =
    path: value: config:
    if path == [ ] then
      value
    else
      let
        k = builtins.head path;
      in
      config // { ${k} = set (builtins.tail path) value (config.${k} or { }); };

  run = id: config: c.evaluate id config;

  # id -> [ path value evidenceKey evidenceValue ] : the misconfiguration and what the evidence must show.
  breaks = {
    ssh-password-auth-disabled = [ [ "services" "openssh" "settings" "PasswordAuthentication" ] true "services.openssh.settings.PasswordAuthentication" true ];
    ssh-root-login-disabled = [ [ "services" "openssh" "settings" "PermitRootLogin" ] "prohibit-password" "services.openssh.settings.PermitRootLogin" "prohibit-password" ];
    sudo-requires-password = [ [ "security" "sudo" "wheelNeedsPassword" ] false "security.sudo.wheelNeedsPassword" false ];
    serial-console-disabled = [ [ "boot" "kernelParams" ] [ "console=ttyS0,115200" ] "boot.kernelParams" [ "console=ttyS0,115200" ] ];
    firewall-enabled = [ [ "networking" "firewall" "enable" ] false "networking.firewall.enable" false ];
    kernel-sysctl-hardening = [ [ "boot" "kernel" "sysctl" "kernel.kptr_restrict" ] 1 "boot.kernel.sysctl.\"kernel.kptr_restrict\"" "1" ];
    network-sysctl-hardening = [ [ "boot" "kernel" "sysctl" "net.ipv4.conf.all.accept_redirects" ] true "boot.kernel.sysctl.\"net.ipv4.conf.all.accept_redirects\"" "1" ];
    fs-sysctl-hardening = [ [ "boot" "kernel" "sysctl" "fs.suid_dumpable" ] 2 "boot.kernel.sysctl.\"fs.suid_dumpable\"" "2" ];
    no-world-writable-paths = [ [ "systemd" "tmpfiles" "rules" ] [ "d /srv/drop 0777 root root -" "f /etc/app.conf 0644 root root -" ] "systemd.tmpfiles.rules" [ "d /srv/drop 0777 root root -" ] ];
    time-sync = [ [ "services" "timesyncd" "enable" ] false "services.timesyncd.enable" false ];
    audit-logging = [ [ "security" "audit" "enable" ] false "security.audit.enable" false ];
    journal-persistent = [ [ "services" "journald" "storage" ] "volatile" "services.journald.storage" "volatile" ];
    updates-through-fleet = [ [ "system" "autoUpgrade" "enable" ] true "system.autoUpgrade.enable" true ];
    disk-encryption-declared = [ [ "boot" "initrd" "luks" "devices" ] { } "boot.initrd.luks.devices" [ ] ];
    no-secrets-in-store = [ [ "users" "users" "alice" "hashedPassword" ] "$6$salt$hash" "users.users" [ "users.users.alice.hashedPassword" ] ];
  };
  at = l: i: builtins.elemAt l i;

  perControl = builtins.concatMap (
    id:
    let
      b = breaks.${id};
      broken = run id (set (at b 0) (at b 1) hardened);
    in
    [
      {
        name = "${id}/passes-on-hardened";
        value = t.eq (run id hardened).passed true;
      }
      {
        name = "${id}/fails-on-empty-config";
        value = t.eq (run id { }).passed false;
      }
      {
        name = "${id}/fails-when-misconfigured";
        value = t.eq broken.passed false;
      }
      {
        name = "${id}/evidence-names-the-option";
        value = t.eq (broken.evidence.${at b 2} or "<absent>") (at b 3);
      }
    ]
  ) (attrNames c.controls);
in
listToAttrs perControl
// {
  every-control-has-a-misconfiguration-case = t.eq (attrNames breaks) (attrNames c.controls);

  at-least-twelve-controls = t.truthy (length (attrNames c.controls) >= 12) "the starter catalogue has ${toString (length (attrNames c.controls))} controls";

  every-framework-has-controls = t.none (builtins.filter (f: c.byFramework.${f} == [ ]) c.frameworkNames);

  # sshd off: no remote login to protect.
  ssh-disabled-passes = t.eq (run "ssh-root-login-disabled" (set [ "services" "openssh" ] { enable = false; } hardened)).passed true;

  # A sticky world-writable directory is fine; a world-writable file never is.
  sticky-directory-passes = t.eq (run "no-world-writable-paths" (set [ "systemd" "tmpfiles" "rules" ] [ "d /tmp/x 1777 root root -" ] hardened)).passed true;
  world-writable-file-fails = t.eq (run "no-world-writable-paths" (set [ "systemd" "tmpfiles" "rules" ] [ "f /etc/x 0666 root root -" ] hardened)).passed false;
  world-writable-etc-fails = t.eq (run "no-world-writable-paths" (set [ "environment" "etc" "x" ] { mode = "0666"; } hardened)).evidence."environment.etc" [ "environment.etc.x.mode" ];

  # Evidence lands in a signed artifact: the secret itself never does.
  secret-value-not-in-evidence = t.eq (builtins.match ".*salt.*" (builtins.toJSON (run "no-secrets-in-store" (set [ "users" "users" "alice" "hashedPassword" ] "$6$salt$hash" hardened)).evidence)) null;
  secret-named-etc-text-fails = t.eq (run "no-secrets-in-store" (set [ "environment" "etc" "app/token" ] { text = "abc"; } hardened)).evidence."environment.etc" [ "environment.etc.\"app/token\".text" ];

  # chrony instead of timesyncd.
  chrony-passes = t.eq (run "time-sync" (set [ "services" "chrony" "enable" ] true (set [ "services" "timesyncd" "enable" ] false hardened))).passed true;

  # An evaluation that throws is a failing control, not an evaluation error.
  throwing-config-fails = t.eq (run "firewall-enabled" { networking.firewall.enable = throw "boom"; }).passed false;

  # The exported declarations have no function left in them.
  declarations-serialise = t.truthy (builtins.isString (builtins.toJSON c.declarations)) "declarations are JSON";
}
