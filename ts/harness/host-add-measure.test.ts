import { describe, expect, it } from 'vitest';
import {
  checkHostAddWithin,
  formatMeasure,
  measureOf,
  type HostAddInstants,
} from './host-add-measure.ts';

const t0 = 1_796_600_000_000;
const at = (s: number): number => t0 + s * 1000;
// The shape of a measured run: enrollment (17.5 s) before the rollout
// reached the host's wave (24.0 s), the heartbeat before Converged.
const run: HostAddInstants = {
  start: t0,
  added: at(3.1),
  released: at(12.6),
  adopted: at(13.0),
  refusedEnrollments: 4,
  enrolled: at(17.5),
  waveReached: at(24.0),
  hostWave: 3,
  dispatched: at(32.7),
  realised: at(33.1),
  heartbeat: at(34.6),
  converged: at(44.3),
  shownByStatus: at(44.9),
};

describe('the host-add figure', () => {
  it('orders the milestones by when they happened, each with the gap since the one before', () => {
    const m = measureOf('agent-17', 60, run);
    expect(m.totalSecs).toBeCloseTo(44.9, 5);
    expect(m.parts.map((p) => p.atSecs)).toEqual([
      3.1, 12.6, 13, 17.5, 24, 32.7, 33.1, 34.6, 44.3, 44.9,
    ]);
    expect(m.parts[4]?.what).toContain("host's wave 3");
    expect(m.parts[4]?.secs).toBeCloseTo(6.5, 5);
    expect(checkHostAddWithin([m])).toEqual([]);
    expect(formatMeasure(m)[0]).toContain('44.9 s');
  });

  it('ends at the later of status and the broker heartbeat', () => {
    const m = measureOf('agent-17', 60, { ...run, heartbeat: at(50.2) });
    expect(m.totalSecs).toBeCloseTo(50.2, 5);
    expect(m.parts.at(-1)?.what).toBe('first heartbeat seen on the broker');
  });

  it('fails above the budget', () => {
    const m = measureOf('agent-17', 30, run);
    expect(checkHostAddWithin([m])).toEqual([
      'hostAddWithin: agent-17 took 44.9 s, over its budget of 30 s',
    ]);
  });

  it('fails when the host never heartbeats on the broker, or never shows converged', () => {
    expect(checkHostAddWithin([measureOf('agent-17', 60, { ...run, heartbeat: null })])).toEqual([
      'hostAddWithin: agent-17 never got there: a heartbeat seen on the broker',
    ]);
    const notShown = measureOf('agent-17', 60, { ...run, shownByStatus: null });
    expect(notShown.totalSecs).toBeNull();
    expect(checkHostAddWithin([notShown])[0]).toContain('never got there: shown Converged');
  });

  it('fails when a part was not observed in the logs', () => {
    const v = checkHostAddWithin([measureOf('agent-17', 60, { ...run, dispatched: null })]);
    expect(v).toEqual([
      'hostAddWithin: agent-17: not observed in the logs: dispatch received (long-poll answered; disruption budget)',
    ]);
  });

  it('fails without any measure: nothing to judge is no pass', () => {
    expect(checkHostAddWithin([])).toEqual(['hostAddWithin: no hostAdd step measured a host']);
  });

  it('needs no broker when the step names no subject', () => {
    const { heartbeat: _, ...noBroker } = run;
    const m = measureOf('web-09', 60, noBroker);
    expect(m.totalSecs).toBeCloseTo(44.9, 5);
    expect(m.parts.some((p) => p.what.includes('broker'))).toBe(false);
  });
});
