// Bootstrap-token use (RFC-0003 §4.3, token_replay). A token is burned in
// the same durable commit that precedes the certificate, so a response lost
// after that commit (connection drop, CP crash, client timeout) would leave
// the host with a burned token and no certificate — locked out until an
// operator mints a new token. Decision (docs/control-plane.md, "Enrollment
// retries"): the same token presented again by the SAME key, before the host
// was ever heard from with a certificate, is the agent retrying a lost
// response, and gets a certificate again (a re-issue, logged as such). That
// is harmless: the certificate binds the host key the token already names,
// and only the holder of its private key (who signed the CSR) can use it.
// Everything else stays a replay (409): another key, a host that has already
// heartbeated since the token was used (its response arrived), certificates
// revoked since the token was used, or more than MAX_TOKEN_REISSUES retries.
import { enrolledNotification } from '../../core/index.ts';
import type { TokenUseRow } from '../storage/types.ts';
import type { Batch } from './batch.ts';
import type { RuntimeDeps } from './deps.ts';

/** Most re-issues one token allows after its first certificate. */
export const MAX_TOKEN_REISSUES = 5;

/** Why a token presented again is refused. */
export type ReplayReason =
  'different-key' | 'certificate-in-use' | 'revoked-since-use' | 'reissue-limit' | 'unbound';

/** What a presentation of a verified, allowlisted token gets. */
export type TokenUse =
  | { readonly kind: 'first' }
  | { readonly kind: 'reissue'; readonly issue: number; readonly firstUsedAt: number }
  | { readonly kind: 'replay'; readonly reason: ReplayReason; readonly firstUsedAt: number };

/**
 * Decides a presentation of a token whose signature, claims, key binding
 * and allowlist entry already verified. Pure.
 *
 * @example decideTokenUse(undefined, { hostname: 'web-01', fingerprint, lastSeenAt: null, revokedNotBefore: null }) // { kind: 'first' }
 */
export function decideTokenUse(
  row: TokenUseRow | undefined,
  args: {
    readonly hostname: string;
    readonly fingerprint: string;
    /** When the CP last heard a heartbeat from the host (mTLS, so with a certificate). */
    readonly lastSeenAt: number | null;
    /** The host's signed revocation `notBefore`, if any. */
    readonly revokedNotBefore: number | null;
  },
): TokenUse {
  if (row === undefined) return { kind: 'first' };
  const firstUsedAt = row.usedAt;
  const replay = (reason: ReplayReason): TokenUse => ({ kind: 'replay', reason, firstUsedAt });
  // Rows from before schema 2 do not say which key used them: never re-issue.
  if (row.fingerprint === null) return replay('unbound');
  if (row.fingerprint !== args.fingerprint || row.hostname !== args.hostname) {
    return replay('different-key');
  }
  // A heartbeat after the first use proves a certificate arrived: nothing was lost.
  if (args.lastSeenAt !== null && args.lastSeenAt >= firstUsedAt) {
    return replay('certificate-in-use');
  }
  // An operator revoked what this token produced: it must not mint replacements.
  if (args.revokedNotBefore !== null && args.revokedNotBefore > firstUsedAt) {
    return replay('revoked-since-use');
  }
  if (row.issued >= 1 + MAX_TOKEN_REISSUES) return replay('reissue-limit');
  return { kind: 'reissue', issue: row.issued + 1, firstUsedAt };
}

/**
 * Records a presentation in the mutator (same batch as whatever else is
 * committed with it) and returns the decision. Burns the nonce on first use,
 * counts a re-issue, writes nothing for a replay.
 */
export function claimToken(
  deps: RuntimeDeps,
  batch: Batch,
  args: {
    readonly nonce: string;
    readonly hostname: string;
    readonly fingerprint: string;
    readonly expiresAt: number;
    readonly now: number;
  },
): TokenUse {
  const { state } = deps;
  const row = state.tokens.get(args.nonce);
  const use = decideTokenUse(row, {
    hostname: args.hostname,
    fingerprint: args.fingerprint,
    lastSeenAt: state.liveness.get(args.hostname)?.lastHeartbeatAt ?? null,
    revokedNotBefore: state.revocations.get(args.hostname)?.notBefore ?? null,
  });
  if (use.kind === 'replay') return use;
  const next: TokenUseRow =
    row === undefined || use.kind === 'first'
      ? {
          nonce: args.nonce,
          hostname: args.hostname,
          usedAt: args.now,
          expiresAt: args.expiresAt,
          fingerprint: args.fingerprint,
          issued: 1,
        }
      : { ...row, issued: use.issue };
  state.noteTokenUse(next);
  batch.push({ op: 'putTokenUse', row: next });
  if (use.kind === 'first') {
    batch.notify(
      enrolledNotification({ hostname: args.hostname, nonce: args.nonce, at: args.now }),
      null,
      args.now,
    );
  }
  return use;
}
