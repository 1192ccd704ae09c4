// No promotion without evidence: the wave-promotion gate against the signed
// per-wave knobs (minSoaked, waitForNeverSeenMinutes, allowNoEnforceProbes),
// played through the planner and the reference applier.
import { describe, expect, it } from 'vitest';
import type { ProbeDecl } from '../host/types.ts';
import { ENFORCE, Sim, manifestOf } from '../../../tests/support/core-sim.ts';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const T0 = Date.UTC(2026, 4, 16, 1, 0, 0);
const DISK: ProbeDecl = { name: 'disk-ok', kind: 'exec', mode: 'enforce' };
const OBSERVE: ProbeDecl = { name: 'latency', kind: 'http', mode: 'observe' };

interface Row {
  readonly name: string;
  readonly canaries: readonly string[];
  /** Heartbeating at T0 (online). */
  readonly online: readonly string[];
  /** Heartbeated once, a day ago (offline, but seen). */
  readonly offlineSeen?: readonly string[];
  /** Canaries that converge at T0+1m, with the probes they declare. */
  readonly converge: Readonly<Record<string, readonly ProbeDecl[]>>;
  readonly minSoaked?: number;
  readonly waitForNeverSeenMinutes?: number | null;
  readonly allowNoEnforceProbes?: boolean;
  /** Minutes after T0 of the judged tick. */
  readonly atMin: number;
  readonly promoted: boolean;
  readonly code: string;
  readonly reason: RegExp;
}

const ROWS: readonly Row[] = [
  {
    name: 'a never-seen canary holds the wave indefinitely by default',
    canaries: ['c1', 'c2'],
    online: ['c1', 'b'],
    converge: { c1: [ENFORCE] },
    atMin: 10 * 24 * 60,
    promoted: false,
    code: 'WAVE_AWAITING_NEVER_SEEN',
    reason: /wave 0 held: 1 member never seen \(no heartbeat ever\): c2; .*indefinitely/,
  },
  {
    name: 'a never-seen canary holds the wave until its wait runs out',
    canaries: ['c1', 'c2'],
    online: ['c1', 'b'],
    converge: { c1: [ENFORCE] },
    waitForNeverSeenMinutes: 30,
    atMin: 20,
    promoted: false,
    code: 'WAVE_AWAITING_NEVER_SEEN',
    reason: /never seen .*: c2; the wave waits for them until 2026-05-16T01:30:00Z/,
  },
  {
    name: 'after the wait the never-seen canary is skipped and named',
    canaries: ['c1', 'c2'],
    online: ['c1', 'b'],
    converge: { c1: [ENFORCE] },
    waitForNeverSeenMinutes: 30,
    atMin: 30,
    promoted: true,
    code: 'WAVE_PROMOTED',
    reason:
      /^wave 0 soaked 0m, 1 enforce probe passing on 1 host; skipped never seen after 30m: c2$/,
  },
  {
    name: 'every canary never seen: the wait running out is not evidence',
    canaries: ['c1', 'c2'],
    online: ['b'],
    converge: {},
    waitForNeverSeenMinutes: 0,
    atMin: 60,
    promoted: false,
    code: 'WAVE_TOO_FEW_SOAKED',
    reason: /0 of 2 members soaked .*needs 1 \(minSoaked\); never seen: c1, c2/,
  },
  {
    name: 'every canary offline (seen before) holds and names them',
    canaries: ['c1', 'c2'],
    online: ['b'],
    offlineSeen: ['c1', 'c2'],
    converge: {},
    atMin: 2,
    promoted: false,
    code: 'WAVE_TOO_FEW_SOAKED',
    reason: /0 of 2 members soaked.*; offline: c1, c2/,
  },
  {
    name: 'minSoaked = 2 is not met by one soaked canary and one offline',
    canaries: ['c1', 'c2'],
    online: ['c1', 'b'],
    offlineSeen: ['c2'],
    converge: { c1: [ENFORCE] },
    minSoaked: 2,
    atMin: 2,
    promoted: false,
    code: 'WAVE_TOO_FEW_SOAKED',
    reason: /1 of 2 members soaked .*needs 2 \(minSoaked\); offline: c2/,
  },
  {
    name: 'an offline canary is skipped once one canary soaked',
    canaries: ['c1', 'c2'],
    online: ['c1', 'b'],
    offlineSeen: ['c2'],
    converge: { c1: [ENFORCE, DISK] },
    atMin: 2,
    promoted: true,
    code: 'WAVE_PROMOTED',
    reason: /^wave 0 soaked 0m, 2 enforce probes passing on 1 host; skipped offline: c2$/,
  },
  {
    name: 'zero enforce probes hold the wave and say so',
    canaries: ['c1'],
    online: ['c1', 'b'],
    converge: { c1: [OBSERVE] },
    atMin: 2,
    promoted: false,
    code: 'WAVE_NO_ENFORCE_PROBES',
    reason: /1 host soaked but 0 of them ran an enforce probe .*no enforce probe declared on: c1/,
  },
  {
    name: 'zero enforce probes promote only where the policy allows it',
    canaries: ['c1'],
    online: ['c1', 'b'],
    converge: { c1: [] },
    allowNoEnforceProbes: true,
    atMin: 2,
    promoted: true,
    code: 'WAVE_PROMOTED',
    reason:
      /^wave 0 soaked 0m, 0 enforce probes passing on 0 hosts; soaked with no enforce probe declared \(allowNoEnforceProbes\): c1$/,
  },
  {
    name: 'a soaked host without enforce probes is named but does not count',
    canaries: ['c1', 'c2'],
    online: ['c1', 'c2', 'b'],
    converge: { c1: [ENFORCE], c2: [] },
    atMin: 2,
    promoted: true,
    code: 'WAVE_PROMOTED',
    reason:
      /^wave 0 soaked 0m, 1 enforce probe passing on 1 host; soaked with no enforce probe declared: c2$/,
  },
  {
    name: 'minSoaked = 2 is not met when one of two soaked hosts ran no enforce probe',
    canaries: ['c1', 'c2'],
    online: ['c1', 'c2', 'b'],
    converge: { c1: [ENFORCE], c2: [] },
    minSoaked: 2,
    atMin: 2,
    promoted: false,
    code: 'WAVE_NO_ENFORCE_PROBES',
    reason:
      /2 hosts soaked but 1 of them ran an enforce probe \(minSoaked = 2\); no enforce probe declared on: c2/,
  },
  {
    name: 'the promote message counts probes and hosts',
    canaries: ['c1', 'c2'],
    online: ['c1', 'c2', 'b'],
    converge: { c1: [ENFORCE, DISK], c2: [ENFORCE, OBSERVE] },
    atMin: 2,
    promoted: true,
    code: 'WAVE_PROMOTED',
    reason: /^wave 0 soaked 0m, 3 enforce probes passing on 2 hosts$/,
  },
];

