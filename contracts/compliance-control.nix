# Contract: one compliance control as declared in the catalogue (book §1.6,
# RFC-0007 §7), without its static `evaluate` function (a Nix function has no
# JSON form). lib/compliance checks every catalogue entry against it, and
# `nix-instantiate --eval --strict --json lib/compliance -A declarations`
# exports the catalogue in this shape for the collector and the docs.
# Closed: a control with an unknown key is a typo in the catalogue.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt;
  scalar = types.oneOf [
    types.str
    t.int
    types.bool
  ];
in
{
  options = {
    id = opt (types.strMatching "[a-z0-9][a-z0-9-]{0,62}") "Stable control id; the key of controlOverrides and of the evidence file's controls." "ssh-root-login-disabled" { };
    title = opt types.str "One-line statement of what the control requires." "SSH refuses logins as root." { };
    rationale = opt types.str "Why the control matters, for the operator who reads a refusal." "Root logins are not attributable to a person." { };
    frameworks = opt (types.attrsOf (types.listOf types.str)) "Frameworks (keys of lib/compliance-frameworks.nix) the control belongs to, each with the articles or recommendations it implements." { anssi-bp028 = [ "R33" ]; iso27001 = [ "A.8.2" ]; } { };
    static = opt (types.submodule {
      options = {
        optionPaths = opt (types.listOf (types.listOf types.str)) "NixOS option paths the static evaluation reads, as path segments (a sysctl name is one segment)." [ [ "services" "openssh" "settings" "PermitRootLogin" ] ] { };
      };
    }) "The static side: `evaluate :: config -> { passed, evidence }` runs at release time over these option values; an option absent from the configuration fails the control." { } { };
    probe = opt (types.submodule {
      options = {
        command = opt (types.listOf types.str) "argv the collector runs on the host (no shell unless argv[0] is one)." [ "sshd" "-T" ] { };
        output = opt (types.enum [ "json" "key-value" "properties" "sysctl" "lines" "exit-code" ]) "How the collector turns stdout into a JSON object: json (one object), key-value (`key value` lines, keys lowercased), properties (`KEY=VALUE` lines), sysctl (`key = value` lines), lines ({ lines, count }); every format also records exitCode." "key-value" { };
        expectedShape = opt (types.attrsOf (types.enum [ "string" "integer" "boolean" "array" "object" ])) "Fields the normalised output must carry, with their JSON types; output without them fails the control (a probe error is a failure)." { permitrootlogin = "string"; } { };
        expect = opt (types.attrsOf (types.listOf scalar)) "Values that pass, per field; the control passes only when every listed field has one of its values. Never empty." { permitrootlogin = [ "no" ]; } { };
        schemaVersion = opt t.positive "Version of this probe's output shape; bumped when the command or its expectations change meaning." 1 { };
      };
    }) "The runtime side the collector runs after activation (RFC-0007 §7)." { } { };
  };
}
