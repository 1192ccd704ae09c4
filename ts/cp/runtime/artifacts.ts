// The verified-artifact snapshot the mutator plans from: fleet.resolved,
// rollout manifests (bytes and signature kept byte-for-byte for serving),
// revocations and bootstrap nonces, each adopted only after ts/trust
// verified it. Owns the snapshot shape and the per-artifact health status.
// Must never hold an artifact that did not verify.
import type {
  BootstrapNonces,
  FleetResolved,
  Revocations,
  RolloutManifest,
} from '../../contracts/index.ts';

/** A verified artifact: its value, exact bytes, signature and facts. */
export interface VerifiedArtifact<T> {
  readonly value: T;
  readonly bytes: Uint8Array;
  readonly signature: Uint8Array;
  /** Lowercase hex SHA-256 of the canonical bytes. */
  readonly sha256: string;
  readonly signedAt: string;
  /** CP clock when adopted. */
  readonly adoptedAt: number;
}

/** Everything verified, as one immutable snapshot. */
export interface ArtifactSnapshot {
  readonly fleet: VerifiedArtifact<FleetResolved> | null;
  /** Every adopted manifest by rollout id (immutable by id, kept across polls). */
  readonly manifests: ReadonlyMap<string, VerifiedArtifact<RolloutManifest>>;
  readonly revocations: VerifiedArtifact<Revocations> | null;
  readonly nonces: VerifiedArtifact<BootstrapNonces> | null;
}

/** The empty snapshot of a fresh start. */
export const EMPTY_SNAPSHOT: ArtifactSnapshot = Object.freeze({
  fleet: null,
  manifests: new Map(),
  revocations: null,
  nonces: null,
});

/** Names of the artifacts the poller tracks, for health and metrics. */
export type ArtifactName =
  'fleet.resolved' | 'rollout-manifest' | 'revocations' | 'bootstrap-nonces';

/** Health of one artifact. */
export interface ArtifactHealth {
  /** `false` while the latest verification failed (an alert). */
  ok: boolean;
  /** `false` when the source does not publish it. */
  present: boolean;
  lastVerifiedAt: number | null;
  signedAt: string | null;
  /** The latest failure; `path` names the file (e.g. `rollouts/stable@<commit>.json`). */
  lastError: {
    code: string;
    message: string;
    at: number;
    path: string;
    /** Set on CP_ERR_ARTIFACT_ROLLBACK: the channel and both signing times. */
    /** `channel` null: a sidecar (revocations, bootstrap nonces). */
    rollback?: { channel: string | null; refusedSignedAt: string; adoptedSignedAt: string };
  } | null;
}

/**
 * The key of a sidecar's mark among the per-channel high-water marks: `@`
 * never occurs in a channel name (rollout ids are `<channel>@<ref>`).
 */
export function sidecarMark(name: 'revocations' | 'bootstrap-nonces'): string {
  return `@${name}`;
}
