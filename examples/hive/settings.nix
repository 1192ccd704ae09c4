# The hive-matrix module's decisions, builtins only (module.nix is the NixOS
# module that applies them; fleet.nix uses them directly so the example
# evaluates and builds without nixpkgs). Shaped like the seed's module:
# services.hyperhive.matrix.{serverName, gatewayHost, openFirewall,
# trustedServers, maxRequestSize, registrationTokenFile}.
#
# `defaults` selects the module release: "v1" is the old one (serverName
# defaults to matrix.<domain>, openFirewall to true), "v2" the current one
# (bare <domain>, false). The flip is the reason serverName is irrevocable:
# a module bump must not re-identify a homeserver that relied on the default.
#
#   (import ./settings.nix) { defaults = "v2"; domain = "example.com"; matrix = { }; }
let
  inherit (builtins) filter map toJSON;
in
{
  defaults ? "v2",
  domain ? null,
  matrix ? { },
}:
let
  flipped = defaults == "v2";
  default = name: fallback: if matrix ? ${name} then matrix.${name} else fallback;

  cfg = {
    serverName = default "serverName" (
      if domain == null then null
      else if flipped then domain
      else "matrix.${domain}"
    );
    gatewayHost = default "gatewayHost" (if domain == null then null else "matrix.${domain}");
    openFirewall = default "openFirewall" (!flipped);
    trustedServers = default "trustedServers" [ ];
    maxRequestSize = default "maxRequestSize" 20000000;
    registrationTokenFile = default "registrationTokenFile" "/var/lib/hyperhive/matrix-register-token";
    httpPort = default "httpPort" 6167;
  };

  # The seed's two assertions, with its messages' substance.
  assertions = [
    {
      assertion = domain != null || cfg.serverName != null;
      message = "services.hyperhive.matrix.serverName: set it or services.hyperhive.domain; server_name is embedded irrevocably in every user and room id, so the homeserver is never started with a bogus one.";
    }
    {
      assertion = cfg.gatewayHost != "";
      message = "services.hyperhive.matrix.gatewayHost must not be the empty string (it renders a wildcard nginx server_name and an invalid /etc/hosts entry); use null to skip the gateway vhost.";
    }
  ];
  failed = map (a: a.message) (filter (a: !a.assertion) assertions);
in
{
  inherit cfg assertions failed;

  /** The rendered tuwunel configuration (what the container reads). */
  tuwunelConfig = toJSON {
    global = {
      server_name = cfg.serverName;
      port = cfg.httpPort;
      allow_federation = true;
      trusted_servers = cfg.trustedServers;
      max_request_size = cfg.maxRequestSize;
      allow_registration = true;
      allow_encryption = false;
      registration_token_file = "/run/credentials/tuwunel.service/registration_token";
    };
  };

  /** The homeserver's state, for the persistence contract (impermanent hosts). */
  stateDirectories = [ "/var/lib/nixos-containers/hive-matrix/var/lib/matrix-tuwunel" "/var/lib/hyperhive/matrix" ];

  /**
    Activation snippet: writes a 32-byte random hex token (64 characters) to
    the token file when it is missing or empty, and always re-applies mode
    0600, root:root (normalising a 0640 carry-over). Runs on the host at
    activation, so the token never enters the store or a release. `$ROOT` is
    prefixed to the path (empty on a real host; the harness sandbox sets it).
  */
  tokenActivation = ''
    token="$ROOT${cfg.registrationTokenFile}"
    mkdir -p "$(dirname "$token")"
    if [ ! -s "$token" ]; then
      umask 077
      od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$token.tmp"
      mv -f "$token.tmp" "$token"
    fi
    chmod 0600 "$token"
  '';
}
