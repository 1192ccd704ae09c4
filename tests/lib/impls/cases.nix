# The impls (flake.scopes): gitops URL builders, identity paths, the
# impermanence wipe script, and the impl modules' options and wiring with
# the stub lib. Run: bash tests/lib/impls/run.sh
let
  inherit (builtins) attrNames;
  scopes = import ../../../impls;
  identity = import ../../../lib/render/identity-paths.nix;
  wipe = import ../../../lib/render/btrfs-wipe.nix;
  stub = import ../modules/stub.nix;
  t = import ../support/cases.nix;
  inherit (t) eq throws truthy none mentions;
  styleOf = (import ../modules/style.nix).problems;

  repo = {
    url = "https://git.example.com/";
    owner = "ops";
    repo = "fleet";
  };

  secrets = stub.call ../../../impls/secrets {
    config.nixfleet.secrets = {
      enable = true;
      identityPaths = {
        hostKey = "/persist/ssh/host";
        userKey = null;
        extra = [ "/persist/ssh/host" "/persist/age" ];
      };
    };
  };
  imperm =
    present:
    stub.call ../../../impls/persistence/impermanence.nix {
      options = if present then { environment.persistence = { }; } else { };
      config.nixfleet.persistence = {
        enable = true;
        persistRoot = "/persist";
        directories = [ "/var/lib/nixfleet-agent" ];
        files = [ "/etc/machine-id" ];
        impermanence = {
          rootDevice = "/dev/disk/by-label/nixos";
          oldRootsRetentionDays = 7;
        };
      };
    };
  tpm = stub.call ../../../impls/keyslots/tpm { config.nixfleet.keyslots.tpm.enable = false; };
in
{
  gitops-base = eq (scopes.gitops.forgejo repo) {
    baseUrl = "https://git.example.com/ops/fleet/raw/branch/main/releases/";
    artifactUrl = "https://git.example.com/ops/fleet/raw/branch/main/releases/fleet.resolved.json";
    signatureUrl = "https://git.example.com/ops/fleet/raw/branch/main/releases/fleet.resolved.json.sig";
    tokenFile = null;
  };
  gitops-branch-path = eq (scopes.gitops.gitea (repo // {
    branch = "release/v2";
    path = "/ci/out/";
    tokenFile = "/run/agenix/forge-token";
  })).baseUrl "https://git.example.com/ops/fleet/raw/branch/release/v2/ci/out/";
  gitops-root-path = eq (scopes.gitops.forgejo (repo // { path = ""; })).baseUrl "https://git.example.com/ops/fleet/raw/branch/main/";
  gitops-escapes = eq (scopes.gitops.forgejo (repo // { path = "my releases"; })).artifactUrl "https://git.example.com/ops/fleet/raw/branch/main/my%20releases/fleet.resolved.json";
  gitops-rejects-ssh = throws (scopes.gitops.forgejo (repo // { url = "git@git.example.com"; })).baseUrl;
  gitops-fits-cp-option = truthy (
    builtins.match "https?://.+" (scopes.gitops.forgejo repo).baseUrl != null
  ) "baseUrl must satisfy services.nixfleet-control-plane.releaseSource.url";

  identity-resolve = eq (identity.resolve {
    hostKey = "/etc/ssh/ssh_host_ed25519_key";
    userKey = "/home/u/age";
    extra = [ "/etc/ssh/ssh_host_ed25519_key" ];
  }) [ "/etc/ssh/ssh_host_ed25519_key" "/home/u/age" ];
  secrets-persisted = eq secrets.config.nixfleet.persistence.files [ "/persist/ssh/host" "/persist/age" "/persist/ssh/host.pub" ];
  secrets-host-key-unit = eq secrets.config.systemd.services.nixfleet-host-key.unitConfig.ConditionPathExists "!/persist/ssh/host";
  secrets-resolved-option = eq secrets.options.nixfleet.secrets.resolvedIdentityPaths.readOnly true;

  wipe-script = truthy (
    let
      s = wipe.script {
        device = "/dev/disk/by-label/nix os";
        retentionDays = 7;
      };
    in
    t.hasInfix ''mount -t btrfs -o subvol=/ "/dev/disk/by-label/nix os" /btrfs_tmp'' s && t.hasInfix "-mtime +7" s
  ) "the wipe script must quote the device and use the retention";
  impermanence-wiring = eq (imperm true).config.environment.persistence."/persist" {
    hideMounts = true;
    directories = [ "/var/lib/nixfleet-agent" ];
    files = [ "/etc/machine-id" ];
  };
  impermanence-needs-upstream = mentions (t.failing (imperm false).config.assertions) [ "inputs.impermanence.nixosModules.impermanence" ];
  impermanence-initrd = truthy (t.hasInfix "-mtime +7" (imperm true).config.boot.initrd.postResumeCommands) "the rollover must run in the initrd";

  options-style = none (
    styleOf "nixfleet.secrets" secrets.options.nixfleet.secrets
    ++ styleOf "nixfleet.persistence.impermanence" (imperm true).options.nixfleet.persistence.impermanence
    ++ styleOf "nixfleet.keyslots.tpm" tpm.options.nixfleet.keyslots.tpm
  );
  scopes-shape = eq (attrNames scopes) [ "gitops" "keyslots" "persistence" "secrets" ];
}
