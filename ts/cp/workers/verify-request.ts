// One verification of a signed release artifact, as a message: which
// verifier of ts/trust runs, over which bytes, at which instant. The
// artifact poller's verifications go through it, inline or on the verify
// thread (verify-thread.ts); both run `verifyRequest`, so a verification
// decides the same wherever it runs. Also the trust.json a TrustConfig came
// from, so the thread rebuilds the same trust (node key objects are built
// per thread). Must never decide anything ts/trust does not.
import type {
  BootstrapNonces,
  FleetResolved,
  Revocations,
  RolloutManifest,
  TrustJson,
} from '../../contracts/index.ts';
import {
  verifyArtifact,
  verifyBootstrapNonces,
  verifyRevocations,
  verifyRolloutManifest,
  type PublicKey,
  type TrustConfig,
  type TrustSlot,
  type VerifyOptions,
  type VerifyResult,
} from '../../trust/index.ts';

/** The value each kind of artifact verifies to. */
export interface ArtifactValues {
  readonly 'fleet.resolved': FleetResolved;
  readonly 'rollout-manifest': RolloutManifest;
  readonly revocations: Revocations;
  readonly 'bootstrap-nonces': BootstrapNonces;
}

/** The kinds of signed release artifact. */
export type ArtifactKind = keyof ArtifactValues;

/** One verification: the pair, the instant and the anchors a manifest is checked against. */
export interface VerifyRequest<K extends ArtifactKind = ArtifactKind> {
  readonly kind: K;
  readonly bytes: Uint8Array;
  readonly sig: Uint8Array;
  /** The instant of verification (epoch ms, the CP's clock). */
  readonly now: number;
  readonly freshnessWindowSecs: number;
  /** Rollout manifests: the id it was fetched under. */
  readonly expectedRolloutId?: string;
  /** Rollout manifests: the hash of the verified fleet.resolved it belongs to. */
  readonly fleetResolvedHash?: string;
}

/**
 * Runs the request's ts/trust verifier.
 *
 * @example verifyRequest(trust, { kind: 'revocations', bytes, sig, now, freshnessWindowSecs })
 */
export function verifyRequest<K extends ArtifactKind>(
  trust: TrustConfig,
  req: VerifyRequest<K>,
): VerifyResult<ArtifactValues[K]> {
  const options: VerifyOptions = {
    trust,
    now: new Date(req.now),
    freshnessWindowSecs: req.freshnessWindowSecs,
  };
  const { bytes, sig } = req;
  switch (req.kind) {
    case 'fleet.resolved':
      return verifyArtifact(bytes, sig, options) as VerifyResult<ArtifactValues[K]>;
    case 'revocations':
      return verifyRevocations(bytes, sig, options) as VerifyResult<ArtifactValues[K]>;
    case 'bootstrap-nonces':
      return verifyBootstrapNonces(bytes, sig, options) as VerifyResult<ArtifactValues[K]>;
    default:
      return verifyRolloutManifest(bytes, sig, {
        ...options,
        expectedRolloutId: req.expectedRolloutId ?? '',
        ...(req.fleetResolvedHash === undefined
          ? {}
          : { fleetResolvedHash: req.fleetResolvedHash }),
      }) as VerifyResult<ArtifactValues[K]>;
  }
}

function keyJson(k: PublicKey | null): TrustJson['ciReleaseKey']['current'] {
  return k === null ? null : { algorithm: k.algorithm, public: k.base64 };
}

function slotJson(s: TrustSlot): TrustJson['ciReleaseKey'] {
  return {
    current: keyJson(s.current),
    previous: keyJson(s.previous),
    successor: keyJson(s.successor),
    rejectBefore: s.rejectBefore?.text ?? null,
    retireAt: s.retireAt?.text ?? null,
  } as TrustJson['ciReleaseKey'];
}

/**
 * The trust.json a TrustConfig decodes (`parseTrustConfig` of it gives the
 * same config): what the verify thread is started with.
 */
export function trustJsonOf(t: TrustConfig): TrustJson {
  return {
    schemaVersion: t.schemaVersion,
    ciReleaseKey: slotJson(t.ciReleaseKey),
    orgRootKey: t.orgRootKey === null ? null : slotJson(t.orgRootKey),
    cacheKeys: [...t.cacheKeys],
  } as TrustJson;
}
