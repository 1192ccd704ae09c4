// The reference applier over an in-memory fleet model: turns plan actions
// and host events into reducer steps, cascades host transitions into the
// rollout reducer (RFC-0008 §7: host first, then rollout), and appends every
// accepted reducer input to an event log. The CP runtime does the same
// against SQLite; tests and `replay` use this one. Deterministic; mutates only
// the model it is given. Must never perform I/O or read the clock.
import type { Effect } from './effects.ts';
import type { TransitionError } from './errors.ts';
import { step } from './host/step.ts';
import type { HostEvent, HostPolicy, HostRolloutState, RemoteHostEvent } from './host/types.ts';
import type { PlanAction } from './planner/types.ts';
import { CONTROL_PLANE } from './rollout/operator.ts';
import { rolloutStep } from './rollout/step.ts';
import type { RolloutBook, RolloutEffect, RolloutEvent, RolloutOptions } from './rollout/types.ts';
import type { EpochMs } from './time.ts';

/** One accepted reducer input, in application order. */
export type LogEntry =
  | {
      readonly stream: 'host';
      readonly rolloutId: string;
      readonly hostname: string;
      readonly event: HostEvent;
      readonly policy: HostPolicy;
      readonly now: EpochMs;
    }
  | { readonly stream: 'rollout'; readonly event: RolloutEvent; readonly now: EpochMs };

/** Fleet state as the reducers see it, plus the log that produced it. */
export interface FleetModel {
  book: RolloutBook;
  readonly hosts: Map<string, Map<string, HostRolloutState>>;
  readonly log: LogEntry[];
  readonly rolloutOptions: RolloutOptions;
}

/** A fresh, empty model. */
export function emptyFleetModel(rolloutOptions: RolloutOptions): FleetModel {
  return { book: { rollouts: {}, activeByChannel: {} }, hosts: new Map(), log: [], rolloutOptions };
}

/** Outcome of applying one input: effects of every reducer step it caused. */
export type ApplyResult =
  { readonly ok: true; readonly effects: readonly (Effect | RolloutEffect)[] } | TransitionError;

/** Applies one rollout event (logged when accepted). */
export function applyRolloutEvent(
  model: FleetModel,
  event: RolloutEvent,
  now: EpochMs,
): ApplyResult {
  const r = rolloutStep(model.book, event, now, model.rolloutOptions);
  if (!r.ok) return r;
  model.book = r.state;
  model.log.push({ stream: 'rollout', event, now });
  return { ok: true, effects: r.effects };
}

/**
 * Applies one host event: host reducer first, then one HostStateChanged per
 * state transition into the rollout reducer.
 */
export function applyHostEvent(
  model: FleetModel,
  entry: {
    readonly rolloutId: string;
    readonly hostname: string;
    readonly event: HostEvent;
    readonly policy: HostPolicy;
  },
  now: EpochMs,
): ApplyResult {
  let records = model.hosts.get(entry.rolloutId);
  const prev = records?.get(entry.hostname) ?? null;
  const r = step(prev, entry.event, now, entry.policy);
  if (!r.ok) return r;
  if (records === undefined) {
    records = new Map();
    model.hosts.set(entry.rolloutId, records);
  }
  records.set(entry.hostname, r.state);
  model.log.push({ stream: 'host', ...entry, now });
  const effects: (Effect | RolloutEffect)[] = [...r.effects];
  for (const e of r.effects) {
    if (e.kind !== 'RecordTransition' || e.from === null) continue;
    if (model.book.rollouts[entry.rolloutId] === undefined) continue;
    const cascaded = applyRolloutEvent(
      model,
      {
        kind: 'HostStateChanged',
        rolloutId: entry.rolloutId,
        hostname: entry.hostname,
        from: e.from,
        to: e.to,
        policyApplied: r.state.policyApplied,
        targetClosure: r.state.targetClosure,
        eventLogSeq: null,
        at: e.at,
      },
      now,
    );
    if (!cascaded.ok) return cascaded;
    effects.push(...cascaded.effects);
  }
  return { ok: true, effects };
}

/**
 * Applies one plan action: rollout events (SuccessorOpened before
 * RolloutOpened; HostJoined before the dispatch) and the CP-side dispatch.
 */
export function applyPlanAction(
  model: FleetModel,
  action: PlanAction,
  now: EpochMs,
  policyOf: (rolloutId: string) => HostPolicy,
): ApplyResult {
  const effects: (Effect | RolloutEffect)[] = [];
  const run = (r: ApplyResult): boolean => {
    if (r.ok) effects.push(...r.effects);
    return r.ok;
  };
  switch (action.kind) {
    case 'OpenRollout': {
      if (action.supersedes !== null) {
        const s = applyRolloutEvent(
          model,
          {
            kind: 'SuccessorOpened',
            supersededRolloutId: action.supersedes,
            successorRolloutId: action.rolloutId,
            at: now,
          },
          now,
        );
        if (!run(s)) return s;
      }
      const o = applyRolloutEvent(
        model,
        {
          kind: 'RolloutOpened',
          rolloutId: action.rolloutId,
          channel: action.channel,
          targetRef: action.targetRef,
          waveCount: action.waveCount,
          at: now,
        },
        now,
      );
      if (!run(o)) return o;
      if (action.pausedOnOpen) {
        const p = applyRolloutEvent(
          model,
          {
            kind: 'OperatorPaused',
            rolloutId: action.rolloutId,
            operator: CONTROL_PLANE,
            reason: action.pausedOnOpen,
            at: now,
          },
          now,
        );
        if (!run(p)) return p;
      }
      return { ok: true, effects };
    }
    case 'QueueDispatch': {
      const j = applyRolloutEvent(
        model,
        {
          kind: 'HostJoined',
          rolloutId: action.rolloutId,
          hostname: action.hostname,
          wave: action.wave,
          catchUp: action.catchUp,
          at: now,
        },
        now,
      );
      if (!run(j)) return j;
      const event: RemoteHostEvent = {
        kind: 'RemoteDispatchIssued',
        dispatch: {
          rolloutId: action.rolloutId,
          hostname: action.hostname,
          channel: action.channel,
          wave: action.wave,
          targetClosure: action.targetClosure,
          soakDueAt: action.soakDueAt,
          confirmDeadline: action.confirmDeadline,
          issuedAt: action.issuedAt,
          seq: 1,
        },
      };
      const d = applyHostEvent(
        model,
        {
          rolloutId: action.rolloutId,
          hostname: action.hostname,
          event,
          policy: policyOf(action.rolloutId),
        },
        now,
      );
      return run(d) ? { ok: true, effects } : d;
    }
    case 'PromoteWave':
      return applyRolloutEvent(
        model,
        {
          kind: 'WaveAdvanced',
          rolloutId: action.rolloutId,
          fromWave: action.fromWave,
          toWave: action.toWave,
          skipped: action.skipped,
          skippedPending: action.skippedPending,
          at: now,
        },
        now,
      );
    case 'MarkRolloutTerminal':
      return applyRolloutEvent(
        model,
        {
          kind: 'RolloutTerminal',
          rolloutId: action.rolloutId,
          skippedPending: action.skippedPending,
          at: now,
        },
        now,
      );
    case 'PruneRollout':
      return applyRolloutEvent(
        model,
        { kind: 'RetentionExpired', rolloutId: action.rolloutId, at: now },
        now,
      );
    case 'ClearStaleQuarantine':
      // Quarantines live in their own derived view; nothing to fold here.
      return { ok: true, effects: [] };
  }
}
