import { describe, expect, it } from 'vitest';
import {
  classifyCpOutcome,
  initialCpEndpoints,
  onCpAttempt,
  effectiveReconnectSpread,
  reconnectAt,
  reconnectWaitMs,
  roundBackoffMs,
  type CpAttemptOutcome,
  type CpEndpointsState,
} from './failover.ts';

const refused: CpAttemptOutcome = { kind: 'transport', reason: 'unreachable' };
const timeout: CpAttemptOutcome = { kind: 'transport', reason: 'timeout' };
const answered = (status: number, cpCode: string | null = null): CpAttemptOutcome => ({
  kind: 'answered',
  status,
  cpCode,
});
const backoff = { baseMs: 1000, maxMs: 60_000 };

describe('classifyCpOutcome', () => {
  it.each<[string, CpAttemptOutcome, string]>([
    ['connection refused, reset, TLS failure', refused, 'switch'],
    ['request or long-poll without an answer', timeout, 'switch'],
    ['the agent aborted', { kind: 'transport', reason: 'aborted' }, 'neutral'],
    ['over the body limit', { kind: 'transport', reason: 'too-large' }, 'neutral'],
    ['500', answered(500), 'switch'],
    ['502', answered(502), 'switch'],
    ['503', answered(503), 'switch'],
    ['503 not leader', answered(503, 'CP_ERR_NOT_LEADER'), 'switch'],
    ['421 not leader', answered(421, 'CP_ERR_NOT_LEADER'), 'switch'],
    ['200', answered(200), 'ok'],
    ['204', answered(204), 'ok'],
    ['400: the request, not the replica', answered(400, 'CP_ERR_BAD_REQUEST'), 'ok'],
    ['403 revoked', answered(403, 'CP_ERR_CERT_REVOKED'), 'ok'],
    ['404', answered(404), 'ok'],
    ['429 over budget: the replica serves', answered(429), 'ok'],
  ])('%s → %s', (_, o, verdict) => {
    expect(classifyCpOutcome(o)).toBe(verdict);
  });
});

describe('onCpAttempt', () => {
  type Row = {
    readonly name: string;
    readonly state: CpEndpointsState;
    readonly attempted: number;
    readonly outcome: CpAttemptOutcome;
    readonly tried: number;
    readonly next: Partial<CpEndpointsState>;
    readonly decision: unknown;
  };
  const s = (active: number, failedInRow = 0, failedRounds = 0, count = 3): CpEndpointsState => ({
    count,
    active,
    failedInRow,
    failedRounds,
  });
  const rows: Row[] = [
    {
      name: 'success stays and clears the failure count',
      state: s(1, 2, 3),
      attempted: 1,
      outcome: answered(204),
      tried: 1,
      next: { active: 1, failedInRow: 0, failedRounds: 0 },
      decision: { kind: 'done' },
    },
    {
      name: 'refused moves to the next URL and retries at once',
      state: s(0),
      attempted: 0,
      outcome: refused,
      tried: 1,
      next: { active: 1, failedInRow: 1 },
      decision: { kind: 'retry', index: 1 },
    },
    {
      name: 'the last URL wraps to the first',
      state: s(2, 1),
      attempted: 2,
      outcome: answered(503),
      tried: 2,
      next: { active: 0, failedInRow: 2 },
      decision: { kind: 'retry', index: 0 },
    },
    {
      name: 'a not-leader reply moves on',
      state: s(0),
      attempted: 0,
      outcome: answered(503, 'CP_ERR_NOT_LEADER'),
      tried: 1,
      next: { active: 1 },
      decision: { kind: 'retry', index: 1 },
    },
    {
      name: 'every URL failed in a row: the round is exhausted, backoff 1 s·[0.5,1)',
      state: s(2, 2, 0),
      attempted: 2,
      outcome: timeout,
      tried: 3,
      next: { active: 0, failedInRow: 0, failedRounds: 1 },
      decision: { kind: 'exhausted', index: 0, backoffMs: 500 },
    },
    {
      name: 'the third failed round waits 4 s·[0.5,1)',
      state: s(2, 2, 2),
      attempted: 2,
      outcome: refused,
      tried: 3,
      next: { failedRounds: 3 },
      decision: { kind: 'exhausted', index: 0, backoffMs: 2000 },
    },
    {
      name: 'a failure on a URL already left does not move the agent again',
      state: s(1, 1),
      attempted: 0,
      outcome: refused,
      tried: 1,
      next: { active: 1, failedInRow: 1 },
      decision: { kind: 'retry', index: 1 },
    },
    {
      name: 'a stale failure after trying every URL in this call gives up without moving',
      state: s(1, 1),
      attempted: 0,
      outcome: refused,
      tried: 3,
      next: { active: 1, failedInRow: 1 },
      decision: { kind: 'exhausted', index: 1, backoffMs: 500 },
    },
    {
      name: 'a success on a URL already left changes nothing',
      state: s(2, 2),
      attempted: 1,
      outcome: answered(200),
      tried: 1,
      next: { active: 2, failedInRow: 2 },
      decision: { kind: 'done' },
    },
    {
      name: 'the agent’s own abort decides nothing',
      state: s(0, 1),
      attempted: 0,
      outcome: { kind: 'transport', reason: 'aborted' },
      tried: 1,
      next: { active: 0, failedInRow: 1 },
      decision: { kind: 'done' },
    },
    {
      name: 'one URL: a failure is a whole round',
      state: s(0, 0, 0, 1),
      attempted: 0,
      outcome: refused,
      tried: 1,
      next: { active: 0, failedInRow: 0, failedRounds: 1 },
      decision: { kind: 'exhausted', index: 0, backoffMs: 500 },
    },
  ];
  it.each(rows)('$name', (r) => {
    const out = onCpAttempt(r.state, r.attempted, r.outcome, r.tried, backoff, 0);
    expect(out.state).toMatchObject(r.next);
    expect(out.decision).toEqual(r.decision);
  });

  it('two URLs, the first dies: every request after it goes to the second', () => {
    let st = initialCpEndpoints(2);
    // Heartbeat, long-poll and an event were in flight on URL 0 together.
    for (const tried of [1, 1, 1]) {
      const r = onCpAttempt(st, 0, refused, tried, backoff, 0.3);
      st = r.state;
      expect(r.decision).toEqual({ kind: 'retry', index: 1 });
    }
    expect(st.active).toBe(1);
    st = onCpAttempt(st, 1, answered(204), 2, backoff, 0.3).state;
    expect(st).toEqual({ count: 2, active: 1, failedInRow: 0, failedRounds: 0 });
  });
});

