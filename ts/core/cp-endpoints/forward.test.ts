import { describe, expect, it } from 'vitest';
import {
  FORWARD_MARGIN_MS,
  FORWARD_POOL_MAX,
  FORWARD_STREAMS_PER_SESSION,
  FORWARD_TIMEOUT_MS,
  followerHealthy,
  forwardTimeoutMs,
  forwardVerdict,
  pickSession,
} from './forward.ts';

describe('forwardVerdict', () => {
  it('relays every answer of the leader, refusals and 5xx included, but its CP_ERR_NOT_LEADER', () => {
    for (const [status, code] of [
      [200, null],
      [204, null],
      [409, 'CP_ERR_ILLEGAL_TRANSITION'],
      [403, 'CP_ERR_CERT_REVOKED'],
      [503, 'CP_ERR_STORAGE'],
      [503, null],
    ] as const) {
      expect(forwardVerdict({ kind: 'answered', status, cpCode: code })).toEqual({
        answer: 'relay',
        outcome: 'relayed',
      });
    }
    expect(forwardVerdict({ kind: 'answered', status: 503, cpCode: 'CP_ERR_NOT_LEADER' })).toEqual({
      answer: 'not-leader',
      outcome: 'leader-moved',
    });
  });

  it('refuses (never a 2xx of its own) without an answer', () => {
    expect(forwardVerdict({ kind: 'no-leader' }).answer).toBe('not-leader');
    expect(forwardVerdict({ kind: 'transport' })).toEqual({
      answer: 'not-leader',
      outcome: 'unreachable',
    });
    expect(forwardVerdict({ kind: 'timeout' })).toEqual({
      answer: 'not-leader',
      outcome: 'timeout',
    });
  });
});

describe('forwardTimeoutMs', () => {
  it('waits out a long-poll with a margin, and not other requests', () => {
    expect(forwardTimeoutMs('GET /v1/agent/dispatch', 60_000)).toBe(60_000 + FORWARD_MARGIN_MS);
    expect(forwardTimeoutMs('POST /v1/agent/events', 60_000)).toBe(FORWARD_TIMEOUT_MS);
  });
});

describe('pickSession', () => {
  it('opens the first, then fills the least loaded up to the per-session mark before opening more', () => {
    expect(pickSession([])).toBe('open');
    expect(pickSession([5, 2, 9])).toBe(1);
    expect(pickSession([FORWARD_STREAMS_PER_SESSION])).toBe('open');
    const full = Array.from(
      { length: FORWARD_POOL_MAX },
      (_, i) => FORWARD_STREAMS_PER_SESSION + i,
    );
    expect(pickSession(full)).toBe(0);
  });
});

describe('followerHealthy', () => {
  it('is healthy only with a known leader reached within the window (fail closed)', () => {
    const url = 'https://cp-a:8443';
    expect(followerHealthy({ leaderUrl: url, lastReachedAt: 9_000 }, 10_000, 6_000)).toBe(true);
    expect(followerHealthy({ leaderUrl: url, lastReachedAt: 1_000 }, 10_000, 6_000)).toBe(false);
    expect(followerHealthy({ leaderUrl: url, lastReachedAt: null }, 10_000, 6_000)).toBe(false);
    expect(followerHealthy({ leaderUrl: null, lastReachedAt: 9_999 }, 10_000, 6_000)).toBe(false);
  });
});
