# Shared shapes of signed irrevocable values (fleet.resolved hosts.<h> and the
# rollout manifest's hostSet entries) and of their recorded acceptances. Not
# a contract itself (leading underscore).
#
# A value is signed as its SHA-256 (hex of the RFC 8785 canonical JSON of the
# value) and, unless declared sensitive, the value itself: comparisons use
# the digest only, so a sensitive value is guarded without being published.
{ lib }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
  scalar = types.oneOf [ types.str t.int types.bool ];
  signedValue = types.submodule (open // {
    options = {
      sha256 = opt t.sha256Hex "Lowercase hex SHA-256 of the canonical JSON of the value." "6902ca67f52fc544c00e9be90f5d43daba1adc8346edca6cfd5802e37a28a85e" { };
      value = opt (types.nullOr scalar) "The value; null when declared sensitive." "example.com" { };
      sensitive = opt types.bool "Whether only the digest is signed." false { };
    };
  });
  # What an author declares: a scalar, or { value; sensitive; } to sign
  # only its digest.
  decl = types.oneOf [
    scalar
    (types.submodule {
      options = {
        value = opt scalar "The value." "matrix.example.com" { };
        sensitive = opt types.bool "Sign only the value's SHA-256, never the value itself." true { default = false; };
      };
    })
  ];
in
{
  inherit decl;

  declOpt = scope: opt (types.attrsOf decl) "Values declared at ${scope} scope that must never change once released, by name; a release that changes, replaces or removes one is refused unless it is accepted (docs/fleet-authors.md, \"Values that must never change\")." { serverName = "example.com"; } { default = { }; };

  valuesOpt = opt (types.attrsOf signedValue) "Irrevocable values of the host, by name (docs/fleet-authors.md); absent in artifacts signed before they existed." {
    serverName = {
      sha256 = "6902ca67f52fc544c00e9be90f5d43daba1adc8346edca6cfd5802e37a28a85e";
      value = "example.com";
      sensitive = false;
    };
  } { default = { }; };

  acceptance = types.submodule (open // {
    options = {
      host = opt t.hostname "Host whose value changed." "matrix-01" { };
      name = opt types.str "Name of the irrevocable value." "serverName" { };
      oldSha256 = opt (types.nullOr t.sha256Hex) "Digest of the value before the change (null: none was signed)." "9b48aaa90cfbe60fb53223544bd57b8f3c8a2e30ba527e9f7f7919b3a8a8d564" { };
      newSha256 = opt (types.nullOr t.sha256Hex) "Digest of the accepted value (null: the value was removed)." "6902ca67f52fc544c00e9be90f5d43daba1adc8346edca6cfd5802e37a28a85e" { };
      oldValue = opt (types.nullOr scalar) "The value before the change; null when sensitive or absent." "matrix.example.com" { };
      newValue = opt (types.nullOr scalar) "The accepted value; null when sensitive or removed." "example.com" { };
      acceptedBy = opt types.str "Who accepted it: the CI identity the release ran as (`--accepted-by`)." "ci@github:example/fleet" { };
      ciCommit = opt t.gitCommit "Commit of the release that accepted it." "3f2a9c1d0e4b" { };
      acceptedAt = opt t.timestamp "signedAt of the release that accepted it." "2026-05-16T01:00:00Z" { };
    };
  });
}
