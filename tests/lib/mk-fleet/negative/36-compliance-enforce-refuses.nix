# The static compliance gate: a host whose configuration fails a control of
# a framework its channel enforces is refused, naming host, control,
# framework with its article, and the option value the verdict rests on.
# expect: fleet: the compliance gate refuses the release: 1 enforce-mode control(s) fail on web-01 (RELEASE_ERR_COMPLIANCE):
# expect: - host web-01: control ssh-root-login-disabled [anssi-bp028 R33, nis2-essential art.21(2)(i)]: SSH refuses logins as root. Evidence: services.openssh.enable = true, services.openssh.settings.PermitRootLogin = "yes".
# expect: Fix: change the host's configuration so the control passes
{ mkFleet, ... }:
let
  s = import ../support.nix;
  h = import ../../support/hardened.nix;
in
(mkFleet {
  hosts.web-01 = s.host "web-01" {
    channel = "stable";
    configuration = s.hardened "web-01" {
      services = h.services // {
        openssh = h.services.openssh // {
          settings = h.services.openssh.settings // {
            PermitRootLogin = "yes";
          };
        };
      };
    };
  };
  # Every healthy host is untouched by the refusal's wording.
  hosts.web-02 = s.host "web-02" {
    channel = "stable";
    configuration = s.hardened "web-02" { };
  };
  channels.stable = {
    rolloutPolicy = "all-at-once";
    freshnessWindow = 1440;
    compliance.frameworks = [
      "nis2-essential"
      "anssi-bp028"
    ];
  };
  rolloutPolicies.all-at-once.strategy = "all-at-once";
}).resolved
