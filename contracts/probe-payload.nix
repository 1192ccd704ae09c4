# Contract: a host-signed probe or evidence payload (Boundary contracts §I.4).
# The agent canonicalises it and signs it with the host's SSH ed25519 key so an
# auditor can check it offline with `nixfleet verify probe`.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
  status = types.enum [ "Pass" "Fail" ];
in
open
// {
  options = {
    schemaVersion = opt (types.enum [ 1 ]) "Version of the payload shape." 1 { };
    hostname = opt t.hostname "Host that ran the probe." "web-01" { };
    bootId = opt types.str "Kernel boot id when the probe ran." "5f1c1a9e-8c0e-4d0c-9b8e-2a7d5b2f1c3e" { };
    generationHash = opt (types.nullOr t.closureHash) "Closure that was current when the probe ran." null { };
    ts = opt t.timestamp "When the probe ran." "2026-05-16T01:27:20Z" { };
    rolloutId = opt (types.nullOr t.rolloutId) "Rollout the result belongs to, if any." "stable@3f2a9c1d" { };
    probe = opt types.str "Probe name." "evidence-nis2" { };
    kind = opt (types.enum [ "http" "tcp" "exec" "evidence" "health-gate" ]) "Probe kind." "evidence" { };
    mode = opt t.probeMode "Probe mode." "enforce" { };
    status = opt status "Aggregate result (Pass iff every control passed)." "Pass" { };
    schema = opt (types.nullOr types.str) "Control schema `<framework>/<version>` for evidence." "nis2-essential/v1" { };
    controls = opt (types.listOf (types.submodule (open // {
      options = {
        controlId = opt types.str "Control id." "nis2.art21.a" { };
        status = opt status "Control result." "Pass" { };
        framework = opt types.str "Framework." "nis2-essential" { };
        article = opt (types.nullOr types.str) "Article." "art.21.a" { };
      };
    }))) "Per-control results (empty for http/tcp/exec)." [ ] { };
    output = opt types.anything "Probe output (kind-specific)." null { };
  };
}
