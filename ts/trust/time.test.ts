import { describe, expect, it } from 'vitest';
import { formatTimestamp, parseTimestamp } from './time.ts';

describe('RFC 3339 UTC timestamps', () => {
  it('parses Z timestamps, with fractions and leap seconds', () => {
    expect(parseTimestamp('2026-01-15T12:00:00Z')).toBe(Date.UTC(2026, 0, 15, 12));
    expect(parseTimestamp('2026-01-15T12:00:00.250Z')).toBe(Date.UTC(2026, 0, 15, 12) + 250);
    expect(parseTimestamp('2016-12-31T23:59:60Z')).toBe(Date.UTC(2017, 0, 1));
  });

  it('refuses offsets, lowercase, impossible dates and junk', () => {
    for (const bad of [
      '2026-01-15T12:00:00+00:00',
      '2026-01-15t12:00:00z',
      '2026-02-30T00:00:00Z',
      '2026-01-15 12:00:00Z',
      '2026-01-15T24:00:00Z',
      '',
    ]) {
      expect(parseTimestamp(bad)).toBeNull();
    }
  });

  it('formats whole-second UTC', () => {
    expect(formatTimestamp(Date.UTC(2026, 0, 15, 12, 0, 0, 999))).toBe('2026-01-15T12:00:00Z');
    expect(formatTimestamp(new Date('2026-01-15T12:00:00Z'))).toBe('2026-01-15T12:00:00Z');
  });
});
