// The rollout reducer (RFC-0008 §3–§5): folds CP-internal rollout events into
// the book of rollouts. Owns supersession at the book level (one rollout per
// channel; RolloutOpened requires SuccessorOpened first), wave progress,
// halting and retention. Must never decide *when* to advance or supersede:
// the planner decides, this reducer only checks legality and records.
import { ownValue } from '../own.ts';
import { CoreInvariantError, reject, type StepResult } from '../errors.ts';
import type { HostState } from '../host/types.ts';
import type { EpochMs } from '../time.ts';
import { ZERO_COUNTS, bookInvariantViolations, deriveLiveState, unsettled } from './derive.ts';
import { cannotPass, givesWay, operatorMark, withheld } from './operator-step.ts';
import type {
  RolloutBook,
  RolloutEffect,
  RolloutEvent,
  RolloutOptions,
  RolloutRecord,
  RolloutState,
} from './types.ts';

type Result = StepResult<RolloutBook, RolloutEffect>;

const LIVE: ReadonlySet<RolloutState> = new Set(['Opening', 'Active', 'Converging']);

function illegal(r: RolloutRecord | undefined, kind: string, why: string): Result {
  return reject('CORE_ERR_ILLEGAL_TRANSITION', r?.state ?? null, kind, why);
}

/** Puts a record back into the book, emitting a transition if state moved. */
function commit(
  book: RolloutBook,
  before: RolloutRecord | undefined,
  after: RolloutRecord,
  at: EpochMs,
  effects: RolloutEffect[],
  activeByChannel: RolloutBook['activeByChannel'] = book.activeByChannel,
): Result {
  let next = after;
  if (before?.state !== after.state) {
    effects.unshift({
      kind: 'RecordRolloutTransition',
      rolloutId: after.rolloutId,
      from: before?.state ?? null,
      to: after.state,
      at,
    });
    next = { ...after, lastTransitionAt: at };
  }
  return {
    ok: true,
    state: { rollouts: { ...book.rollouts, [next.rolloutId]: next }, activeByChannel },
    effects,
  };
}

function withCount(r: RolloutRecord, from: HostState | null, to: HostState): RolloutRecord {
  const counts = { ...r.counts, [to]: r.counts[to] + 1 };
  if (from !== null) counts[from] -= 1;
  return { ...r, counts };
}

/**
 * The rollout reducer: `rolloutStep(book, event, now, options)`. Pure and
 * deterministic; returns the new book and RFC-0008 §5 effects, or a
 * {@link TransitionError}. `now` is the applier's clock, used only for the
 * retention check; every stamp comes from the event's `at`.
 *
 * @example
 * const r = rolloutStep(EMPTY_BOOK, { kind: 'RolloutOpened', ... }, now, { retentionMs });
 */
export function rolloutStep(
  book: RolloutBook,
  event: RolloutEvent,
  now: EpochMs,
  options: RolloutOptions,
): Result {
  const result = stepInner(book, event, now, options);
  if (result.ok) {
    const violations = bookInvariantViolations(result.state);
    if (violations.length > 0) {
      throw new CoreInvariantError(
        `rollout reducer produced an unsound book after ${event.kind}: ${violations.join('; ')}`,
      );
    }
  }
  return result;
}

