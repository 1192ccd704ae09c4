# Controls on the system as a whole: file permissions, time, logging, how
# updates arrive, disk encryption, secrets. Each entry follows
# contracts/compliance-control.nix plus its static
# `evaluate :: config -> { passed, evidence }`.
#
# Builtins only.
let
  inherit (builtins)
    any
    attrNames
    concatMap
    elem
    filter
    isAttrs
    isList
    isString
    length
    match
    ;
  o = import ../option.nix;
  inherit (o) get evidenceOf show;

  linesProbe = command: exitCodes: {
    inherit command;
    output = "lines";
    expectedShape = {
      count = "integer";
      lines = "array";
    };
    expect = {
      count = [ 0 ];
      exitCode = exitCodes;
    };
    schemaVersion = 1;
  };

  # Octal permission text (tmpfiles: optional ~ or : prefix) -> { worldWritable, sticky }.
  modeBits =
    m:
    let
      digits = match "[~:]?([0-7]?)[0-7][0-7]([0-7])" m;
      special = if digits == null || builtins.elemAt digits 0 == "" then "0" else builtins.elemAt digits 0;
      others = if digits == null then "0" else builtins.elemAt digits 1;
    in
    {
      worldWritable = elem others [ "2" "3" "6" "7" ];
      sticky = elem special [ "1" "3" "5" "7" ];
    };
  dirTypes = [ "d" "D" "e" "v" "q" "Q" ];

  # A tmpfiles line that creates a world-writable file, or a world-writable
  # directory without the sticky bit.
  looseRule =
    line:
    let
      f = filter isString (builtins.split "[ \t]+" line);
      type = builtins.substring 0 1 (builtins.elemAt f 0);
      bits = modeBits (builtins.elemAt f 2);
    in
    length f >= 3 && bits.worldWritable && !(elem type dirTypes && bits.sticky);

  tmpfilesPath = [ "systemd" "tmpfiles" "rules" ];
  etcPath = [ "environment" "etc" ];

  secretName = n: match ".*(secret|password|passwd|token|private|[.]key|[.]pem).*" n != null;
  passwordOptions = [ "password" "initialPassword" "hashedPassword" "initialHashedPassword" ];
