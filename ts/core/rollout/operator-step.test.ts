// The rollout reducer under operator marks: the marks themselves, and the
// defence in depth that refuses progress events while a rollout is withheld
// (the planner never emits them; a bug that did would be refused here).
import { describe, expect, it } from 'vitest';
import { rolloutStep } from './step.ts';
import { EMPTY_BOOK, type RolloutBook, type RolloutEvent } from './types.ts';

const OPT = { retentionMs: 1000 };
const ID = 'stable@a1';
const who = { rolloutId: ID, operator: 'alice', reason: 'r', at: 5 };

function apply(book: RolloutBook, events: RolloutEvent[]): RolloutBook {
  for (const e of events) {
    const r = rolloutStep(book, e, 0, OPT);
    if (!r.ok) throw new Error(`${e.kind}: ${r.code} ${r.message}`);
    book = r.state;
  }
  return book;
}
const refused = (book: RolloutBook, e: RolloutEvent): string => {
  const r = rolloutStep(book, e, 0, OPT);
  return r.ok ? 'accepted' : r.code;
};

const opened = apply(EMPTY_BOOK, [
  { kind: 'RolloutOpened', rolloutId: ID, channel: 'stable', targetRef: 'a1', waveCount: 2, at: 0 },
]);
const join: RolloutEvent = {
  kind: 'HostJoined',
  rolloutId: ID,
  hostname: 'h',
  wave: 0,
  catchUp: false,
  at: 1,
};
const terminal: RolloutEvent = {
  kind: 'RolloutTerminal',
  rolloutId: ID,
  skippedPending: [],
  at: 2,
};
const advance: RolloutEvent = {
  kind: 'WaveAdvanced',
  rolloutId: ID,
  fromWave: 0,
  toWave: 1,
  skipped: [],
  skippedPending: [],
  at: 2,
};

describe('rollout reducer: operator marks', () => {
  it('records a pause, refuses a second one, clears it on resume', () => {
    const paused = apply(opened, [{ kind: 'OperatorPaused', ...who }]);
    expect(paused.rollouts[ID]?.paused).toEqual({ by: 'alice', reason: 'r', at: 5 });
    expect(refused(paused, { kind: 'OperatorPaused', ...who })).toBe('CORE_ERR_ILLEGAL_TRANSITION');
    expect(apply(paused, [{ kind: 'OperatorResumed', ...who }]).rollouts[ID]?.paused).toBeNull();
    expect(refused(opened, { kind: 'OperatorResumed', ...who })).toBe(
      'CORE_ERR_ILLEGAL_TRANSITION',
    );
  });

  it('refuses joins, promotion and completion while paused or aborted', () => {
    for (const kind of ['OperatorPaused', 'OperatorAborted'] as const) {
      const held = apply(opened, [{ kind, ...who }]);
      for (const e of [join, advance, terminal]) {
        expect(refused(held, e), `${e.kind} after ${kind}`).toBe('CORE_ERR_ILLEGAL_TRANSITION');
      }
    }
  });

  it('keeps an aborted rollout final, and lets the next release supersede it', () => {
    const active = apply(opened, [join]);
    expect(active.rollouts[ID]?.state).toBe('Active');
    const successor: RolloutEvent = {
      kind: 'SuccessorOpened',
      supersededRolloutId: ID,
      successorRolloutId: 'stable@b2',
      at: 9,
    };
    expect(refused(active, successor)).toBe('CORE_ERR_ILLEGAL_TRANSITION');
    const aborted = apply(active, [{ kind: 'OperatorAborted', ...who }]);
    for (const e of [
      { kind: 'OperatorPaused', ...who },
      { kind: 'OperatorResumed', ...who },
      { kind: 'OperatorAborted', ...who },
      { kind: 'WaveApproved', ...who, wave: 0 },
      { kind: 'OperatorClearance', ...who },
    ] as RolloutEvent[]) {
      expect(refused(aborted, e), e.kind).toBe('CORE_ERR_ILLEGAL_TRANSITION');
    }
    expect(apply(aborted, [successor]).rollouts[ID]?.state).toBe('Superseded');
  });

  it('lets the next release supersede a cleared rollout, whose failed wave can never pass', () => {
    const step = (from: 'Pending' | 'Activating' | 'Soaking' | 'Failed', to: string, at: number) =>
      ({
        kind: 'HostStateChanged',
        rolloutId: ID,
        hostname: 'h',
        from,
        to,
        policyApplied: 'rollback-and-halt',
        targetClosure: '/nix/store/x',
        eventLogSeq: null,
        at,
      }) as RolloutEvent;
    const reverted = apply(opened, [
      join,
      step('Pending', 'Activating', 2),
      step('Activating', 'Soaking', 3),
      step('Soaking', 'Failed', 4),
      step('Failed', 'Reverted', 5),
    ]);
    expect(reverted.rollouts[ID]?.state).toBe('Reverted');
    const cleared = apply(reverted, [{ kind: 'OperatorClearance', ...who, at: 6 }]);
    expect(cleared.rollouts[ID]?.state).toBe('Converging');
    // The acknowledged revert still fails wave 0: no promotion, no completion.
    expect(refused(cleared, advance)).toBe('CORE_ERR_ILLEGAL_TRANSITION');
    expect(refused(cleared, terminal)).toBe('CORE_ERR_ILLEGAL_TRANSITION');
    const successor: RolloutEvent = {
      kind: 'SuccessorOpened',
      supersededRolloutId: ID,
      successorRolloutId: 'stable@b2',
      at: 9,
    };
    expect(apply(cleared, [successor]).rollouts[ID]?.state).toBe('Superseded');
  });

  it('approves only the current wave, once', () => {
    expect(refused(opened, { kind: 'WaveApproved', ...who, wave: 1 })).toBe(
      'CORE_ERR_ILLEGAL_TRANSITION',
    );
    const approved = apply(opened, [{ kind: 'WaveApproved', ...who, wave: 0 }]);
    expect(approved.rollouts[ID]?.approvals).toEqual([
      { by: 'alice', reason: 'r', at: 5, wave: 0 },
    ]);
    expect(refused(approved, { kind: 'WaveApproved', ...who, wave: 0 })).toBe(
      'CORE_ERR_ILLEGAL_TRANSITION',
    );
  });
});
