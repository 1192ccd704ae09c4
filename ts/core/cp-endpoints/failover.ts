// Which control-plane URL an agent talks to, when it moves to the next one,
// how long it waits before the next round, and when it may reconnect after
// losing a connection (docs/design/agent-failover.md). Pure: the shell
// reports each attempt's outcome with `now` and a uniform random number and
// applies the decision. Every replica of a fleet terminates agent mTLS and
// serves the same routes, so any URL that answers is as good as the first:
// the agent stays where it succeeded rather than drifting back.

/** The typed reply of a control-plane replica that cannot take the request (it does not lead). */
export const NOT_LEADER_CODE = 'CP_ERR_NOT_LEADER';

/** How one request to one URL ended, as the shell observed it. */
export type CpAttemptOutcome =
  /** An HTTP answer; `cpCode` is the body's `error.code` when it is one. */
  | { readonly kind: 'answered'; readonly status: number; readonly cpCode: string | null }
  /**
   * No answer: `unreachable` covers refused connections, resets and TLS
   * failures (certificate or name verification included); `timeout` a
   * request, long-poll included, that got no answer in time; `aborted` the
   * agent's own cancellation; `too-large` a body over the client's limit.
   */
  | {
      readonly kind: 'transport';
      readonly reason: 'unreachable' | 'timeout' | 'aborted' | 'too-large';
    };

/** What an outcome says about the URL it came from. */
export type CpVerdict =
  /** The URL serves: stay on it. */
  | 'ok'
  /** The URL does not serve right now: move to the next one. */
  | 'switch'
  /** Nothing learnt about the URL (the agent's own abort, its own limit). */
  | 'neutral';

/**
 * The verdict on one outcome. A 5xx, a typed not-leader reply (whatever its
 * status), no connection, a TLS failure or no answer in time switch; any
 * other answer (2xx, 4xx, 429) is a serving replica talking about the
 * request itself.
 *
 * @example classifyCpOutcome({ kind: 'answered', status: 503, cpCode: null }) // 'switch'
 */
export function classifyCpOutcome(o: CpAttemptOutcome): CpVerdict {
  if (o.kind === 'transport') {
    return o.reason === 'unreachable' || o.reason === 'timeout' ? 'switch' : 'neutral';
  }
  if (o.cpCode === NOT_LEADER_CODE) return 'switch';
  return o.status >= 500 ? 'switch' : 'ok';
}

/** The agent's position in its list of URLs. */
export interface CpEndpointsState {
  /** How many URLs the agent has (≥ 1). */
  readonly count: number;
  /** Index of the URL requests go to. */
  readonly active: number;
  /** URLs that failed in a row since the last success (a full round is `count`). */
  readonly failedInRow: number;
  /** Full rounds that failed in a row since the last success. */
  readonly failedRounds: number;
}

/** The state of an agent with `count` URLs, on the first. */
export function initialCpEndpoints(count: number): CpEndpointsState {
  if (!Number.isInteger(count) || count < 1) throw new RangeError('at least one URL');
  return { count, active: 0, failedInRow: 0, failedRounds: 0 };
}

/** What the shell does after an attempt. */
export type CpAttemptDecision =
  /** Done: hand the outcome to the caller. */
  | { readonly kind: 'done' }
  /** Send the same request again now, to URL `index`. */
  | { readonly kind: 'retry'; readonly index: number }
  /**
   * Every URL failed in this round: hand the failure to the caller, whose
   * next request (to `index`) waits `backoffMs` ({@link roundBackoffMs}).
   */
  | { readonly kind: 'exhausted'; readonly index: number; readonly backoffMs: number };

/** Backoff of {@link onCpAttempt} between failed rounds. */
export interface RoundBackoff {
  readonly baseMs: number;
  readonly maxMs: number;
}

/**
 * Pause after `rounds` failed rounds in a row (≥ 1): `min(max, base·2^(rounds-1))`
 * scaled by a factor in [0.5, 1) from `u` (uniform in [0, 1)), so a fleet
 * does not retry in step.
 *
 * @example roundBackoffMs(3, { baseMs: 1000, maxMs: 60_000 }, 0) // 2000
 */