in
[
  {
    id = "no-world-writable-paths";
    title = "No system file is world-writable, and every world-writable directory is sticky.";
    rationale = "A world-writable system path lets any local account replace what root later reads or runs.";
    frameworks = {
      anssi-bp028 = [ "R50" "R54" ];
      nis2-essential = [ "art.21(2)(i)" ];
      iso27001 = [ "A.8.3" ];
      cis-level1 = [ "6.1" ];
    };
    static.optionPaths = [ tmpfilesPath etcPath ];
    evaluate =
      config:
      let
        rules = get config tmpfilesPath;
        etc = get config etcPath;
        loose = if isList rules then filter looseRule rules else [ ];
        looseEtc =
          if isAttrs etc then
            filter (n: isAttrs etc.${n} && isString (etc.${n}.mode or null) && (modeBits etc.${n}.mode).worldWritable) (attrNames etc)
          else
            [ ];
      in
      {
        passed = isList rules && isAttrs etc && loose == [ ] && looseEtc == [ ];
        evidence = {
          ${show tmpfilesPath} = if isList rules then loose else null;
          ${show etcPath} = if isAttrs etc then map (n: show (etcPath ++ [ n "mode" ])) looseEtc else null;
        };
      };
    probe = linesProbe [
      "find" "/" "-xdev"
      "(" "-type" "d" "-perm" "-0002" "!" "-perm" "-1000" ")"
      "-o" "(" "-type" "f" "-perm" "-0002" ")"
      "-print"
    ] [ 0 ];
  }
  {
    id = "time-sync";
    title = "The clock is synchronised by an NTP client (timesyncd, chrony, ntpd or openntpd).";
    rationale = "Logs, certificates, signed artifacts and the evidence itself are only comparable with a trustworthy clock.";
    frameworks = {
      nis2-essential = [ "art.21(2)(b)" ];
      iso27001 = [ "A.8.17" ];
      dora = [ "art.10(1)" ];
      cis-level1 = [ "2.1" ];
    };
    static.optionPaths = map (s: [ "services" s "enable" ]) [ "timesyncd" "chrony" "ntp" "openntpd" ];
    evaluate =
      config:
      let
        paths = map (s: [ "services" s "enable" ]) [ "timesyncd" "chrony" "ntp" "openntpd" ];
      in
      {
        passed = any (p: get config p == true) paths;
        evidence = evidenceOf config paths;
      };
    probe = {
      command = [ "timedatectl" "show" "--property=NTPSynchronized" ];
      output = "properties";
      expectedShape.NTPSynchronized = "string";
      expect = {
        NTPSynchronized = [ "yes" ];
        exitCode = [ 0 ];
      };
      schemaVersion = 1;
    };
  }
  {
    id = "audit-logging";
    title = "The kernel audit subsystem is on and auditd records it.";
    rationale = "Administrative actions and security events must leave a record that survives the session that made them.";
    frameworks = {
      anssi-bp028 = [ "R73" ];
      nis2-essential = [ "art.21(2)(b)" ];
      iso27001 = [ "A.8.15" ];
      dora = [ "art.10(1)" ];
      cis-level1 = [ "4.1" ];
    };
    static.optionPaths = [
      [ "security" "auditd" "enable" ]
      [ "security" "audit" "enable" ]
    ];
    evaluate = config: {
      passed =
        get config [ "security" "auditd" "enable" ] == true
        && elem (get config [ "security" "audit" "enable" ]) [ true "lock" ];
      evidence = evidenceOf config [
        [ "security" "auditd" "enable" ]
        [ "security" "audit" "enable" ]
      ];
    };
    probe = {
      command = [ "auditctl" "-s" ];
      output = "key-value";
      expectedShape.enabled = "string";
      expect = {
        enabled = [ "1" "2" ];
        exitCode = [ 0 ];
      };
      schemaVersion = 1;
    };
  }
  {
    id = "journal-persistent";
    title = "The systemd journal is kept on disk across reboots.";
    rationale = "A volatile journal loses the record of what happened before the reboot an incident usually ends with.";
    frameworks = {
      anssi-bp028 = [ "R71" ];
      nis2-essential = [ "art.21(2)(b)" ];
      iso27001 = [ "A.8.15" ];
      dora = [ "art.10(1)" ];
      cis-level1 = [ "4.2" ];
    };
    static.optionPaths = [ [ "services" "journald" "storage" ] ];
    evaluate = config: {
      passed = get config [ "services" "journald" "storage" ] == "persistent";
      evidence = evidenceOf config [ [ "services" "journald" "storage" ] ];
    };
    probe = {
      command = [ "test" "-d" "/var/log/journal" ];
      output = "exit-code";
      expectedShape.exitCode = "integer";
      expect.exitCode = [ 0 ];
      schemaVersion = 1;
    };
  }
  {
    id = "updates-through-fleet";
    title = "Updates arrive only as signed fleet releases: the NixFleet agent runs and system.autoUpgrade is off.";
    rationale = "Security updates must reach every host, through one path that is signed, gated and recorded; an out-of-band upgrade timer bypasses all three.";
    frameworks = {
      anssi-bp028 = [ "R61" ];
      nis2-essential = [ "art.21(2)(e)" ];
      iso27001 = [ "A.8.8" "A.8.32" ];
      dora = [ "art.9(4)(f)" ];
    };
    static.optionPaths = [
      [ "services" "nixfleet-agent" "enable" ]
      [ "system" "autoUpgrade" "enable" ]
    ];
    evaluate = config: {
      passed =
        get config [ "services" "nixfleet-agent" "enable" ] == true
        && get config [ "system" "autoUpgrade" "enable" ] == false;
      evidence = evidenceOf config [
        [ "services" "nixfleet-agent" "enable" ]
        [ "system" "autoUpgrade" "enable" ]
      ];
    };
    probe = {
      command = [ "systemctl" "is-active" "nixfleet-agent.service" ];
      output = "exit-code";
      expectedShape.exitCode = "integer";
      expect.exitCode = [ 0 ];
      schemaVersion = 1;
    };
  }
  {
    id = "disk-encryption-declared";
    title = "At least one LUKS device is opened in the initrd.";
    rationale = "Data at rest on a disk that leaves the data centre (repair, theft, decommissioning) must be unreadable.";
    frameworks = {
      nis2-essential = [ "art.21(2)(h)" ];
      iso27001 = [ "A.8.24" ];
      dora = [ "art.9(4)(d)" ];
    };
    static.optionPaths = [ [ "boot" "initrd" "luks" "devices" ] ];
    evaluate =
      config:
      let
        devices = get config [ "boot" "initrd" "luks" "devices" ];
      in
      {
        passed = isAttrs devices && devices != { };
        evidence.${show [ "boot" "initrd" "luks" "devices" ]} = if isAttrs devices then attrNames devices else null;
      };
    # The root file system sits on a dm-crypt mapping (lsblk -s walks its parents).
    probe = {
      command = [ "sh" "-c" "lsblk -s -n -o TYPE \"$(findmnt -n -o SOURCE /)\" | grep -qx crypt" ];
      output = "exit-code";
      expectedShape.exitCode = "integer";
      expect.exitCode = [ 0 ];
      schemaVersion = 1;
    };
  }
  {
    id = "no-secrets-in-store";
    title = "No password, password hash or secret-named /etc file is written into the world-readable Nix store.";
    rationale = "Everything in /nix/store is readable by every local account and copied to every cache; secrets belong in encrypted files decrypted on the host.";
    frameworks = {
      anssi-bp028 = [ "R68" ];
      nis2-essential = [ "art.21(2)(h)" ];
      iso27001 = [ "A.5.17" "A.8.24" ];
      dora = [ "art.9(4)(d)" ];
    };
    static.optionPaths = [ [ "users" "users" ] etcPath ];
    evaluate =
      config:
      let
        users = get config [ "users" "users" ];
        etc = get config etcPath;
        userHits =
          if isAttrs users then
            concatMap (
              u: map (k: show [ "users" "users" u k ]) (filter (k: isAttrs users.${u} && (users.${u}.${k} or null) != null) passwordOptions)
            ) (attrNames users)
          else
            [ ];
        etcHits =
          if isAttrs etc then
            map (n: show (etcPath ++ [ n "text" ])) (filter (n: secretName n && isAttrs etc.${n} && (etc.${n}.text or null) != null) (attrNames etc))
          else
            [ ];
      in
      {
        passed = isAttrs users && isAttrs etc && userHits == [ ] && etcHits == [ ];
        # Names only: the values are the secrets.
        evidence = {
          ${show [ "users" "users" ]} = if isAttrs users then userHits else null;
          ${show etcPath} = if isAttrs etc then etcHits else null;
        };
      };
    probe = linesProbe [ "grep" "-RlE" "-e" "-----BEGIN ([A-Z]+ )?PRIVATE KEY-----" "/etc/static/" ] [ 1 ];
  }
]
