import { describe, expect, it } from 'vitest';
import {
  failureQuarantines,
  isQuarantined,
  markReported,
  quarantineReport,
  recordFailure,
  reportDue,
  type LocalQuarantine,
} from './quarantine.ts';
import { pendingRecord } from './record.ts';
import type { HostState } from './types.ts';

const T0 = Date.UTC(2026, 4, 16, 1, 0, 0);
const HOUR = 3_600_000;
const WINDOW = 24 * HOUR;
const THROTTLE = HOUR;
const BAD = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-nixos-system-web-01';
const OLD = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-nixos-system-web-01';
const entry = (lastFailureAt: number, lastReportedAt: number | null = null) => ({
  firstFailureAt: lastFailureAt - HOUR,
  lastFailureAt,
  failureCount: 2,
  lastReportedAt,
});

describe('isQuarantined', () => {
  const q: LocalQuarantine = { [BAD]: entry(T0) };
  it.each([
    ['a closure that never failed', OLD, T0, false],
    ['right after the failure', BAD, T0, true],
    ['one ms before the window ends', BAD, T0 + WINDOW - 1, true],
    ['when the window ends (it runs from the last failure)', BAD, T0 + WINDOW, false],
    ['long after', BAD, T0 + 10 * WINDOW, false],
  ])('%s', (_, closure, now, expected) => {
    expect(isQuarantined(q, closure, now, WINDOW)).toBe(expected);
  });
});

describe('recordFailure', () => {
  it.each<[string, LocalQuarantine, number, LocalQuarantine]>([
    [
      'a first failure opens an entry, never reported',
      {},
      T0,
      { [BAD]: { firstFailureAt: T0, lastFailureAt: T0, failureCount: 1, lastReportedAt: null } },
    ],
    [
      'a repeat keeps the first failure and the report stamp, counts, moves the last failure',
      { [BAD]: { firstFailureAt: T0, lastFailureAt: T0, failureCount: 1, lastReportedAt: T0 } },
      T0 + HOUR,
      {
        [BAD]: {
          firstFailureAt: T0,
          lastFailureAt: T0 + HOUR,
          failureCount: 2,
          lastReportedAt: T0,
        },
      },
    ],
    [
      'an expired entry of the same closure starts over',
      { [BAD]: { firstFailureAt: T0, lastFailureAt: T0, failureCount: 5, lastReportedAt: T0 } },
      T0 + WINDOW,
      {
        [BAD]: {
          firstFailureAt: T0 + WINDOW,
          lastFailureAt: T0 + WINDOW,
          failureCount: 1,
          lastReportedAt: null,
        },
      },
    ],
    [
      'expired entries of other closures are dropped, live ones kept',
      { [OLD]: entry(T0 - WINDOW), x: entry(T0 - 1) },
      T0,
      {
        x: entry(T0 - 1),
        [BAD]: { firstFailureAt: T0, lastFailureAt: T0, failureCount: 1, lastReportedAt: null },
      },
    ],
  ])('%s', (_, q, now, expected) => {
    expect(recordFailure(q, BAD, now, WINDOW)).toEqual(expected);
  });

  it('does not touch its input', () => {
    const q: LocalQuarantine = Object.freeze({ [OLD]: Object.freeze(entry(T0 - WINDOW)) });
    recordFailure(q, BAD, T0, WINDOW);
    expect(Object.keys(q)).toEqual([OLD]);
  });
});

describe('reportDue and quarantineReport', () => {
  it.each<[string, LocalQuarantine, number, boolean]>([
    ['not quarantined: nothing to report', {}, T0, false],
    ['never reported', { [BAD]: entry(T0) }, T0, true],
    ['reported inside the throttle', { [BAD]: entry(T0, T0) }, T0 + THROTTLE - 1, false],
    ['reported exactly one throttle ago', { [BAD]: entry(T0, T0) }, T0 + THROTTLE, true],
  ])('%s', (_, q, now, due) => {
    expect(reportDue(q, BAD, now, THROTTLE)).toBe(due);
    const report = quarantineReport(q, BAD, now, THROTTLE);
    expect(report !== null).toBe(due);
  });

  it('builds the event from the entry, at `now`', () => {
    const q: LocalQuarantine = { [BAD]: entry(T0) };
    expect(quarantineReport(q, BAD, T0 + 5, THROTTLE)).toEqual({
      kind: 'LocalClosureQuarantined',
      closure: BAD,
      quarantinedAt: T0 - HOUR,
      failureCount: 2,
      lastFailureAt: T0,
      at: T0 + 5,
    });
  });

  it('markReported stamps the entry, so the next report waits a throttle', () => {
    const q = markReported({ [BAD]: entry(T0) }, BAD, T0 + 1);
    expect(q[BAD]?.lastReportedAt).toBe(T0 + 1);
    expect(quarantineReport(q, BAD, T0 + 2, THROTTLE)).toBeNull();
    expect(markReported(q, OLD, T0)).toBe(q);
  });
});

describe('failureQuarantines', () => {
  const rec = (state: HostState) => ({
    ...pendingRecord({
      rolloutId: 'stable@a1b2',
      hostname: 'web-01',
      channel: 'stable',
      wave: 0,
      targetClosure: BAD,
      soakDueAt: T0 + HOUR,
      confirmDeadline: T0 + HOUR,
      issuedAt: T0,
      seq: 1,
    }),
    state,
  });
  it.each<[HostState | null, HostState, boolean]>([
    ['Activating', 'Failed', true],
    ['Pending', 'Failed', false],
    ['Soaking', 'Failed', false],
    ['Deferred', 'Failed', false],
    ['Activating', 'Soaking', false],
    [null, 'Failed', false],
  ])('%s -> %s: %s', (before, after, expected) => {
    expect(failureQuarantines(before === null ? null : rec(before), rec(after))).toBe(expected);
  });
});
