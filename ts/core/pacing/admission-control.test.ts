import { describe, expect, it } from 'vitest';
import type { Decision } from '../decisions.ts';
import { markPaced, pacedBlock } from './admission-control.ts';

const base = {
  ts: '2026-05-16T01:27:00Z',
  channel: 'stable',
  rollout: 'stable@abc',
  wave: 2,
  budgets: null,
} as const;
const dispatch = (host: string): Decision => ({
  ...base,
  decision: 'dispatch',
  code: 'DISPATCHED',
  gate: null,
  host,
  transition: '(none) -> Pending',
  reason: 'dispatched',
});
const soaking: Decision = {
  ...base,
  decision: 'hold',
  code: 'SOAKING',
  gate: null,
  host: 'h-9',
  transition: null,
  reason: 'soaking',
};

describe('admission-control gate', () => {
  it('turns the held dispatches into holds, in release order, and leaves the rest', () => {
    const decisions = [dispatch('h-1'), dispatch('h-2'), dispatch('h-3'), soaking];
    const held = [
      { rolloutId: 'stable@abc', hostname: 'h-3' },
      { rolloutId: 'stable@abc', hostname: 'h-2' },
    ];
    const out = markPaced(decisions, held, 150);
    expect(out.map((d) => [d.host, d.decision, d.code, d.gate])).toEqual([
      ['h-1', 'dispatch', 'DISPATCHED', null],
      ['h-2', 'hold', 'DISPATCH_PACED', 'admission-control'],
      ['h-3', 'hold', 'DISPATCH_PACED', 'admission-control'],
      ['h-9', 'hold', 'SOAKING', null],
    ]);
    expect(out[1]?.transition).toBeNull();
    expect(out[2]?.reason).toBe(
      'cleared by every gate; held by admission control (1 of 2 queued, released at 150 hosts/s, due in about 1 s)',
    );
    expect(out[0]).toBe(decisions[0]);
  });

  it('matches on rollout and host, never the host alone', () => {
    const out = markPaced([dispatch('h-1')], [{ rolloutId: 'edge@def', hostname: 'h-1' }], 10);
    expect(out[0]?.code).toBe('DISPATCHED');
  });

  it('states the wait from the position and rate; no estimate at rate 0', () => {
    expect(pacedBlock(4_500, 9_000, 300).reason).toContain('due in about 15 s');
    expect(pacedBlock(1, 1, 0).reason).not.toContain('due in');
    expect(markPaced([soaking], [], 1)).toEqual([soaking]);
  });
});
