// What an operator does about a refused enrollment, by the CP's error code:
// the agent cannot fix any of these itself (a new token or a release is
// needed), so its log line names the command. Pure text; no I/O.

/** What the operator must do for each refusal the CP gives at /v1/enroll. */
const FIXES: Readonly<Record<string, string>> = {
  CP_ERR_NONCE_NOT_ALLOWED:
    "the token's nonce is not in the released bootstrapNonces: add the snippet `nixfleet mint-token` printed to fleet.nix bootstrapNonces and run `nixfleet release`",
  CP_ERR_TOKEN_EXPIRED:
    'mint a new token (`nixfleet mint-token --hostname HOST --pubkey-file HOST_KEY.pub`), add its nonce to bootstrapNonces, run `nixfleet release`, and install it as --bootstrap-token-file',
  CP_ERR_TOKEN_REPLAYED:
    'each token enrolls once: mint a new one (`nixfleet mint-token`), release its nonce and install it as --bootstrap-token-file',
  CP_ERR_TOKEN_INVALID:
    'the token is not signed by an active org root key in trust.json: mint it again with the current key (`nixfleet mint-token --org-root-key … --trust trust.json`)',
  CP_ERR_TOKEN_CLAIM_MISMATCH:
    'the token names another hostname or key: mint one for this host (`nixfleet mint-token --hostname HOST --pubkey-file HOST_KEY.pub`)',
  CP_ERR_KEY_MISMATCH:
    "this host's SSH key is not the pubkey fleet.nix declares for it: update hosts.HOST.pubkey (`nixfleet derive-pubkey --format openssh`) and run `nixfleet release`",
  CP_ERR_CSR_INVALID: 'the host key cannot sign a valid CSR: check --ssh-host-key-file (ed25519)',
};

/**
 * The fix for a refusal code, with the host's name filled in.
 *
 * @example enrollFix('CP_ERR_TOKEN_EXPIRED', 'web-01') // 'mint a new token (`nixfleet mint-token --hostname web-01 …'
 */
export function enrollFix(cpCode: string | null, hostname: string): string {
  const fix =
    (cpCode === null ? undefined : FIXES[cpCode]) ??
    'see the control plane log for this host and docs/agent.md (Enrollment)';
  return fix.replaceAll('HOST', hostname);
}
