// The manifests a fleet.resolved implies (`<channel>@<ciCommit>`), fetched
// and verified against its hash, without touching health or alerts: the
// poller decides what a failure means (an alert for the source, a refused
// copy for the release cache).
import type { FleetResolved, RolloutManifest } from '../../contracts/index.ts';
import type { TrustConfig, VerifyResult } from '../../trust/index.ts';
import type { VerifiedArtifact } from '../runtime/artifacts.ts';
import { fetchVerified, manifestExpected, type Read } from './signed-pair.ts';

const ROLLOUT_ID = /^[a-z0-9_-]+@[0-9a-f]+$/;

/** A manifest a release must carry that is missing or does not verify. */
export interface ManifestFailure {
  readonly rel: string;
  readonly code: string;
  readonly message: string;
}

/** What {@link releaseManifests} found. */
export interface ReleaseManifests {
  /** `known` plus every manifest that verified (`known` itself when none was added). */
  readonly manifests: ReadonlyMap<string, VerifiedArtifact<RolloutManifest>>;
  readonly failures: readonly ManifestFailure[];
  /** signedAt of the last manifest that verified, null when none was fetched. */
  readonly signedAt: string | null;
}

/**
 * Fetches and verifies each manifest of `fleet` not already in `known`. A
 * manifest is required for every channel `nixfleet release` publishes one
 * for (manifestExpected); a missing one is `CP_ERR_ARTIFACT_MISSING`.
 *
 * @example const { manifests, failures } = await releaseManifests(fleet, known, { read, trust, verify, now });
 */
export async function releaseManifests(
  fleet: VerifiedArtifact<FleetResolved>,
  known: ReadonlyMap<string, VerifiedArtifact<RolloutManifest>>,
  o: {
    readonly read: Read;
    readonly trust: TrustConfig | null;
    /** Verifies one manifest against its rollout id and the fleet's hash. */
    readonly verify: (
      bytes: Uint8Array,
      sig: Uint8Array,
      anchor: { readonly expectedRolloutId: string; readonly fleetResolvedHash: string },
    ) => Promise<VerifyResult<RolloutManifest>>;
    readonly now: () => number;
  },
): Promise<ReleaseManifests> {
  const ref = fleet.value.meta.ciCommit;
  const failures: ManifestFailure[] = [];
  if (ref === null) return { manifests: known, failures, signedAt: null };
  const next = new Map(known);
  let signedAt: string | null = null;
  for (const channel of Object.keys(fleet.value.channels).sort()) {
    const id = `${channel}@${ref}`;
    if (next.has(id) || !ROLLOUT_ID.test(id)) continue;
    const rel = `rollouts/${id}.json`;
    const r = await fetchVerified<RolloutManifest>(
      o.read,
      rel,
      o.trust,
      (b, s) => o.verify(b, s, { expectedRolloutId: id, fleetResolvedHash: fleet.sha256 }),
      o.now,
    );
    if (r.kind === 'ok') {
      next.set(id, r.artifact);
      signedAt = r.artifact.signedAt;
      continue;
    }
    if (r.kind === 'absent' && !manifestExpected(fleet.value, channel)) continue;
    failures.push(
      r.kind === 'absent'
        ? {
            rel,
            code: 'CP_ERR_ARTIFACT_MISSING',
            message: `${rel} is not published although channel ${channel} has hosts`,
          }
        : { rel, code: r.code, message: r.message },
    );
  }
  return { manifests: next.size === known.size ? known : next, failures, signedAt };
}
