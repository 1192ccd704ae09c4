// Fetching and verifying one signed artifact pair (`<rel>` and `<rel>.sig`)
// from any reader (the release sources, or the release cache), without
// touching health or alerts: the poller decides what a failure means. Also
// the rule for which channels a release must carry a manifest for.
import type { FleetResolved } from '../../contracts/index.ts';
import { ownValue } from '../../core/index.ts';
import type { TrustConfig, VerifyResult } from '../../trust/index.ts';
import { CpError } from '../errors.ts';
import type { VerifiedArtifact } from '../runtime/artifacts.ts';

/** Reads artifact bytes by relative path; null when absent. */
export type Read = (rel: string) => Promise<Uint8Array | null>;

/** One signed pair as fetched. */
export interface SignedPair {
  readonly bytes: Uint8Array;
  readonly sig: Uint8Array;
}

/** One fetch-and-verify: verified, absent, or refused with a code. */
export type Fetched<T> =
  | { readonly kind: 'ok'; readonly artifact: VerifiedArtifact<T> }
  | { readonly kind: 'absent' }
  | { readonly kind: 'error'; readonly code: string; readonly message: string };

/**
 * Verifier of one pair (on the verify thread, see verify-thread.ts). A
 * rejection means it could not verify: a refusal, never a pass.
 */
export type Verify<T> = (bytes: Uint8Array, sig: Uint8Array) => Promise<VerifyResult<T>>;

/** Reads `<rel>` and `<rel>.sig`; null when the artifact is absent, throws when only the signature is. */
export async function readPair(read: Read, rel: string): Promise<SignedPair | null> {
  const bytes = await read(rel);
  if (bytes === null) return null;
  const sig = await read(`${rel}.sig`);
  if (sig === null) throw new Error(`${rel}.sig is missing`);
  return { bytes, sig };
}

/** Verifies one fetched pair (`trust` null: refused, nothing can verify). */
export async function verifyPair<T>(
  got: SignedPair,
  trust: TrustConfig | null,
  verify: Verify<T>,
  now: number,
): Promise<Fetched<T>> {
  if (trust === null) {
    return {
      kind: 'error',
      code: 'CP_ERR_NO_TRUST',
      message: 'no --trust-file: signed artifacts cannot be verified',
    };
  }
  let r: VerifyResult<T>;
  try {
    r = await verify(got.bytes, got.sig);
  } catch (e) {
    const code = e instanceof CpError ? e.code : 'CP_ERR_VERIFY_THREAD';
    return { kind: 'error', code, message: (e as Error).message };
  }
  if (!r.ok) return { kind: 'error', code: r.error.code, message: r.error.message };
  return {
    kind: 'ok',
    artifact: {
      value: r.value.value,
      bytes: got.bytes,
      signature: got.sig,
      sha256: r.value.sha256,
      signedAt: r.value.signedAt,
      adoptedAt: now,
    },
  };
}

/** Fetches and verifies one pair; a fetch failure is `CP_ERR_ARTIFACT_FETCH`. */
export async function fetchVerified<T>(
  read: Read,
  rel: string,
  trust: TrustConfig | null,
  verify: Verify<T>,
  now: () => number,
): Promise<Fetched<T>> {
  let got: SignedPair | null;
  try {
    got = await readPair(read, rel);
  } catch (e) {
    return { kind: 'error', code: 'CP_ERR_ARTIFACT_FETCH', message: (e as Error).message };
  }
  return got === null ? { kind: 'absent' } : await verifyPair(got, trust, verify, now());
}

/**
 * Whether `nixfleet release` publishes a manifest for `channel`: it does for
 * every channel with a wave host that has a closure (an empty channel has
 * none), so a missing one is a hole in the release, not an empty channel.
 */
export function manifestExpected(fleet: FleetResolved, channel: string): boolean {
  return (ownValue(fleet.waves, channel) ?? []).some((w) =>
    w.hosts.some((h) => (ownValue(fleet.hosts, h)?.closureHash ?? null) !== null),
  );
}
