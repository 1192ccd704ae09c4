// The rollback rule, table-driven: which candidates a set of per-channel
// high-water marks refuses, and how adopting moves the marks.
import { describe, expect, it } from 'vitest';
import {
  checkNotRolledBack,
  fleetMarkCandidates,
  raiseMarks,
  type HighWaterMark,
  type MarkCandidate,
} from './monotonic.ts';

const T1 = '2026-06-01T10:00:00Z';
const T2 = '2026-06-01T11:30:00Z';
const T2_FRAC = '2026-06-01T11:30:00.500Z';
const marks = (entries: Record<string, HighWaterMark>) => new Map(Object.entries(entries));
const c = (channel: string, signedAt: string, release = 'r'): MarkCandidate => ({
  channel,
  signedAt,
  release,
});

describe('checkNotRolledBack', () => {
  const adopted = { signedAt: T2, release: 'new' };
  const cases: {
    name: string;
    marks: Record<string, HighWaterMark>;
    candidates: MarkCandidate[];
    refused: string | null;
  }[] = [
    { name: 'no mark yet', marks: {}, candidates: [c('stable', T1)], refused: null },
    {
      name: 'newer',
      marks: { stable: { signedAt: T1, release: 'old' } },
      candidates: [c('stable', T2)],
      refused: null,
    },
    {
      name: 'same instant',
      marks: { stable: adopted },
      candidates: [c('stable', T2)],
      refused: null,
    },
    {
      name: 'older',
      marks: { stable: adopted },
      candidates: [c('stable', T1, 'old')],
      refused: 'stable',
    },
    {
      name: 'older by a fraction',
      marks: { stable: { signedAt: T2_FRAC, release: 'new' } },
      candidates: [c('stable', T2)],
      refused: 'stable',
    },
    {
      name: 'other channel older only',
      marks: { edge: adopted },
      candidates: [c('stable', T1), c('edge', T2)],
      refused: null,
    },
    {
      name: 'second channel older',
      marks: { edge: adopted },
      candidates: [c('stable', T2), c('edge', T1)],
      refused: 'edge',
    },
    {
      name: 'unreadable candidate (fail closed)',
      marks: { stable: adopted },
      candidates: [c('stable', 'yesterday')],
      refused: 'stable',
    },
    {
      name: 'unreadable mark (fail closed)',
      marks: { stable: { signedAt: 'x', release: 'r' } },
      candidates: [c('stable', T2)],
      refused: 'stable',
    },
    { name: 'no candidates', marks: { stable: adopted }, candidates: [], refused: null },
  ];
  for (const k of cases) {
    it(k.name, () => {
      const r = checkNotRolledBack(marks(k.marks), k.candidates);
      expect(r.ok ? null : r.error.channel).toBe(k.refused);
    });
  }

  it('names the channel, both signedAt values and both releases', () => {
    const r = checkNotRolledBack(marks({ stable: adopted }), [c('stable', T1, 'old')]);
    if (r.ok) throw new Error('not refused');
    expect(r.error).toMatchObject({
      channel: 'stable',
      refused: { signedAt: T1, release: 'old' },
      adopted,
    });
    for (const s of [T1, T2, 'old', 'new', 'stable']) expect(r.error.message).toContain(s);
  });
});

describe('raiseMarks', () => {
  const cases: {
    name: string;
    marks: Record<string, HighWaterMark>;
    candidates: MarkCandidate[];
    after: Record<string, string>;
    unchanged: boolean;
  }[] = [
    {
      name: 'first adoption',
      marks: {},
      candidates: [c('stable', T1)],
      after: { stable: T1 },
      unchanged: false,
    },
    {
      name: 'moves forward',
      marks: { stable: { signedAt: T1, release: 'r' } },
      candidates: [c('stable', T2)],
      after: { stable: T2 },
      unchanged: false,
    },
    {
      name: 'never backwards',
      marks: { stable: { signedAt: T2, release: 'r' } },
      candidates: [c('stable', T1)],
      after: { stable: T2 },
      unchanged: true,
    },
    {
      name: 'equal keeps the object',
      marks: { stable: { signedAt: T2, release: 'r' } },
      candidates: [c('stable', T2)],
      after: { stable: T2 },
      unchanged: true,
    },
    {
      name: 'unreadable candidate ignored',
      marks: {},
      candidates: [c('stable', 'x')],
      after: {},
      unchanged: true,
    },
    {
      name: 'per channel',
      marks: { edge: { signedAt: T2, release: 'r' } },
      candidates: [c('stable', T1), c('edge', T1)],
      after: { edge: T2, stable: T1 },
      unchanged: false,
    },
  ];
  for (const k of cases) {
    it(k.name, () => {
      const before = marks(k.marks);
      const next = raiseMarks(before, k.candidates);
      expect(Object.fromEntries([...next].map(([ch, m]) => [ch, m.signedAt]))).toEqual(k.after);
      expect(next === before).toBe(k.unchanged);
      // The input is never mutated.
      expect(before).toEqual(marks(k.marks));
    });
  }
});

describe('fleetMarkCandidates', () => {
  it('one candidate per channel, released as the ciCommit', () => {
    expect(
      fleetMarkCandidates({
        channels: { stable: {}, edge: {} },
        meta: { signedAt: T1, ciCommit: 'abc' },
      }),
    ).toEqual([c('edge', T1, 'abc'), c('stable', T1, 'abc')]);
    expect(
      fleetMarkCandidates({ channels: { stable: {} }, meta: { signedAt: null, ciCommit: null } }),
    ).toEqual([]);
  });
});
