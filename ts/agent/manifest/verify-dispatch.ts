// The agent's cross-check of a Dispatch against the signed rollout manifest
// (RFC-0003 §4.4, RFC-0005 §2.1): fetch the manifest (or use the cached
// copy), verify it against ciReleaseKey, recompute the rollout id, check
// freshness with clock-skew slack, refuse it when it was signed before the
// newest manifest this host adopted on its channel (rollback: the marks in
// the state directory, ts/trust/monotonic.ts), then look the host up in
// hostSet. Nothing
// in the Dispatch is trusted beyond naming the rollout. Must never act on the
// dispatch; it only says whether and why not.
import type { Dispatch, RolloutManifest } from '../../contracts/index.ts';
import { judgeIrrevocable } from '../../core/index.ts';
import { currentIrrevocable } from './irrevocable.ts';
import {
  checkNotRolledBack,
  parseJsonBytes,
  type MarkCandidate,
  verifyRolloutManifest,
  type TrustConfig,
  type VerifyError,
} from '../../trust/index.ts';
import type { ManifestFetch } from '../http/cp-api.ts';
import type { StateStore } from '../state/store.ts';

/** A verified manifest and what it says about this host. */
export interface ManifestVerdict {
  readonly ok: true;
  readonly manifest: RolloutManifest;
  /** `hostSet[hostname].targetClosure` when the host is in the dispatched wave, else `null`. */
  readonly manifestTarget: string | null;
  /** Why `manifestTarget` is null, for logs. */
  readonly membershipDetail: string | null;
  readonly fromCache: boolean;
  /** The channel mark this manifest sets once adopted (the caller persists it). */
  readonly mark: MarkCandidate;
}

/** Why the agent refuses before the reducer sees the dispatch. */
export interface ManifestRefusal {
  readonly ok: false;
  readonly reason: 'ManifestUnavailable' | 'ManifestInvalid' | 'Stale';
  readonly detail: string;
  /** The CP may serve it later (503, network): retry before refusing. */
  readonly transient: boolean;
  readonly verifyError?: VerifyError;
  /**
   * Set for a rollback (`AGENT_ERR_MANIFEST_ROLLBACK`) and for a target that
   * changes an irrevocable value without a signed acceptance
   * (`AGENT_ERR_IRREVOCABLE_CHANGE`).
   */
  readonly code?: 'AGENT_ERR_MANIFEST_ROLLBACK' | 'AGENT_ERR_IRREVOCABLE_CHANGE';
}

/** Options of {@link verifyDispatchManifest}. */
export interface VerifyDispatchOptions {
  readonly dispatch: Dispatch;
  readonly hostname: string;
  readonly trust: TrustConfig;
  readonly now: number;
  readonly clockSkewSlackMs: number;
  readonly store: StateStore;
  readonly fetch: (rolloutId: string) => Promise<ManifestFetch>;
  /** The closure the host runs (its values are the baseline); null or absent: unknown. */
  readonly currentClosure?: string | null;
}

function freshnessWindowSecs(bytes: Uint8Array): number {
  // Read before verification only to parameterise it: the same bytes are then
  // verified, so a forged window fails the signature check.
  const parsed = parseJsonBytes(bytes);
  if (!parsed.ok) return 0;
  const v = parsed.value.value as { freshnessWindow?: unknown };
  return typeof v.freshnessWindow === 'number' && v.freshnessWindow > 0
    ? v.freshnessWindow * 60
    : 0;
}

function verify(
  bytes: Uint8Array,
  signature: Uint8Array,
  o: VerifyDispatchOptions,
): ReturnType<typeof verifyRolloutManifest> {
  return verifyRolloutManifest(bytes, signature, {
    trust: o.trust,
    now: new Date(o.now),
    freshnessWindowSecs: freshnessWindowSecs(bytes),
    clockSkewSlackSecs: Math.floor(o.clockSkewSlackMs / 1000),
    expectedRolloutId: o.dispatch.rollout_id,
  });
}

