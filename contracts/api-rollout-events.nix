# Contract: GET /v1/rollouts/{id}/events[?after=<seq>] — the rollout's event
# log (agent events as received, CP transitions), oldest first. `--follow`
# polls with `after` = the last seq seen. A ProbeResult that carried signed
# evidence has `evidence` (payload bytes as signed, and the signature).
{ lib, ... }:
let
  inherit (lib) types;
  t = import ./_types.nix { inherit lib; };
  inherit (t) opt open;
in
open
// {
  options = {
    rolloutId = opt t.rolloutId "Rollout." "stable@3f2a9c1d" { };
    events = opt (types.listOf (types.submodule (open // {
      options = {
        seq = opt t.positive "Event-log sequence number (global, increasing)." 42 { };
        at = opt t.timestamp "Event time (agent-supplied for agent events)." "2026-05-16T01:27:05Z" { };
        hostname = opt (types.nullOr types.str) "Host, for host events." "web-01" { };
        kind = opt types.str "Event kind (e.g. ActivationComplete, WavePromoted)." "ActivationComplete" { };
        payload = opt types.anything "The event body." { } { };
        evidence = opt (types.nullOr (types.submodule (open // {
          options = {
            payloadJcs = opt types.str "The probe payload exactly as signed: its JCS (RFC 8785) text, UTF-8. Write it to a file for `nixfleet verify probe --payload`." "{\"bootId\":\"0f4c7c1e\",\"controls\":[],\"generationHash\":null,\"hostname\":\"web-01\",\"kind\":\"exec\",\"mode\":\"enforce\",\"output\":{\"exitCode\":0,\"failureReason\":null},\"probe\":\"nginx-version\",\"rolloutId\":\"stable@3f2a9c1d\",\"schema\":null,\"schemaVersion\":1,\"status\":\"Pass\",\"ts\":\"2026-05-16T01:27:20Z\"}" { };
            signature = opt (types.nullOr t.base64) "Base64 ed25519 signature by the host key, as the agent sent it." "c2lnbmF0dXJl" { };
          };
        }))) "Signed probe evidence a ProbeResult carried (null otherwise), kept so an auditor can verify it from control-plane data alone with the host's public key." null { default = null; };
      };
    }))) "Events, oldest first." [ ] { };
  };
}
