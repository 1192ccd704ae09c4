// What holds a rollout, and the way forward each view prints.
import { describe, expect, it } from 'vitest';
import { ZERO_COUNTS } from './derive.ts';
import { rolloutHold } from './hold.ts';
import type { RolloutRecord, RolloutState } from './types.ts';

const T0 = 1_000_000;
const mark = { by: 'alice', reason: 'db migration', at: T0 };
const manifest = (operatorClear: boolean, approval: 'auto' | 'manual' = 'auto') => ({
  waves: [{ soakMinutes: 0, approval }],
  operatorClear,
});

function record(state: RolloutState, extra: Partial<RolloutRecord> = {}): RolloutRecord {
  return {
    rolloutId: 'stable@aa01',
    channel: 'stable',
    targetRef: 'aa01',
    state,
    currentWave: 0,
    waveCount: 1,
    counts: ZERO_COUNTS,
    failedHalted: 0,
    acknowledged: 0,
    catchUpHosts: [],
    skipped: [],
    openedAt: T0,
    lastTransitionAt: T0 + 5,
    terminalAt: null,
    supersededAt: null,
    supersededBy: null,
    prunedAt: null,
    haltedBy: null,
    ...extra,
  };
}

describe('rolloutHold', () => {
  it('is null for a rollout only the usual gates hold, and for settled rollouts', () => {
    expect(rolloutHold(record('Active'), manifest(false))).toBeNull();
    expect(rolloutHold(record('Terminal', { paused: mark }), manifest(false))).toBeNull();
    expect(rolloutHold(record('Superseded', { aborted: mark }), manifest(false))).toBeNull();
  });
  it('names who paused, why and since when, and how to resume', () => {
    expect(rolloutHold(record('Active', { paused: mark }), manifest(false))).toEqual({
      kind: 'paused',
      by: 'alice',
      reason: 'db migration',
      since: T0,
      next: 'nixfleet rollout resume stable@aa01',
    });
  });
  it('abort wins over pause and says only a new release moves the channel on', () => {
    const h = rolloutHold(
      record('Active', { paused: mark, aborted: { ...mark, by: 'root' } }),
      undefined,
    );
    expect(h).toMatchObject({ kind: 'aborted', by: 'root' });
    expect(h?.next).toContain('only a new release');
  });
  it('a Reverted rollout says whether an admin may clear it or a new release is the only way', () => {
    const haltedBy = { host: 'web-01', policy: 'rollback-and-halt' as const };
    expect(rolloutHold(record('Reverted', { haltedBy }), manifest(false))?.next).toMatch(
      /^only a new release moves channel stable on/,
    );
    expect(rolloutHold(record('Failed', { haltedBy }), manifest(true))?.next).toContain(
      'nixfleet rollout clear stable@aa01',
    );
    expect(rolloutHold(record('Reverted', { haltedBy }), manifest(true))?.reason).toContain(
      'web-01',
    );
  });
  it('a manual wave not yet approved waits for approval; approved, nothing holds', () => {
    expect(rolloutHold(record('Active'), manifest(false, 'manual'))).toMatchObject({
      kind: 'awaiting-approval',
      next: 'nixfleet rollout approve stable@aa01',
    });
    const approved = record('Active', { approvals: [{ ...mark, wave: 0 }] });
    expect(rolloutHold(approved, manifest(false, 'manual'))).toBeNull();
  });
});
