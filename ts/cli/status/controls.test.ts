import { describe, expect, it } from 'vitest';
import { controlText, failingControls, rolloutsToTrace, type ProbeFailure } from './controls.ts';

const RID = 'stable@3f2a9c1d';
const row = (over: Partial<ProbeFailure>): ProbeFailure => ({
  rolloutId: RID,
  hostname: 'web-1',
  probe: 'compliance-nis2',
  controlId: 'ssh-no-password',
  framework: 'nis2',
  article: null,
  reason: '1 control(s) failing for nis2',
  observedAt: '2026-05-16T01:27:05Z',
  eventLogSeq: 10,
  ...over,
});
const host = (hostname: string, failing: string[], rolloutId: string | null = RID) => ({
  hostname,
  rolloutId,
  failingEnforceProbes: failing,
});

describe('failingControls', () => {
  it('keeps the controls of the newest failing result of each probe the host still fails', () => {
    const rows = [
      row({ controlId: 'firewall-enabled', eventLogSeq: 10 }),
      row({ controlId: 'ssh-no-password', eventLogSeq: 20 }),
      row({ controlId: 'audit-logging', eventLogSeq: 20, article: 'A.8.15' }),
      // web-2's probe passes again: its old rows are history, not failing now.
      row({ hostname: 'web-2', controlId: 'firewall-enabled' }),
      // A probe without per-control results is not a control.
      row({ probe: 'http-health', controlId: null, framework: null }),
    ];
    const out = failingControls(
      [host('web-1', ['compliance-nis2', 'http-health']), host('web-2', [])],
      rows,
    );
    expect(out.map((c) => [c.hostname, c.controlId, c.article])).toEqual([
      ['web-1', 'audit-logging', 'A.8.15'],
      ['web-1', 'ssh-no-password', null],
    ]);
    expect(out.map(controlText)).toEqual(['audit-logging (nis2 A.8.15)', 'ssh-no-password (nis2)']);
  });

  it('ignores rows of another rollout than the host latest one', () => {
    const rows = [row({ rolloutId: 'stable@0a1b2c3d' })];
    expect(failingControls([host('web-1', ['compliance-nis2'])], rows)).toEqual([]);
  });

  it('fetches traces only for rollouts with a failing enforce probe', () => {
    expect(
      rolloutsToTrace([
        host('web-1', ['compliance-nis2']),
        host('web-2', ['x']),
        host('web-3', []),
        host('web-4', ['y'], null),
      ]),
    ).toEqual([RID]);
  });
});
