# Kernel hardening through sysctls (ANSSI BP-028 R9, R11, R12, R14). The
# static side reads boot.kernel.sysctl; the runtime side asks the running
# kernel, which is what counts (a sysctl the module sets can be overridden
# later at boot).
#
# Builtins only.
let
  o = import ../option.nix;

  sysctlPaths =
    names:
    map (n: [
      "boot"
      "kernel"
      "sysctl"
      n
    ]) names;

  # One control over a table of sysctl -> accepted values (as text).
  sysctlControl =
    {
      id,
      title,
      rationale,
      frameworks,
      wanted,
    }:
    let
      names = builtins.attrNames wanted;
    in
    {
      inherit
        id
        title
        rationale
        frameworks
        ;
      static.optionPaths = sysctlPaths names;
      evaluate = config: o.sysctls config wanted;
      probe = {
        command = [ "sysctl" ] ++ names;
        output = "sysctl";
        expectedShape = builtins.listToAttrs (
          map (n: {
            name = n;
            value = "string";
          }) names
        );
        expect = wanted // {
          exitCode = [ 0 ];
        };
        schemaVersion = 1;
      };
    };
in
[
  (sysctlControl {
    id = "kernel-sysctl-hardening";
    title = "Kernel pointers, the kernel log, unprivileged BPF, ptrace and perf are restricted.";
    rationale = "Leaked kernel addresses and unprivileged access to BPF, ptrace and perf are the usual first steps of a local privilege escalation.";
    frameworks = {
      anssi-bp028 = [
        "R9"
        "R11"
      ];
      nis2-essential = [ "art.21(2)(g)" ];
      iso27001 = [ "A.8.9" ];
      cis-level1 = [ "1.5" ];
    };
    wanted = {
      "kernel.dmesg_restrict" = [ "1" ];
      "kernel.kptr_restrict" = [ "2" ];
      "kernel.unprivileged_bpf_disabled" = [
        "1"
        "2"
      ];
      "kernel.yama.ptrace_scope" = [
        "1"
        "2"
        "3"
      ];
      "kernel.perf_event_paranoid" = [
        "2"
        "3"
      ];
    };
  })
  (sysctlControl {
    id = "network-sysctl-hardening";
    title = "IPv4 reverse-path filtering and SYN cookies are on; redirects and source routing are refused.";
    rationale = "ICMP redirects and source-routed packets let a neighbour reroute traffic; rp_filter drops spoofed sources.";
    frameworks = {
      anssi-bp028 = [ "R12" ];
      nis2-essential = [ "art.21(2)(e)" ];
      iso27001 = [ "A.8.20" ];
      dora = [ "art.9(4)(b)" ];
      cis-level1 = [ "3.3" ];
    };
    wanted = {
      "net.ipv4.conf.all.rp_filter" = [ "1" ];
      "net.ipv4.conf.all.accept_redirects" = [ "0" ];
      "net.ipv4.conf.all.send_redirects" = [ "0" ];
      "net.ipv4.conf.all.accept_source_route" = [ "0" ];
      "net.ipv4.tcp_syncookies" = [ "1" ];
    };
  })
  (sysctlControl {
    id = "fs-sysctl-hardening";
    title = "Symlink, hardlink, FIFO and regular-file protections are on; setuid programs do not dump core.";
    rationale = "These close the classic /tmp races and keep secrets of setuid programs out of core files.";
    frameworks = {
      anssi-bp028 = [ "R14" ];
      iso27001 = [ "A.8.9" ];
      cis-level1 = [ "1.5" ];
    };
    wanted = {
      "fs.protected_symlinks" = [ "1" ];
      "fs.protected_hardlinks" = [ "1" ];
      "fs.protected_fifos" = [ "2" ];
      "fs.protected_regular" = [ "2" ];
      "fs.suid_dumpable" = [ "0" ];
    };
  })
]
