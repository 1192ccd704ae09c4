// What a follower replica does with a request it relays to the leader
// (docs/design/replicas.md, "What a follower does"): how long it waits, which
// answers it relays verbatim and which become its own 503
// CP_ERR_NOT_LEADER, how many connections it keeps to the leader, and
// whether it counts as healthy. Pure: the shell (ts/cp/forward/) observes
// and applies. A follower never answers a 2xx it did not get from the leader.
import { NOT_LEADER_CODE } from './failover.ts';

/** The route whose answer the leader holds back until a dispatch (the long-poll). */
export const LONG_POLL_ROUTE = 'GET /v1/agent/dispatch';
/** A forwarded request's deadline beyond what the leader may hold it (ms). */
export const FORWARD_MARGIN_MS = 10_000;
/** Deadline of every other forwarded request (ms). */
export const FORWARD_TIMEOUT_MS = 30_000;
/** Connections a follower keeps to the leader at most. */
export const FORWARD_POOL_MAX = 4;
/** Open streams on each connection before another one is opened. */
export const FORWARD_STREAMS_PER_SESSION = 2_048;

/** How a forwarded request ended, as the shell observed it. */
export type ForwardObservation =
  /** The leader answered; `cpCode` is the body's `error.code` when it is one. */
  | { readonly kind: 'answered'; readonly status: number; readonly cpCode: string | null }
  /** No leader known, or it is this replica's own URL. */
  | { readonly kind: 'no-leader' }
  /** Connection refused or failed, session dropped mid-request, stream reset. */
  | { readonly kind: 'transport' }
  /** No answer before {@link forwardTimeoutMs}. */
  | { readonly kind: 'timeout' };

/** What the follower answers, and the `outcome` label it counts. */
export type ForwardVerdict =
  | { readonly answer: 'relay'; readonly outcome: 'relayed' }
  | {
      readonly answer: 'not-leader';
      readonly outcome: 'no-leader' | 'unreachable' | 'timeout' | 'leader-moved';
    };

/**
 * The verdict on one forwarded request. The leader's answers are relayed as
 * they are — refusals included — except its own CP_ERR_NOT_LEADER (the
 * leadership moved since the follower last read it), which becomes the
 * follower's, naming the leader it knows.
 *
 * @example forwardVerdict({ kind: 'transport' }) // → { answer: 'not-leader', outcome: 'unreachable' }
 */
export function forwardVerdict(o: ForwardObservation): ForwardVerdict {
  switch (o.kind) {
    case 'answered':
      return o.status === 503 && o.cpCode === NOT_LEADER_CODE
        ? { answer: 'not-leader', outcome: 'leader-moved' }
        : { answer: 'relay', outcome: 'relayed' };
    case 'no-leader':
      return { answer: 'not-leader', outcome: 'no-leader' };
    case 'transport':
      return { answer: 'not-leader', outcome: 'unreachable' };
    case 'timeout':
      return { answer: 'not-leader', outcome: 'timeout' };
  }
}

/**
 * How long a follower waits for the leader's answer to `route`: a long-poll
 * may be held up to the long-poll maximum (replicas run with the same
 * `--long-poll-secs`), every other request answers at once.
 *
 * @example forwardTimeoutMs('GET /v1/agent/dispatch', 60_000) // → 70_000
 */
export function forwardTimeoutMs(route: string, longPollMs: number): number {
  return route === LONG_POLL_ROUTE ? longPollMs + FORWARD_MARGIN_MS : FORWARD_TIMEOUT_MS;
}

/**
 * The connection a new forwarded request goes on: the index of the least
 * loaded open one, or `'open'` when every one carries
 * {@link FORWARD_STREAMS_PER_SESSION} streams and the pool has room (also
 * when it is empty). Past the pool's size the least loaded takes it anyway.
 *
 * @example pickSession([2048, 10]) // → 1
 */
export function pickSession(openStreams: readonly number[]): number | 'open' {
  let best = -1;
  for (let i = 0; i < openStreams.length; i++) {
    if (best === -1 || (openStreams[i] as number) < (openStreams[best] as number)) best = i;
  }
  if (best === -1) return 'open';
  if ((openStreams[best] as number) < FORWARD_STREAMS_PER_SESSION) return best;
  return openStreams.length < FORWARD_POOL_MAX ? 'open' : best;
}

/**
 * Whether a follower is healthy at `now`: it knows a leader other than
 * itself and reached it within `windowMs` (fail closed: never reached → not
 * healthy).
 *
 * @example followerHealthy({ leaderUrl: 'https://a:8443', lastReachedAt: 9_000 }, 10_000, 6_000) // → true
 */
export function followerHealthy(
  s: { readonly leaderUrl: string | null; readonly lastReachedAt: number | null },
  now: number,
  windowMs: number,
): boolean {
  return s.leaderUrl !== null && s.lastReachedAt !== null && now - s.lastReachedAt <= windowMs;
}
