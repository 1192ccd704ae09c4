# flake.scopes: the contract implementations a fleet opts into, one per
# family (book §10.4). Modules are paths (import them in a host's modules);
# gitops builders are functions (pure data).
{
  persistence.impermanence = ./persistence/impermanence.nix;
  keyslots.tpm = ./keyslots/tpm;
  gitops = {
    forgejo = import ./gitops/forgejo.nix;
    # Gitea serves raw files at the same paths.
    gitea = import ./gitops/forgejo.nix;
  };
  secrets = ./secrets;
}
