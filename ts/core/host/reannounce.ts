// Recovery without a journal (agent side). When the CP lost its database it
// asks each agent to replay its events; an agent whose journal is gone too has
// nothing to send, the CP can at best infer "it runs the target" (orphan
// confirm) and waits for evidence the agent already sent once and will not
// send again: the host would stay Soaking on the CP forever. Instead the agent
// re-announces what it can verify now, with fresh seqs: the dispatch it holds
// (DispatchAck, from which the CP re-creates a lost record), the activation it
// observes (ActivationComplete: the current closure is the target), and then
// soaks again from that moment on fresh probe results, so its next Converged
// passes the CP's own soak and probe gate. Must never claim a closure that is
// not current, reuse probe results from before the re-announcement, or touch
// a record that is not settled on its target (in flight, failed, reverted).
import type { Effect } from '../effects.ts';
import { reject, type StepResult } from '../errors.ts';
import { toRfc3339, type EpochMs } from '../time.ts';
import { emit } from './emit.ts';
import { transitionEffect } from './record.ts';
import type { HostRolloutState, LocalHostEvent } from './types.ts';

/** What the heartbeat learnt about one rollout the CP asked to replay. */
export interface ReplayAsk {
  /** The agent's current record (`null`: none). */
  readonly record: HostRolloutState | null;
  /** The rollout the CP named. */
  readonly rolloutId: string;
  /** The CP holds events up to this seq. */
  readonly afterSeq: number;
  /** Events the agent can still send above `afterSeq` (journal and outbox). */
  readonly replayable: readonly { readonly seq: number; readonly kind: string }[];
}

/**
 * Whether the agent must re-announce instead of replaying: the CP misses
 * events of the agent's current rollout and what the agent still has cannot
 * rebuild them — neither the next event the CP lacks (`afterSeq + 1`) nor a
 * DispatchAck it could re-create the record from. Probe results sent after
 * the loss do not count: the CP refuses them without a record. Once
 * re-announced, the new DispatchAck is itself replayable, so a repeated ask
 * is answered by a replay, never by a second re-announcement.
 *
 * @example reannounceDue({ record, rolloutId: record.rolloutId, afterSeq: 1, replayable: [] }) // true
 */
export function reannounceDue(ask: ReplayAsk): boolean {
  const r = ask.record;
  if (r === null || r.rolloutId !== ask.rolloutId || r.lastEventSeq <= ask.afterSeq) return false;
  if (r.state !== 'Converged' && r.state !== 'Soaking') return false;
  const rebuilds = ask.replayable.some(
    (e) => e.seq > ask.afterSeq && (e.seq === ask.afterSeq + 1 || e.kind === 'DispatchAck'),
  );
  return !rebuilds;
}

type Reannounce = Extract<LocalHostEvent, { kind: 'LocalReannounce' }>;

/**
 * Re-announces a settled record (see the file comment): Converged or Soaking
 * on its target closure, observed current now. The record goes back to
 * Soaking from `at` with no probe result and no topology, so only probes run
 * after this moment count and the soak runs again in full.
 */
export function reannounce(
  s: HostRolloutState,
  event: Reannounce,
): StepResult<HostRolloutState, Effect> {
  if (s.state !== 'Converged' && s.state !== 'Soaking') {
    return reject(
      'CORE_ERR_ILLEGAL_TRANSITION',
      s.state,
      event.kind,
      `nothing to re-announce in state ${s.state}: only a host settled on its target is`,
    );
  }
  if (event.basisSeq !== s.lastEventSeq) {
    // Judged on an older record: already re-announced, or the record moved on.
    return reject(
      'CORE_ERR_DUPLICATE_SEQ',
      s.state,
      event.kind,
      `re-announcement judged at seq ${event.basisSeq}, record is at ${s.lastEventSeq}`,
    );
  }
  if (event.observed !== s.targetClosure) {
    return reject(
      'CORE_ERR_MISMATCHED_EVENT',
      s.state,
      event.kind,
      `current closure ${event.observed ?? 'unknown'} is not the target ${s.targetClosure} of ${s.rolloutId}`,
    );
  }
  const at: EpochMs = event.at;
  const effects: Effect[] = [];
  // The receipt time is the original one: the CP dates a re-created record
  // from it, and the soak below is measured from `at`, which is later.
  const s1 = emit(s, effects, {
    kind: 'DispatchAck',
    received_at: toRfc3339(s.dispatchAckedAt ?? at),
    current_closure_at_dispatch: s.currentClosureAtDispatch,
  });
  const s2 = emit(s1, effects, {
    kind: 'ActivationComplete',
    completed_at: toRfc3339(at),
    observed_current_closure: event.observed,
    switch_exit_code: 0,
  });
  effects.push({
    kind: 'EmitLog',
    level: 'warn',
    target: 'core.host',
    message:
      'control plane lost this host’s events and the journal cannot replay them: re-announcing the current closure and soaking again',
    fields: { rollout: s.rolloutId, closure: s.targetClosure, from: s.state },
  });
  if (s.state === 'Converged') effects.push(transitionEffect(s2, 'Converged', 'Soaking', at));
  effects.push({ kind: 'LocalResetProbeCache', declare: true });
  return {
    ok: true,
    state: {
      ...s2,
      state: 'Soaking',
      currentClosure: event.observed,
      activationCompletedAt: at,
      convergedAt: null,
      probes: {},
      probeTopology: null,
      probeObservedFirstAt: null,
      probeFailureFirstAt: null,
      failingSince: null,
      outstandingFailures: [],
    },
    effects,
  };
}
