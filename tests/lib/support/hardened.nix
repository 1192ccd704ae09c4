# A stand-in for the `config` of a hardened NixOS host: the option paths the
# compliance catalogue reads (lib/compliance/catalogue/), with values that
# pass every control. Real configurations need nixpkgs; these suites run
# without it, so they evaluate the controls over the same paths here.
# `hardened // { … }` (or lib.recursiveUpdate-style overrides in the cases)
# makes a host fail one control at a time.
{
  services = {
    openssh = {
      enable = true;
      settings = {
        PasswordAuthentication = false;
        KbdInteractiveAuthentication = false;
        PermitRootLogin = "no";
      };
    };
    timesyncd.enable = true;
    journald.storage = "persistent";
    nixfleet-agent.enable = true;
  };
  security = {
    sudo = {
      enable = true;
      wheelNeedsPassword = true;
    };
    auditd.enable = true;
    audit.enable = true;
  };
  networking.firewall.enable = true;
  boot = {
    kernelParams = [ "quiet" ];
    initrd.luks.devices.cryptroot.device = "/dev/disk/by-uuid/00000000-0000-0000-0000-000000000000";
    kernel.sysctl = {
      "kernel.dmesg_restrict" = 1;
      "kernel.kptr_restrict" = 2;
      "kernel.unprivileged_bpf_disabled" = 1;
      "kernel.yama.ptrace_scope" = 1;
      "kernel.perf_event_paranoid" = 3;
      "net.ipv4.conf.all.rp_filter" = 1;
      "net.ipv4.conf.all.accept_redirects" = false;
      "net.ipv4.conf.all.send_redirects" = 0;
      "net.ipv4.conf.all.accept_source_route" = 0;
      "net.ipv4.tcp_syncookies" = true;
      "fs.protected_symlinks" = 1;
      "fs.protected_hardlinks" = 1;
      "fs.protected_fifos" = 2;
      "fs.protected_regular" = 2;
      "fs.suid_dumpable" = 0;
    };
  };
  systemd.tmpfiles.rules = [
    "d /var/lib/app 0750 app app -"
    "d /var/tmp/shared 1777 root root -"
  ];
  environment.etc."nixfleet/motd" = {
    text = "managed by nixfleet";
    mode = "0644";
  };
  users.users.alice = {
    isNormalUser = true;
    hashedPasswordFile = "/run/secrets/alice";
    password = null;
    initialPassword = null;
    hashedPassword = null;
    initialHashedPassword = null;
  };
  system.autoUpgrade.enable = false;
}