function refusalOf(e: VerifyError): ManifestRefusal {
  const reason: ManifestRefusal['reason'] =
    e.kind === 'Stale' || e.kind === 'FutureDated' ? 'Stale' : 'ManifestInvalid';
  return { ok: false, reason, detail: `${e.code}: ${e.message}`, transient: false, verifyError: e };
}

/**
 * Fetches (or reuses) and verifies the dispatch's manifest, then resolves
 * the host's membership in the dispatched wave.
 *
 * @example const v = await verifyDispatchManifest({ dispatch, hostname, trust, now, ... });
 */
export async function verifyDispatchManifest(
  o: VerifyDispatchOptions,
): Promise<ManifestVerdict | ManifestRefusal> {
  const id = o.dispatch.rollout_id;
  let fromCache = false;
  let verified: ReturnType<typeof verifyRolloutManifest> | null = null;
  const cached = o.store.loadManifest(id);
  if (cached) {
    const r = verify(cached.bytes, cached.signature, o);
    if (r.ok) {
      verified = r;
      fromCache = true;
    } else if (r.error.kind === 'Stale' || r.error.kind === 'FutureDated') {
      // Manifests are immutable per id: a fresh fetch cannot be fresher.
      return refusalOf(r.error);
    } else {
      o.store.dropManifest(id);
    }
  }
  if (verified === null) {
    const fetched = await o.fetch(id);
    if (fetched.kind === 'not-found') {
      return {
        ok: false,
        reason: 'ManifestUnavailable',
        detail: `the control plane has no manifest for ${id}`,
        transient: false,
      };
    }
    if (fetched.kind === 'unavailable') {
      return { ok: false, reason: 'ManifestUnavailable', detail: fetched.detail, transient: true };
    }
    const r = verify(fetched.bytes, fetched.signature, o);
    if (!r.ok) return refusalOf(r.error);
    verified = r;
    o.store.saveManifest(id, { bytes: fetched.bytes, signature: fetched.signature });
  }
  if (!verified.ok) throw new Error('unreachable');
  const manifest = verified.value.value;
  const mark = { channel: manifest.channel, signedAt: verified.value.signedAt, release: id };
  const rolled = checkNotRolledBack(o.store.loadHighWater(o.now), [mark]);
  if (!rolled.ok) {
    return {
      ok: false,
      reason: 'ManifestInvalid',
      code: 'AGENT_ERR_MANIFEST_ROLLBACK',
      detail: `AGENT_ERR_MANIFEST_ROLLBACK: ${rolled.error.message}`,
      transient: false,
    };
  }
  const entry = manifest.hostSet.find((h) => h.hostname === o.hostname);
  let manifestTarget: string | null = null;
  let membershipDetail: string | null = null;
  if (!entry) membershipDetail = `${o.hostname} is not in the hostSet of ${id}`;
  else if (entry.waveIndex !== o.dispatch.wave) {
    membershipDetail = `${o.hostname} is in wave ${entry.waveIndex}, dispatched as wave ${o.dispatch.wave}`;
  } else manifestTarget = entry.targetClosure;
  if (entry && manifestTarget !== null && manifestTarget !== (o.currentClosure ?? null)) {
    // Last line of defence: the target's signed values against the running generation's.
    const current = currentIrrevocable(o.store, o.hostname, o.currentClosure ?? null);
    const verdict = judgeIrrevocable(
      o.hostname,
      current?.values ?? null,
      entry.irrevocable ?? {},
      entry.irrevocableAcceptances ?? [],
    );
    if (!verdict.ok) {
      return {
        ok: false,
        reason: 'ManifestInvalid',
        code: 'AGENT_ERR_IRREVOCABLE_CHANGE',
        detail: `AGENT_ERR_IRREVOCABLE_CHANGE: ${id} changes irrevocable values of ${o.hostname} signed with its current generation (${current?.rolloutId ?? '?'}) and records no acceptance for them: ${verdict.detail}. Fix: release with --accept-irrevocable-change ${verdict.unaccepted.map((c) => `${o.hostname}:${c.name}`).join(' ')}, or restore the values.`,
        transient: false,
      };
    }
  }
  return { ok: true, manifest, manifestTarget, membershipDetail, fromCache, mark };
}
