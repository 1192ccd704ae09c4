// The token-bucket rule of per-host budgets: bursts up to capacity, refill
// by rate, refused takes cost nothing and say how long to wait.
import { describe, expect, it } from 'vitest';
import { budgetIdle, takeBudget, type BudgetState } from './budget.ts';

const rule = { perSec: 2, burst: 3 };

describe('takeBudget', () => {
  it('admits a burst from a full bucket, then refuses with the wait', () => {
    let s: BudgetState | undefined;
    for (let i = 0; i < 3; i++) {
      const d = takeBudget(s, rule, 1, 1_000);
      expect(d.ok).toBe(true);
      s = d.state;
    }
    const over = takeBudget(s, rule, 1, 1_000);
    expect(over).toMatchObject({ ok: false, retryAfterMs: 500 });
    // The refusal cost nothing: half a second later one token is back.
    expect(takeBudget(over.state, rule, 1, 1_500).ok).toBe(true);
  });

  it('never refills past the burst, and a cost above it never fits', () => {
    const d = takeBudget({ tokens: 0, at: 0 }, rule, 1, 3_600_000);
    expect(d).toMatchObject({ ok: true, state: { tokens: 2 } });
    expect(takeBudget(undefined, rule, 4, 0)).toMatchObject({ ok: false, retryAfterMs: Infinity });
    expect(takeBudget({ tokens: 0, at: 0 }, { perSec: 0, burst: 3 }, 1, 10_000)).toMatchObject({
      ok: false,
      retryAfterMs: Infinity,
    });
  });

  it('treats a clock going backwards as no time passed', () => {
    expect(takeBudget({ tokens: 0, at: 5_000 }, rule, 1, 1_000).ok).toBe(false);
  });

  it('says when a bucket is full again', () => {
    expect(budgetIdle({ tokens: 0, at: 0 }, rule, 1_000)).toBe(false);
    expect(budgetIdle({ tokens: 0, at: 0 }, rule, 1_500)).toBe(true);
  });
});