describe('roundBackoffMs', () => {
  it.each([
    [1, 0, 500],
    [1, 0.999, 999],
    [2, 0, 1000],
    [6, 0, 16_000],
    [7, 0, 30_000],
    [40, 0.5, 45_000],
    [1, Number.NaN, 500],
    [1, 7, 999],
  ])('round %d, u %d → %d ms', (rounds, u, ms) => {
    expect(roundBackoffMs(rounds, backoff, u)).toBe(ms);
  });
});

describe('reconnect spread', () => {
  it('is lostAt + u·spread, deterministic in u', () => {
    expect(reconnectAt(10_000, 8_000, 0)).toBe(10_000);
    expect(reconnectAt(10_000, 8_000, 0.25)).toBe(12_000);
    expect(reconnectAt(10_000, 8_000, 0.999_999)).toBe(17_999);
    expect(reconnectAt(10_000, 0, 0.7)).toBe(10_000);
  });

  it('spreads a fleet that lost its connections together evenly over the window', () => {
    // A seeded generator stands in for 10,000 agents' independent draws.
    let seed = 42;
    const rand = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const at = Array.from({ length: 10_000 }, () => reconnectAt(0, 10_000, rand()));
    const perSecond = new Array<number>(10).fill(0);
    for (const t of at) perSecond[Math.floor(t / 1000)]! += 1;
    for (const n of perSecond) expect(n).toBeGreaterThan(900);
    for (const n of perSecond) expect(n).toBeLessThan(1100);
  });

  it('waits only until the hold has passed', () => {
    expect(reconnectWaitMs(null, 5)).toBe(0);
    expect(reconnectWaitMs(12_000, 11_500)).toBe(500);
    expect(reconnectWaitMs(12_000, 12_500)).toBe(0);
  });
});

describe('effectiveReconnectSpread', () => {
  it.each([
    [10_000, 60_000, 10_000],
    [10_000, 1_000, 1_000],
    [0, 1_000, 0],
    [5_000, 5_000, 5_000],
  ])('spread %i ms with a %i ms heartbeat → %i ms', (spread, heartbeat, want) => {
    expect(effectiveReconnectSpread(spread, heartbeat)).toBe(want);
  });
});
