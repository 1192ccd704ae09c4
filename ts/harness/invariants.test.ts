import { describe, expect, it } from 'vitest';
import type { ApiRolloutEvents, FleetResolved } from '../contracts/index.ts';
import { checkBudgetsRespected, selects } from './invariants.ts';

type LogEvent = ApiRolloutEvents['events'][number];

const none = { all: false, and: [], channel: null, hosts: [], not: null, tags: [], tagsAny: [] };
const host = (channel: string, tags: string[]) => ({
  system: 'x86_64-linux',
  tags,
  channel,
  closureHash: null,
  pubkey: null,
});
const fleet = {
  hosts: {
    'web-01': host('stable', ['web']),
    'web-02': host('edge', ['web']),
    'db-01': host('stable', ['db']),
  },
  disruptionBudgets: [
    { selector: { ...none, tags: ['web'] }, maxInFlight: 1, maxInFlightPct: null },
  ],
} as unknown as FleetResolved;

let seq = 0;
/** A CP HostStateChanged log row, as the CP writes it. */
function change(rollout: string, hostname: string, to: string, at: number): LogEvent {
  seq++;
  return {
    seq,
    at: new Date(at).toISOString(),
    hostname,
    kind: 'HostStateChanged',
    payload: {
      stream: 'rollout',
      event: { kind: 'HostStateChanged', rolloutId: rollout, hostname, from: null, to, at },
    },
  } as LogEvent;
}

describe('budgetsRespected', () => {
  it('holds when hosts of two channels are in flight one after the other', () => {
    const events = [
      change('stable@a1', 'web-01', 'Activating', 1000),
      change('stable@a1', 'web-01', 'Soaking', 2000),
      change('stable@a1', 'web-01', 'Converged', 3000),
      // Enters at the instant the other left: half-open intervals.
      change('edge@a1', 'web-02', 'Activating', 3000),
      change('edge@a1', 'web-02', 'Converged', 4000),
      // Not a member of the budget.
      change('stable@a1', 'db-01', 'Activating', 1500),
    ];
    expect(checkBudgetsRespected(events, fleet)).toEqual([]);
  });

  it('fails when two members across channels overlap in flight', () => {
    const events = [
      change('stable@a1', 'web-01', 'Activating', 1000),
      change('edge@a1', 'web-02', 'Activating', 1500),
      change('stable@a1', 'web-01', 'Converged', 2000),
      change('edge@a1', 'web-02', 'Converged', 2500),
    ];
    const v = checkBudgetsRespected(events, fleet);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatch(/exceeded .* 2 in flight \[web-01, web-02\]/);
  });

  it('never passes vacuously', () => {
    expect(checkBudgetsRespected([], fleet)[0]).toMatch(/no evidence/);
    expect(
      checkBudgetsRespected([], { ...fleet, disruptionBudgets: [] } as FleetResolved)[0],
    ).toMatch(/declares no disruption budget/);
  });

  it('matches selectors as the intersection of their keys', () => {
    const h = { tags: ['web', 'eu'], channel: 'stable' };
    expect(selects({ ...none, tags: ['web'], channel: 'stable' }, 'x', h)).toBe(true);
    expect(selects({ ...none, tags: ['web'], channel: 'edge' }, 'x', h)).toBe(false);
    expect(selects({ ...none, tagsAny: ['db', 'eu'] }, 'x', h)).toBe(true);
    expect(selects({ ...none, all: true, not: { ...none, hosts: ['x'] } }, 'x', h)).toBe(false);
  });
});

describe('budgetsRespected: a host whose transitions arrive out of order', () => {
  it('leaves flight when it converged before the instant the CP first saw it activating', () => {
    // The CP learns web-01's activation from a heartbeat (stamped 2500)
    // before the agent's delayed Converged (stamped 2400, when it happened);
    // web-02 is dispatched only after.
    const events = [
      change('stable@a1', 'web-01', 'Activating', 2500),
      change('stable@a1', 'web-01', 'Soaking', 2500),
      change('stable@a1', 'web-01', 'Converged', 2400),
      change('edge@a1', 'web-02', 'Activating', 4000),
      change('edge@a1', 'web-02', 'Converged', 5000),
    ];
    expect(checkBudgetsRespected(events, fleet)).toEqual([]);
  });

  it('still fails when the out-of-order host overlaps another in flight', () => {
    const events = [
      change('stable@a1', 'web-01', 'Activating', 2000),
      change('stable@a1', 'web-01', 'Soaking', 1900),
      change('edge@a1', 'web-02', 'Activating', 2600),
      change('stable@a1', 'web-01', 'Converged', 3000),
      change('edge@a1', 'web-02', 'Converged', 3500),
    ];
    const v = checkBudgetsRespected(events, fleet);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatch(/2 in flight \[web-01, web-02\]/);
  });
});
