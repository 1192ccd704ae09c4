import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  parseDuration,
  type DurationErrorReason,
  type DurationSpec,
} from './duration.ts';

const S: DurationSpec = { bareUnit: 's' };

describe('parseDuration accepts the one grammar', () => {
  const cases: readonly [string, DurationSpec, number][] = [
    ['90s', S, 90_000],
    ['1m30s', S, 90_000],
    ['1.5m', S, 90_000],
    ['2h', S, 7_200_000],
    ['500ms', S, 500],
    ['1.5s', S, 1_500],
    ['1h30m', S, 5_400_000],
    ['7d', S, 604_800_000],
    ['1d2h3m4s5ms', S, 93_784_005],
    ['0s', S, 0],
    ['  30s  ', S, 30_000],
    // Plain numbers keep the flag's documented unit.
    ['30', S, 30_000],
    ['0.05', S, 50],
    ['500', { bareUnit: 'ms' }, 500],
    ['10080', { bareUnit: 'm' }, 604_800_000],
    ['30', { bareUnit: 'd' }, 2_592_000_000],
    // Sub-millisecond precision rounds to the nearest millisecond.
    ['1.4ms', S, 1],
  ];
  it.each(cases)('%j (bare %o) is %d ms', (text, spec, ms) => {
    expect(parseDuration(text, spec)).toEqual({ ok: true, ms });
  });
});

describe('parseDuration refuses with a typed reason', () => {
  const cases: readonly [string, DurationSpec, DurationErrorReason][] = [
    ['', S, 'empty'],
    ['   ', S, 'empty'],
    ['-1s', S, 'negative'],
    ['-5', S, 'negative'],
    ['s', S, 'malformed'],
    ['1.s', S, 'malformed'],
    ['.5s', S, 'malformed'],
    ['1e3', S, 'malformed'],
    ['1S', S, 'malformed'],
    ['1 s', S, 'malformed'],
    ['1h 30m', S, 'malformed'],
    ['30m1h', S, 'malformed'],
    ['1m1m', S, 'malformed'],
    ['1msec', S, 'malformed'],
    ['1w', S, 'malformed'],
    ['soon', S, 'malformed'],
    ['0x10', S, 'malformed'],
    ['Infinity', S, 'malformed'],
    ['NaN', S, 'malformed'],
    ['+5s', S, 'malformed'],
    ['1h30', S, 'malformed'],
    ['1,5s', S, 'malformed'],
    ['36501d', S, 'overflow'],
    ['9'.repeat(400), S, 'overflow'],
    [`${'9'.repeat(400)}ms`, S, 'overflow'],
    ['0', { bareUnit: 's', minMs: 1 }, 'below-minimum'],
    ['0.4ms', { bareUnit: 's', minMs: 1 }, 'below-minimum'],
    ['2h', { bareUnit: 's', maxMs: 3_600_000 }, 'above-maximum'],
  ];
  it.each(cases)('%j is %s', (text, spec, reason) => {
    const r = parseDuration(text, spec);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe(reason);
      expect(r.message).toMatch(/write e\.g\. 90s, 1m30s/);
    }
  });

  it('quotes a long input shortened', () => {
    const r = parseDuration('x'.repeat(1000), S);
    expect(!r.ok && r.message.length).toBeLessThan(200);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [90_000, '1m30s'],
    [5_400_000, '1h30m'],
    [604_800_000, '7d'],
    [93_784_005, '1d2h3m4s5ms'],
  ])('%d ms is %s and parses back', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text, S)).toEqual({ ok: true, ms });
  });
  it('prints — for negative or non-finite values', () => {
    expect(formatDuration(-1)).toBe('—');
    expect(formatDuration(Number.NaN)).toBe('—');
  });
});
