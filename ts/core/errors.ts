// Error vocabulary of the pure core. Owns the stable error codes and the
// tagged result shape reducers return. Expected failures (an event that is
// illegal in the current state, a duplicate seq) are values; only a broken
// internal invariant throws. Must never format messages that callers are
// expected to parse: callers branch on `code`.

/**
 * Stable error codes returned by the reducers and replay.
 *
 * - `CORE_ERR_ILLEGAL_TRANSITION`: the event is not legal in the current state.
 * - `CORE_ERR_DUPLICATE_SEQ`: a remote event's seq is not above the last one
 *   seen (a retry or an out-of-order event; the CP answers 204 and drops it).
 * - `CORE_ERR_INVARIANT_REJECTED`: the transition would break a state
 *   invariant (a Converged event whose conditions do not hold; CP answers 409).
 * - `CORE_ERR_MISMATCHED_EVENT`: the event names another rollout or host.
 * - `CORE_ERR_SUPERSESSION_EXPECTED`: RolloutOpened on a channel that still
 *   has an active rollout (RFC-0008 §3; SuccessorOpened must come first).
 * - `CORE_ERR_UNKNOWN_ROLLOUT`: a rollout event names a rollout never opened.
 * - `CORE_ERR_REPLAY_FAILED`: a logged event was rejected during replay.
 */
export type CoreErrorCode =
  | 'CORE_ERR_ILLEGAL_TRANSITION'
  | 'CORE_ERR_DUPLICATE_SEQ'
  | 'CORE_ERR_INVARIANT_REJECTED'
  | 'CORE_ERR_MISMATCHED_EVENT'
  | 'CORE_ERR_SUPERSESSION_EXPECTED'
  | 'CORE_ERR_UNKNOWN_ROLLOUT'
  | 'CORE_ERR_REPLAY_FAILED';

/** A rejected transition: what was attempted and why it was refused. */
export interface TransitionError {
  readonly ok: false;
  readonly code: CoreErrorCode;
  /** Human-readable explanation; for logs, never for branching. */
  readonly message: string;
  /** State the reducer was in (`null`: no record yet). */
  readonly from: string | null;
  /** Kind of the refused event. */
  readonly event: string;
}

/** Result of one reducer step: the new state and the effects to run. */
export type StepResult<S, E> =
  { readonly ok: true; readonly state: S; readonly effects: readonly E[] } | TransitionError;

/**
 * Builds a {@link TransitionError}.
 *
 * @example return reject('CORE_ERR_ILLEGAL_TRANSITION', 'Pending', 'Converged', 'not soaking');
 */
export function reject(
  code: CoreErrorCode,
  from: string | null,
  event: string,
  message: string,
): TransitionError {
  return { ok: false, code, from, event, message };
}

/**
 * Thrown only when core detects that its own invariant broke (a bug, not an
 * input problem). Carries the stable code `CORE_ERR_BROKEN_INVARIANT`.
 */
export class CoreInvariantError extends Error {
  /** Stable code for callers and logs. */
  readonly code = 'CORE_ERR_BROKEN_INVARIANT' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoreInvariantError';
  }
}
