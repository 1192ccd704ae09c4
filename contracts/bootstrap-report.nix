# Contract: POST /v1/agent/bootstrap-report body (CONTRACTS.md): how an agent
# that cannot enroll or cannot trust its configuration tells the operator.
# Authenticated by the bootstrap token, not by mTLS.
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options = {
    token = opt (types.attrsOf types.anything) "The bootstrap token the agent holds." { } { };
    agentVersion = opt types.str "Agent version." "0.2.0" { };
    occurredAt = opt t.timestamp "When it happened." "2026-05-16T01:00:00Z" { };
    event = opt (types.submodule (open // {
      options = {
        kind = opt (types.enum [ "TrustError" "EnrollmentFailed" ]) "What happened." "TrustError" { };
        code = opt types.str "Stable error code." "AGENT_ERR_TRUST_FILE" { };
        message = opt types.str "Human-readable message." "trust.json: unknown schemaVersion 2" { };
      };
    })) "The event." { } { };
  };
}
