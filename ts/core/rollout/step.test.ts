import { describe, expect, it } from 'vitest';
import { rolloutStep } from './step.ts';
import type { RolloutBook, RolloutEvent, RolloutState } from './types.ts';
import { EMPTY_BOOK } from './types.ts';

const OPT = { retentionMs: 1000 };
const ID = 'stable@a1';

function apply(book: RolloutBook, events: RolloutEvent[], now = 0): RolloutBook {
  for (const e of events) {
    const r = rolloutStep(book, e, now, OPT);
    if (!r.ok) throw new Error(`${e.kind}: ${r.code} ${r.message}`);
    book = r.state;
  }
  return book;
}

const opened: RolloutEvent = {
  kind: 'RolloutOpened',
  rolloutId: ID,
  channel: 'stable',
  targetRef: 'a1',
  waveCount: 2,
  at: 0,
};
const join = (h: string, wave = 0): RolloutEvent => ({
  kind: 'HostJoined',
  rolloutId: ID,
  hostname: h,
  wave,
  catchUp: false,
  at: 1,
});
const change = (
  h: string,
  from: string,
  to: string,
  policy: 'halt' | 'rollback-and-halt' | null = null,
): RolloutEvent =>
  ({
    kind: 'HostStateChanged',
    rolloutId: ID,
    hostname: h,
    from,
    to,
    policyApplied: policy,
    targetClosure: 'x',
    eventLogSeq: null,
    at: 2,
  }) as RolloutEvent;
const converge = (h: string): RolloutEvent[] => [
  change(h, 'Pending', 'Activating'),
  change(h, 'Activating', 'Soaking'),
  change(h, 'Soaking', 'Converged'),
];
const advance: RolloutEvent = {
  kind: 'WaveAdvanced',
  rolloutId: ID,
  fromWave: 0,
  toWave: 1,
  skipped: [],
  skippedPending: [],
  at: 3,
};
const terminal: RolloutEvent = {
  kind: 'RolloutTerminal',
  rolloutId: ID,
  skippedPending: [],
  at: 4,
};
const successor: RolloutEvent = {
  kind: 'SuccessorOpened',
  supersededRolloutId: ID,
  successorRolloutId: 'stable@b2',
  at: 5,
};

const FIXTURES: Record<RolloutState, RolloutBook> = {
  Opening: apply(EMPTY_BOOK, [opened]),
  Active: apply(EMPTY_BOOK, [opened, join('a')]),
  Converging: apply(EMPTY_BOOK, [opened, join('a'), ...converge('a')]),
  Terminal: apply(EMPTY_BOOK, [
    opened,
    join('a'),
    ...converge('a'),
    advance,
    join('b', 1),
    ...converge('b'),
    terminal,
  ]),
  Failed: apply(EMPTY_BOOK, [opened, join('a'), change('a', 'Pending', 'Failed', 'halt')]),
  Reverted: apply(EMPTY_BOOK, [
    opened,
    join('a'),
    change('a', 'Pending', 'Activating'),
    change('a', 'Activating', 'Failed', 'rollback-and-halt'),
    change('a', 'Failed', 'Reverted'),
  ]),
  Superseded: apply(EMPTY_BOOK, [opened, successor]),
  Pruned: apply(
    EMPTY_BOOK,
    [opened, successor, { kind: 'RetentionExpired', rolloutId: ID, at: 2000 }],
    2000,
  ),
};

const EVENTS: Record<string, RolloutEvent> = {
  HostJoined: join('z'),
  WaveAdvanced: advance,
  RolloutTerminal: terminal,
  SuccessorOpened: successor,
  RetentionExpired: { kind: 'RetentionExpired', rolloutId: ID, at: 9000 },
  OperatorClearance: {
    kind: 'OperatorClearance',
    rolloutId: ID,
    operator: 'ops',
    reason: 'fixed',
    at: 9,
  },
};

const TABLE: Record<RolloutState, Partial<Record<string, RolloutState>>> = {
  Opening: { HostJoined: 'Active', SuccessorOpened: 'Superseded', WaveAdvanced: 'Opening' }, // all-offline wave
  Active: { HostJoined: 'Active' },
  Converging: { HostJoined: 'Active', WaveAdvanced: 'Converging' },
  Terminal: { SuccessorOpened: 'Superseded', RetentionExpired: 'Pruned' },
  Failed: { SuccessorOpened: 'Superseded', OperatorClearance: 'Converging' },
  Reverted: { SuccessorOpened: 'Superseded', OperatorClearance: 'Converging' },
  Superseded: { RetentionExpired: 'Pruned' },
  Pruned: {},
};

describe('rollout reducer: every state × every event', () => {
  for (const [state, book] of Object.entries(FIXTURES) as [RolloutState, RolloutBook][]) {
    it(`fixture is ${state}`, () => expect(book.rollouts[ID]?.state).toBe(state));
    for (const [kind, event] of Object.entries(EVENTS)) {
      const expected = TABLE[state][kind] ?? 'illegal';
      it(`${state} + ${kind} → ${expected}`, () => {
        const r = rolloutStep(book, event, 9000, OPT);
        if (expected === 'illegal') expect(r.ok).toBe(false);
        else expect(r.ok && r.state.rollouts[ID]?.state).toBe(expected);
      });
    }
  }

  it('refuses a second rollout on a held channel (supersession expected)', () => {
    const r = rolloutStep(
      FIXTURES.Terminal,
      { ...opened, rolloutId: 'stable@b2', targetRef: 'b2' } as RolloutEvent,
      0,
      OPT,
    );
    expect(!r.ok && r.code).toBe('CORE_ERR_SUPERSESSION_EXPECTED');
    const ok = apply(FIXTURES.Terminal, [
      successor,
      { ...opened, rolloutId: 'stable@b2', targetRef: 'b2' } as RolloutEvent,
    ]);
    expect(ok.activeByChannel.stable).toBe('stable@b2');
  });

  it('stays Active while a rollback is under way, then ends Reverted', () => {
    const b = apply(EMPTY_BOOK, [
      opened,
      join('a'),
      join('b'),
      change('a', 'Pending', 'Activating'),
      change('a', 'Activating', 'Failed', 'rollback-and-halt'),
    ]);
    expect(b.rollouts[ID]?.state).toBe('Active');
    const c = apply(b, [change('a', 'Failed', 'Reverted')]);
    expect(c.rollouts[ID]?.state).toBe('Active'); // b still Pending: in flight
    const d = apply(c, converge('b'));
    expect(d.rollouts[ID]?.state).toBe('Reverted');
  });

  it('schedules pruning on supersession and refuses early pruning', () => {
    const r = rolloutStep(FIXTURES.Opening, successor, 0, OPT);
    expect(r.ok && r.effects).toContainEqual({
      kind: 'SchedulePruning',
      rolloutId: ID,
      delayMs: 1000,
    });
    const early = rolloutStep(
      FIXTURES.Superseded,
      EVENTS.RetentionExpired as RolloutEvent,
      10,
      OPT,
    );
    expect(early.ok).toBe(false);
  });
});
