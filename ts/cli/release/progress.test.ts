import { describe, expect, it } from 'vitest';
import {
  formatProgressEvent,
  formatProgressLine,
  progressReporter,
  type ReleaseProgress,
} from './progress.ts';

const built = (host: string, done: number, total: number): ReleaseProgress => ({
  step: 'built',
  host,
  detail: `abc-${host}`,
  done,
  total,
});

describe('release progress', () => {
  it.each([
    [{ built: 17, pushed: 12, total: 32, elapsedMs: 41_000 }, 'built 17/32 · pushed 12/32 · 00:41'],
    [{ built: 0, pushed: 0, total: 0, elapsedMs: 999 }, 'built 0/? · pushed 0/? · 00:00'],
    [
      { built: 256, pushed: 256, total: 256, elapsedMs: 3_725_000 },
      'built 256/256 · pushed 256/256 · 62:05',
    ],
    [{ built: 1, pushed: 0, total: 2, elapsedMs: -5 }, 'built 1/2 · pushed 0/2 · 00:00'],
  ])('formats the status line %j', (counts, line) => {
    expect(formatProgressLine(counts)).toBe(line);
  });

  it('formats the CI line of each step', () => {
    expect(formatProgressEvent(built('web-01', 1, 3))).toBe('built web-01 abc-web-01 (1/3)');
    expect(
      formatProgressEvent({ step: 'pushed', host: 'web-01', detail: null, done: 2, total: 3 }),
    ).toBe('pushed web-01 (2/3)');
  });

  it('without a terminal, writes one line per message and per step', () => {
    const lines: string[] = [];
    const r = progressReporter({ writeLine: (l) => lines.push(l), now: () => 0 });
    r.log('signing fleet.resolved.json');
    r.progress(built('web-01', 1, 2));
    r.stop();
    expect(lines).toEqual([
      'release: signing fleet.resolved.json',
      'release: built web-01 abc-web-01 (1/2)',
    ]);
  });

  it('on a terminal, redraws one status line and scrolls messages above it', () => {
    const lines: string[] = [];
    const status: (string | null)[] = [];
    let t = 0;
    const r = progressReporter({
      writeLine: (l) => lines.push(l),
      statusLine: (s) => status.push(s),
      now: () => t,
    });
    t = 5_000;
    r.progress(built('web-01', 1, 2));
    r.progress({ step: 'pushed', host: 'web-01', detail: null, done: 1, total: 1 });
    r.log('signing fleet.resolved.json');
    r.stop();
    // Steps never become scrolling lines; a message clears the line first.
    expect(lines).toEqual(['release: signing fleet.resolved.json']);
    expect(status).toEqual([
      'built 1/2 · pushed 0/2 · 00:05',
      'built 1/2 · pushed 1/2 · 00:05',
      null,
      'built 1/2 · pushed 1/2 · 00:05',
      null,
    ]);
  });
});
