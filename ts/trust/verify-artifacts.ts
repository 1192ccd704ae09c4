// The CI-signed artifacts of the boundary contracts, each a thin binding of the
// shared pipeline (verify-signed.ts) to its contract, plus the rollout
// manifest's extra checks: its id is recomputed from the signed fields, and its
// fleetResolvedHash anchor is compared with the fleet.resolved the caller holds.
import type {
  BootstrapNonces,
  FleetResolved,
  Revocations,
  RolloutManifest,
} from '../contracts/index.ts';
import { verifyError } from './errors.ts';
import { err } from './result.ts';
import { rolloutId } from './rollout-id.ts';
import { verifySignedArtifact, type VerifyOptions, type VerifyResult } from './verify-signed.ts';

/**
 * Verifies a signed fleet.resolved.json (exact file bytes + raw signature).
 *
 * @example
 *   const r = verifyArtifact(readFileSync('fleet.resolved.json'), readFileSync('fleet.resolved.json.sig'), {
 *     trust, now: new Date(), freshnessWindowSecs: 1440 * 60,
 *   });
 *   if (!r.ok) log.error({ code: r.error.code }, r.error.message);
 */
export function verifyArtifact(
  artifact: Uint8Array,
  signature: Uint8Array,
  options: VerifyOptions,
): VerifyResult<FleetResolved> {
  return verifySignedArtifact(artifact, signature, {
    ...options,
    contract: 'fleet-resolved',
    label: 'fleet.resolved',
  });
}

/**
 * Verifies a signed revocations.json sidecar.
 *
 * @example
 *   verifyRevocations(bytes, sig, { trust, now, freshnessWindowSecs })
 */
export function verifyRevocations(
  artifact: Uint8Array,
  signature: Uint8Array,
  options: VerifyOptions,
): VerifyResult<Revocations> {
  return verifySignedArtifact(artifact, signature, {
    ...options,
    contract: 'revocations',
    label: 'revocations',
  });
}

/**
 * Verifies a signed bootstrap-nonces.json sidecar.
 *
 * @example
 *   verifyBootstrapNonces(bytes, sig, { trust, now, freshnessWindowSecs })
 */
export function verifyBootstrapNonces(
  artifact: Uint8Array,
  signature: Uint8Array,
  options: VerifyOptions,
): VerifyResult<BootstrapNonces> {
  return verifySignedArtifact(artifact, signature, {
    ...options,
    contract: 'bootstrap-nonces',
    label: 'bootstrap-nonces',
  });
}

/** Options of {@link verifyRolloutManifest}. */
export interface VerifyRolloutManifestOptions extends VerifyOptions {
  /** The rollout id the manifest was fetched under (URL, dispatch, CLI flag). */
  readonly expectedRolloutId: string;
  /**
   * SHA-256 (lowercase hex) of the canonical bytes of the verified
   * fleet.resolved the caller holds; when given, the manifest's
   * `fleetResolvedHash` must equal it (CP adoption).
   */
  readonly fleetResolvedHash?: string;
}

/**
 * Verifies a signed rollout manifest, then recomputes `<channel>@<channelRef>`
 * from its signed fields and compares it with the id it was served under, and
 * optionally checks its fleetResolvedHash anchor.
 *
 * @example
 *   verifyRolloutManifest(bytes, sig, { trust, now, freshnessWindowSecs, expectedRolloutId: 'stable@3f2a9c0' })
 */
export function verifyRolloutManifest(
  manifest: Uint8Array,
  signature: Uint8Array,
  options: VerifyRolloutManifestOptions,
): VerifyResult<RolloutManifest> {
  const verified = verifySignedArtifact(manifest, signature, {
    ...options,
    contract: 'rollout-manifest',
    label: 'rollout manifest',
  });
  if (!verified.ok) return verified;
  const { channel, channelRef, fleetResolvedHash } = verified.value.value;
  const id = rolloutId(channel, channelRef);
  const actual = id.ok ? id.value : `${channel}@${channelRef}`;
  if (!id.ok || actual !== options.expectedRolloutId) {
    return err(
      verifyError(
        'RolloutIdMismatch',
        `rollout manifest: signed for ${JSON.stringify(actual)} but served as ${JSON.stringify(options.expectedRolloutId)}`,
        { expected: options.expectedRolloutId, actual },
      ),
    );
  }
  if (options.fleetResolvedHash !== undefined && fleetResolvedHash !== options.fleetResolvedHash) {
    return err(
      verifyError(
        'AnchorMismatch',
        `rollout manifest: fleetResolvedHash ${fleetResolvedHash} is not the hash of the fleet.resolved held (${options.fleetResolvedHash})`,
        { expected: options.fleetResolvedHash, actual: fleetResolvedHash },
      ),
    );
  }
  return verified;
}