describe('wave promotion needs evidence', () => {
  it.each(ROWS)('$name', (row) => {
    const sim = new Sim();
    sim.heartbeat(row.online, T0);
    sim.heartbeat(row.offlineSeen ?? [], T0 - DAY);
    const id = sim.release(
      manifestOf({
        channel: 'stable',
        ref: 'g1',
        waves: [row.canaries, ['b']],
        minSoaked: [row.minSoaked ?? 1, 1],
        waitForNeverSeenMinutes: [row.waitForNeverSeenMinutes ?? null, null],
        allowNoEnforceProbes: [row.allowNoEnforceProbes ?? false, false],
      }),
    );
    sim.tick(T0);
    for (const [host, probes] of Object.entries(row.converge)) {
      sim.activate(id, host, T0 + MIN);
      sim.probesPass(id, host, T0 + MIN, probes);
      const r = sim.converge(id, host, T0 + MIN);
      expect(r.ok).toBe(true);
    }
    const at = T0 + row.atMin * MIN;
    sim.heartbeat(row.online, at);
    const plan = sim.tick(at);
    const promote = plan.actions.some((a) => a.kind === 'PromoteWave');
    const sentB = plan.actions.some((a) => a.kind === 'QueueDispatch' && a.hostname === 'b');
    expect(promote).toBe(row.promoted);
    expect(sentB).toBe(row.promoted);
    const d = plan.decisions.find((x) => x.wave === 0 && x.host === null);
    expect(d).toMatchObject({ gate: 'wave-promotion', code: row.code });
    expect(d?.reason).toMatch(row.reason);
    expect(sim.model.book.rollouts[id]?.currentWave).toBe(row.promoted ? 1 : 0);
  });

  it('measures the never-seen wait of a later wave from its promotion, not the rollout start', () => {
    const sim = new Sim();
    sim.heartbeat(['c1', 'b'], T0);
    const id = sim.release(
      manifestOf({
        channel: 'stable',
        ref: 'g1',
        waves: [['c1'], ['b', 'nb']],
        soakMinutes: [0, 0],
        waitForNeverSeenMinutes: [null, 30],
      }),
    );
    sim.tick(T0);
    sim.heartbeat(['c1', 'b'], T0 + 60 * MIN);
    sim.happy(id, 'c1', T0 + 60 * MIN);
    let plan = sim.tick(T0 + 60 * MIN);
    expect(plan.actions.map((a) => a.kind)).toContain('PromoteWave');
    sim.happy(id, 'b', T0 + 61 * MIN);
    sim.heartbeat(['c1', 'b'], T0 + 80 * MIN);
    plan = sim.tick(T0 + 80 * MIN);
    expect(sim.model.book.rollouts[id]?.state).not.toBe('Terminal');
    expect(plan.decisions).toContainEqual(
      expect.objectContaining({ wave: 1, code: 'WAVE_AWAITING_NEVER_SEEN' }),
    );
    sim.heartbeat(['c1', 'b'], T0 + 90 * MIN);
    plan = sim.tick(T0 + 90 * MIN);
    expect(sim.model.book.rollouts[id]?.state).toBe('Terminal');
    expect(plan.decisions).toContainEqual(
      expect.objectContaining({
        code: 'ROLLOUT_COMPLETE',
        reason: expect.stringMatching(/skipped never seen after 30m: nb/),
      }),
    );
  });
});
