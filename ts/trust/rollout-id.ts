// Rollout identifiers: rolloutId = "<channel>@<channelRef>" (RFC-0008 §6.3,
// CONTRACTS.md "Rollout manifest"). The CP route filter and this constructor
// share one pattern so an id that can be built can also be served.
import { err, ok, type Result } from './result.ts';

/** The route filter every rollout id satisfies. */
export const ROLLOUT_ID_PATTERN = /^[a-z0-9_-]+@[0-9a-f]+$/;

const CHANNEL_RE = /^[a-z0-9_-]+$/;
const REF_RE = /^[0-9a-f]+$/;

/** A string known to match {@link ROLLOUT_ID_PATTERN}; build with {@link rolloutId}. */
export type RolloutId = string & { readonly __brand: 'RolloutId' };

/** Why a rollout id could not be built. */
export interface RolloutIdError {
  readonly kind: 'InvalidRolloutId';
  readonly code: 'TRUST_ERR_INVALID_ROLLOUT_ID';
  readonly message: string;
}

/**
 * Builds the canonical rollout id of a channel at a channel ref.
 *
 * @example
 *   rolloutId('stable', '3f2a9c0') // { ok: true, value: 'stable@3f2a9c0' }
 */
export function rolloutId(channel: string, channelRef: string): Result<RolloutId, RolloutIdError> {
  if (!CHANNEL_RE.test(channel)) {
    return err({
      kind: 'InvalidRolloutId',
      code: 'TRUST_ERR_INVALID_ROLLOUT_ID',
      message: `channel ${JSON.stringify(channel)} does not match [a-z0-9_-]+`,
    });
  }
  if (!REF_RE.test(channelRef)) {
    return err({
      kind: 'InvalidRolloutId',
      code: 'TRUST_ERR_INVALID_ROLLOUT_ID',
      message: `channel ref ${JSON.stringify(channelRef)} is not lowercase hex`,
    });
  }
  return ok(`${channel}@${channelRef}` as RolloutId);
}

/**
 * True when `text` is a well-formed rollout id (the CP route filter).
 *
 * @example
 *   isRolloutId('stable@3f2a9c0') // true
 *   isRolloutId('../etc@passwd') // false
 */
export function isRolloutId(text: string): text is RolloutId {
  return ROLLOUT_ID_PATTERN.test(text);
}
