# Controls on who can log in and how: SSH, sudo, the serial console, the
# network filter. Each entry follows contracts/compliance-control.nix plus
# its static `evaluate :: config -> { passed, evidence }`.
#
# Builtins only.
let
  o = import ../option.nix;
  inherit (o) get evidenceOf;

  ssh = [
    "services"
    "openssh"
  ];
  sshEnabled = config: get config (ssh ++ [ "enable" ]);
  sshSetting = s: ssh ++ [ "settings" s ];

  # sshd off is compliant (no remote login at all); an unknown enable state
  # is not.
  sshControl =
    settings: config:
    let
      enabled = sshEnabled config;
      paths = [ (ssh ++ [ "enable" ]) ] ++ map (s: sshSetting s.name) settings;
    in
    {
      passed =
        enabled == false || (enabled == true && builtins.all (s: builtins.elem (get config (sshSetting s.name)) s.pass) settings);
      evidence = evidenceOf config paths;
    };
in
[
  {
    id = "ssh-password-auth-disabled";
    title = "SSH accepts keys only: password and keyboard-interactive authentication are off.";
    rationale = "Passwords over SSH can be guessed and phished; keys cannot be brute-forced from the network.";
    frameworks = {
      anssi-bp028 = [ "R67" ];
      nis2-essential = [ "art.21(2)(j)" ];
      iso27001 = [ "A.8.5" ];
      dora = [ "art.9(4)(d)" ];
      cis-level1 = [ "5.2" ];
    };
    static.optionPaths = [
      (ssh ++ [ "enable" ])
      (sshSetting "PasswordAuthentication")
      (sshSetting "KbdInteractiveAuthentication")
    ];
    evaluate = sshControl [
      {
        name = "PasswordAuthentication";
        pass = [ false ];
      }
      {
        name = "KbdInteractiveAuthentication";
        pass = [ false ];
      }
    ];
    probe = {
      command = [
        "sshd"
        "-T"
      ];
      output = "key-value";
      expectedShape = {
        passwordauthentication = "string";
        kbdinteractiveauthentication = "string";
      };
      expect = {
        passwordauthentication = [ "no" ];
        kbdinteractiveauthentication = [ "no" ];
        exitCode = [ 0 ];
      };
      schemaVersion = 1;
    };
  }
  {
    id = "ssh-root-login-disabled";
    title = "SSH refuses logins as root.";
    rationale = "A root login names no person: administration must go through named accounts to stay attributable.";
    frameworks = {
      anssi-bp028 = [ "R33" ];
      nis2-essential = [ "art.21(2)(i)" ];
      iso27001 = [ "A.8.2" ];
      dora = [ "art.9(4)(c)" ];
      cis-level1 = [ "5.2" ];
    };
    static.optionPaths = [
      (ssh ++ [ "enable" ])
      (sshSetting "PermitRootLogin")
    ];
    evaluate = sshControl [
      {
        name = "PermitRootLogin";
        pass = [ "no" ];
      }
    ];
    probe = {
      command = [
        "sshd"
        "-T"
      ];
      output = "key-value";
      expectedShape.permitrootlogin = "string";
      expect = {
        permitrootlogin = [ "no" ];
        exitCode = [ 0 ];
      };
      schemaVersion = 1;
    };
  }
  {
    id = "sudo-requires-password";
    title = "sudo asks members of wheel for their password.";
    rationale = "A NOPASSWD rule turns any code running as an administrator into root without a second factor of intent.";
    frameworks = {
      anssi-bp028 = [ "R39" ];
      nis2-essential = [ "art.21(2)(i)" ];
      iso27001 = [ "A.8.2" ];
      cis-level1 = [ "5.3" ];
    };
    static.optionPaths = [
      [
        "security"
        "sudo"
        "enable"
      ]
      [
        "security"
        "sudo"
        "wheelNeedsPassword"
      ]
    ];
    evaluate =
      config:
      let
        enabled = get config [
          "security"
          "sudo"
          "enable"
        ];
        needs = get config [
          "security"
          "sudo"
          "wheelNeedsPassword"
        ];
      in
      {
        passed = enabled == false || (enabled == true && needs == true);
        evidence = evidenceOf config [
          [
            "security"
            "sudo"
            "enable"
          ]
          [
            "security"
            "sudo"
            "wheelNeedsPassword"
          ]
        ];
      };
    probe = {
      command = [
        "grep"
        "-E"
        "^[^#]*NOPASSWD"
        "/etc/sudoers"
      ];
      output = "lines";
      expectedShape = {
        count = "integer";
        lines = "array";
      };
      # grep: 1 is "no match"; 2 (no file, unreadable) is a probe error.
      expect = {
        count = [ 0 ];
        exitCode = [ 1 ];
      };
      schemaVersion = 1;
    };
  }
  {
    id = "serial-console-disabled";
    title = "No login prompt on a serial console.";
    rationale = "A serial getty is a root-capable entry point that bypasses network controls and SSH logging (out-of-band consoles of hosting providers included).";
    frameworks = {
      nis2-essential = [ "art.21(2)(i)" ];
      iso27001 = [ "A.8.2" ];
      dora = [ "art.9(4)(c)" ];
    };
    static.optionPaths = [
      [
        "boot"
        "kernelParams"
      ]
    ];
    evaluate =
      config:
      let
        params = get config [
          "boot"
          "kernelParams"
        ];
        serial = p: builtins.match "console=(ttyS|ttyAMA|hvc|ttyUSB)[0-9].*" p != null;
      in
      {
        passed = builtins.isList params && !(builtins.any serial params);
        evidence = evidenceOf config [
          [
            "boot"
            "kernelParams"
          ]
        ];
      };
    probe = {
      command = [
        "systemctl"
        "list-units"
        "--state=active"
        "--plain"
        "--no-legend"
        "serial-getty@*"
      ];
      output = "lines";
      expectedShape = {
        count = "integer";
        lines = "array";
      };
      expect = {
        count = [ 0 ];
        exitCode = [ 0 ];
      };
      schemaVersion = 1;
    };
  }
  {
    id = "firewall-enabled";
    title = "The host's packet filter is on.";
    rationale = "Only ports a service declares should be reachable; a service enabled by mistake must not be exposed.";
    frameworks = {
      anssi-bp028 = [ "R80" ];
      nis2-essential = [ "art.21(2)(e)" ];
      iso27001 = [ "A.8.20" ];
      dora = [ "art.9(4)(b)" ];
      cis-level1 = [ "3.5" ];
    };
    static.optionPaths = [
      [
        "networking"
        "firewall"
        "enable"
      ]
    ];
    evaluate =
      config:
      let
        p = [
          "networking"
          "firewall"
          "enable"
        ];
      in
      {
        passed = get config p == true;
        evidence = evidenceOf config [ p ];
      };
    probe = {
      command = [
        "systemctl"
        "is-active"
        "firewall.service"
      ];
      output = "exit-code";
      expectedShape.exitCode = "integer";
      expect.exitCode = [ 0 ];
      schemaVersion = 1;
    };
  }
]