export function roundBackoffMs(rounds: number, b: RoundBackoff, u: number): number {
  const exp = Math.min(b.maxMs, b.baseMs * 2 ** Math.min(Math.max(0, rounds - 1), 30));
  return Math.max(1, Math.floor(exp * (0.5 + clampUnit(u) / 2)));
}

function clampUnit(u: number): number {
  return Number.isFinite(u) ? Math.min(Math.max(u, 0), 1 - Number.EPSILON) : 0;
}

/**
 * Feeds the outcome of a request sent to URL `attempted` and decides what
 * follows. A failure on a URL the agent already left (another request
 * switched first) moves nothing: several requests in flight fail together
 * when a replica dies, and each must not push the agent one URL further.
 * Within one call of the shell, `triedInCall` URLs were already tried; a
 * request is retried at most once per URL.
 *
 * @example onCpAttempt(initialCpEndpoints(2), 0, { kind: 'transport', reason: 'unreachable' }, 1, backoff, 0.5)
 *   // → active 1, { kind: 'retry', index: 1 }
 */
export function onCpAttempt(
  state: CpEndpointsState,
  attempted: number,
  outcome: CpAttemptOutcome,
  triedInCall: number,
  backoff: RoundBackoff,
  u: number,
): { readonly state: CpEndpointsState; readonly decision: CpAttemptDecision } {
  const verdict = classifyCpOutcome(outcome);
  if (verdict === 'neutral') return { state, decision: { kind: 'done' } };
  if (verdict === 'ok') {
    if (attempted !== state.active) return { state, decision: { kind: 'done' } };
    return { state: { ...state, failedInRow: 0, failedRounds: 0 }, decision: { kind: 'done' } };
  }
  let next = state;
  if (attempted === state.active) {
    const failedInRow = state.failedInRow + 1;
    const roundDone = failedInRow >= state.count;
    next = {
      count: state.count,
      active: (state.active + 1) % state.count,
      failedInRow: roundDone ? 0 : failedInRow,
      failedRounds: roundDone ? state.failedRounds + 1 : state.failedRounds,
    };
    if (roundDone) {
      return {
        state: next,
        decision: {
          kind: 'exhausted',
          index: next.active,
          backoffMs: roundBackoffMs(next.failedRounds, backoff, u),
        },
      };
    }
  }
  if (triedInCall >= state.count) {
    return {
      state: next,
      decision: {
        kind: 'exhausted',
        index: next.active,
        backoffMs: roundBackoffMs(Math.max(1, next.failedRounds), backoff, u),
      },
    };
  }
  return { state: next, decision: { kind: 'retry', index: next.active } };
}

/**
 * When an agent that lost an established connection at `lostAt` may open
 * the next one: `lostAt + u·spreadMs` (u uniform in [0, 1), drawn once per
 * loss). After a control-plane restart every agent loses its connection in
 * the same instant; drawn this way, their reconnects arrive spread evenly
 * over `spreadMs` instead of in one burst at the accept queue.
 *
 * @example reconnectAt(10_000, 8_000, 0.25) // 12_000
 */
export function reconnectAt(lostAt: number, spreadMs: number, u: number): number {
  return lostAt + Math.floor(Math.max(0, spreadMs) * clampUnit(u));
}

/**
 * The spread an agent applies: the configured one, at most one heartbeat
 * interval. The CP declares a host offline after several missed heartbeats,
 * so a reconnect held for longer than one interval would show a healthy
 * host offline after every CP restart (and skip it in the rollout).
 *
 * @example effectiveReconnectSpread(10_000, 1_000) // 1_000
 */
export function effectiveReconnectSpread(spreadMs: number, heartbeatIntervalMs: number): number {
  return Math.max(0, Math.min(spreadMs, heartbeatIntervalMs));
}

/**
 * How long a request due at `now` waits before it may connect, given the
 * hold set by the last loss (`null`: none). Zero once the hold has passed.
 *
 * @example reconnectWaitMs(12_000, 11_500) // 500
 */
export function reconnectWaitMs(holdUntil: number | null, now: number): number {
  return holdUntil === null ? 0 : Math.max(0, holdUntil - now);
}
