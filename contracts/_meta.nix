# The `meta` envelope of signed artifacts (Boundary contracts §I.1, §V
# pattern A). mkFleet leaves the nullable values null; the release step fills
# them. `signatureAlgorithm` is absent before signing and means "ed25519" when
# absent.
{ lib }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt;
in
types.submodule (
  t.open
  // {
    options = {
      schemaVersion = opt (types.enum [ 1 ]) "Version of the artifact's shape." 1 { };
      signedAt = opt (types.nullOr t.timestamp) "When CI signed the artifact (freshness is measured from it)." "2026-05-16T01:00:00Z" { };
      ciCommit = opt (types.nullOr types.str) "Commit CI built and signed." "3f2a9c1d0e4b" { };
      signatureAlgorithm = opt t.signatureAlgorithm "Algorithm of the detached signature; absent means ed25519." "ed25519" { default = "ed25519"; };
    };
  }
)
// {
  schemaName = "ArtifactMeta";
}