function stepInner(
  book: RolloutBook,
  event: RolloutEvent,
  now: EpochMs,
  options: RolloutOptions,
): Result {
  const effects: RolloutEffect[] = [];
  if (event.kind === 'RolloutOpened') {
    const existing = ownValue(book.rollouts, event.rolloutId);
    if (existing !== undefined) {
      return illegal(existing, event.kind, 'rollout already exists');
    }
    const holder = ownValue(book.activeByChannel, event.channel);
    if (holder !== undefined && holder !== null) {
      return reject(
        'CORE_ERR_SUPERSESSION_EXPECTED',
        null,
        event.kind,
        `channel ${event.channel} is held by ${holder}; SuccessorOpened must come first`,
      );
    }
    const record: RolloutRecord = {
      rolloutId: event.rolloutId,
      channel: event.channel,
      targetRef: event.targetRef,
      state: 'Opening',
      currentWave: 0,
      waveCount: event.waveCount,
      counts: ZERO_COUNTS,
      failedHalted: 0,
      acknowledged: 0,
      catchUpHosts: [],
      skipped: [],
      openedAt: event.at,
      waveStartedAt: event.at,
      lastTransitionAt: event.at,
      terminalAt: null,
      supersededAt: null,
      supersededBy: null,
      prunedAt: null,
      haltedBy: null,
    };
    return commit(book, undefined, record, event.at, effects, {
      ...book.activeByChannel,
      [event.channel]: event.rolloutId,
    });
  }

  const id = event.kind === 'SuccessorOpened' ? event.supersededRolloutId : event.rolloutId;
  const r = ownValue(book.rollouts, id);
  if (r === undefined) {
    return reject('CORE_ERR_UNKNOWN_ROLLOUT', null, event.kind, `unknown rollout ${id}`);
  }

  switch (event.kind) {
    case 'HostJoined': {
      const held = withheld(r);
      if (held !== null) return illegal(r, event.kind, `hosts cannot join: ${held}`);
      const catchUp = event.catchUp;
      if (!(LIVE.has(r.state) || (catchUp && r.state === 'Terminal'))) {
        return illegal(r, event.kind, `hosts cannot join a ${r.state} rollout`);
      }
      if (!catchUp && event.wave !== r.currentWave) {
        return illegal(
          r,
          event.kind,
          `host of wave ${event.wave} joined during wave ${r.currentWave}`,
        );
      }
      if (catchUp) {
        if (r.catchUpHosts.includes(event.hostname)) {
          return illegal(r, event.kind, `${event.hostname} already caught up`);
        }
        return commit(
          book,
          r,
          { ...r, catchUpHosts: [...r.catchUpHosts, event.hostname] },
          event.at,
          effects,
        );
      }
      const next = withCount(r, null, 'Pending');
      return commit(book, r, { ...next, state: deriveLiveState(next) }, event.at, effects);
    }
    case 'HostStateChanged': {
      if (r.state === 'Pruned') return illegal(r, event.kind, 'rollout pruned');
      if (event.to === 'Reverted') {
        effects.push({
          kind: 'InsertQuarantineFromRollout',
          channel: r.channel,
          closureHash: event.targetClosure,
          triggeringEventLogSeq: event.eventLogSeq,
        });
      }
      // Catch-up hosts are outside the wave accounting: they neither advance
      // nor halt a rollout whose waves already completed.
      if (r.catchUpHosts.includes(event.hostname)) return commit(book, r, r, event.at, effects);
      if (r.counts[event.from] <= 0) {
        return illegal(r, event.kind, `no host of this rollout is ${event.from}`);
      }
      let next = withCount(r, event.from, event.to);
      if (event.to === 'Failed' && event.policyApplied !== 'rollback-and-halt') {
        next = { ...next, failedHalted: next.failedHalted + 1 };
      }
      if ((event.to === 'Failed' || event.to === 'Reverted') && next.haltedBy === null) {
        next = {
          ...next,
          haltedBy: { host: event.hostname, policy: event.policyApplied ?? 'rollback-and-halt' },
        };
      }
      if (r.state === 'Terminal') return illegal(r, event.kind, 'Terminal rollouts have settled');
      if (LIVE.has(r.state) || r.state === 'Failed' || r.state === 'Reverted') {
        const sticky = r.state === 'Failed' || r.state === 'Reverted';
        const derived = deriveLiveState(next);
        // Failed/Reverted are sticky; but a halting rollout may settle into
        // Reverted, and any rollout into Failed once a halt-policy host fails.
        const state: RolloutState = sticky ? (derived === 'Failed' ? 'Failed' : r.state) : derived;
        next = { ...next, state };
      }
      return commit(book, r, next, event.at, effects);
    }
    case 'WaveAdvanced': {
      if (!LIVE.has(r.state)) return illegal(r, event.kind, `cannot advance a ${r.state} rollout`);
      const held = cannotPass(r);
      if (held !== null) return illegal(r, event.kind, `cannot advance: ${held}`);
      if (event.fromWave !== r.currentWave || event.toWave !== r.currentWave + 1) {
        return illegal(
          r,
          event.kind,
          `wave ${event.fromWave}→${event.toWave} from ${r.currentWave}`,
        );
      }
      if (event.toWave >= r.waveCount) return illegal(r, event.kind, 'no such wave');
      // Skipped hosts left Pending move out of the wave accounting: when they
      // come back they are caught up like any other returning host.
      const pendingLeft = r.counts.Pending - event.skippedPending.length;
      if (pendingLeft < 0) return illegal(r, event.kind, 'more skipped Pending hosts than Pending');
      const counts = { ...r.counts, Pending: pendingLeft };
      if (unsettled(counts) + counts.Failed + counts.Reverted > 0) {
        return illegal(r, event.kind, 'current wave has unsettled hosts');
      }
      effects.push({ kind: 'UpdateCurrentWave', rolloutId: r.rolloutId, wave: event.toWave });
      const next = {
        ...r,
        counts,
        currentWave: event.toWave,
        waveStartedAt: event.at,
        skipped: [...r.skipped, ...event.skipped],
        catchUpHosts: [...r.catchUpHosts, ...event.skippedPending],
      };
      return commit(book, r, next, event.at, effects);
    }
    case 'RolloutTerminal': {
      if (!LIVE.has(r.state)) return illegal(r, event.kind, `cannot end a ${r.state} rollout`);
      const held = cannotPass(r);
      if (held !== null) return illegal(r, event.kind, `cannot end: ${held}`);
      const pendingLeft = r.counts.Pending - event.skippedPending.length;
      if (pendingLeft < 0) return illegal(r, event.kind, 'more skipped Pending hosts than Pending');
      const counts = { ...r.counts, Pending: pendingLeft };
      if (unsettled(counts) + counts.Failed + counts.Reverted > 0) {
        return illegal(r, event.kind, 'a joined host is not Converged');
      }
      if (r.waveCount > 0 && r.currentWave !== r.waveCount - 1) {
        return illegal(r, event.kind, 'waves remain');
      }
      const next: RolloutRecord = {
        ...r,
        counts,
        state: 'Terminal',
        terminalAt: event.at,
        catchUpHosts: [...r.catchUpHosts, ...event.skippedPending],
      };
      return commit(book, r, next, event.at, effects);
    }
    case 'SuccessorOpened': {
      // An in-progress rollout is never cut short: a newer ref queues behind
      // it (RFC-0002 §4.3); Opening, settled, halted, aborted and cleared
      // rollouts give way.
      if ((r.state === 'Active' || r.state === 'Converging') && !givesWay(r)) {
        return illegal(r, event.kind, 'a newer ref queues behind an in-progress rollout');
      }
      if (r.state === 'Superseded' || r.state === 'Pruned') {
        return illegal(r, event.kind, `already ${r.state}`);
      }
      effects.push({
        kind: 'SchedulePruning',
        rolloutId: r.rolloutId,
        delayMs: options.retentionMs,
      });
      const next = {
        ...r,
        state: 'Superseded' as const,
        supersededAt: event.at,
        supersededBy: event.successorRolloutId,
      };
      return commit(book, r, next, event.at, effects, {
        ...book.activeByChannel,
        [r.channel]: null,
      });
    }
    case 'RetentionExpired': {
      const since =
        r.state === 'Superseded' ? r.supersededAt : r.state === 'Terminal' ? r.terminalAt : null;
      if (since === null) return illegal(r, event.kind, `a ${r.state} rollout is not retained`);
      if (now < since + options.retentionMs) return illegal(r, event.kind, 'retention not elapsed');
      const active =
        book.activeByChannel[r.channel] === r.rolloutId
          ? { ...book.activeByChannel, [r.channel]: null }
          : book.activeByChannel;
      return commit(
        book,
        r,
        { ...r, state: 'Pruned', prunedAt: event.at },
        event.at,
        effects,
        active,
      );
    }
    case 'OperatorPaused':
    case 'OperatorResumed':
    case 'OperatorAborted':
    case 'WaveApproved': {
      const next = operatorMark(r, event);
      if (typeof next === 'string') return illegal(r, event.kind, next);
      return commit(book, r, next, event.at, effects);
    }
    case 'OperatorClearance': {
      if (r.aborted) return illegal(r, event.kind, 'an aborted rollout is final');
      if (r.state !== 'Failed' && r.state !== 'Reverted') {
        return illegal(r, event.kind, `nothing to clear on a ${r.state} rollout`);
      }
      const cleared = r.counts.Failed + r.counts.Reverted;
      const next: RolloutRecord = {
        ...r,
        counts: { ...r.counts, Failed: 0, Reverted: 0 },
        acknowledged: r.acknowledged + cleared,
        failedHalted: 0,
        haltedBy: null,
      };
      return commit(book, r, { ...next, state: deriveLiveState(next) }, event.at, effects);
    }
  }
}

/**
 * Folds rollout events into a book, stopping at the first rejection.
 *
 * @example foldRollouts([{ event, now }], { retentionMs })
 */
export function foldRollouts(
  entries: readonly { readonly event: RolloutEvent; readonly now: EpochMs }[],
  options: RolloutOptions,
  from: RolloutBook = { rollouts: {}, activeByChannel: {} },
): Result {
  let book = from;
  const effects: RolloutEffect[] = [];
  for (const { event, now } of entries) {
    const r = rolloutStep(book, event, now, options);
    if (!r.ok) return r;
    book = r.state;
    effects.push(...r.effects);
  }
  return { ok: true, state: book, effects };
}
