import { describe, expect, it } from 'vitest';
import { Sim, manifestOf, sel } from '../../../tests/support/core-sim.ts';
import { planNext } from './plan-next.ts';

const T0 = Date.UTC(2026, 10, 22);
const MIN = 60_000;

/** A fleet mid-rollout: converged, in-flight, offline, budget-blocked and waiting hosts. */
function busyFleet(): { sim: Sim; now: number } {
  const sim = new Sim();
  const w0 = ['a0', 'a1', 'a2'];
  const w1 = Array.from({ length: 12 }, (_, i) => `b${i}`);
  sim.heartbeat([...w0, ...w1.slice(0, 10)], T0); // b10, b11 never seen: offline
  const id = sim.release(
    manifestOf({
      channel: 'c',
      ref: 'a1',
      waves: [w0, w1],
      budgets: [{ selector: sel({ tags: ['b'] }), hosts: w1, maxInFlight: 3 }],
    }),
  );
  sim.tick(T0);
  for (const h of w0) sim.happy(id, h, T0 + MIN);
  sim.heartbeat([...w0, ...w1.slice(0, 10)], T0 + 2 * MIN);
  sim.tick(T0 + 2 * MIN); // promotes wave 1
  sim.tick(T0 + 2 * MIN); // dispatches within the budget
  sim.activate(id, 'b0', T0 + 3 * MIN);
  return { sim, now: T0 + 3 * MIN };
}

describe('planNext without explanations', () => {
  it('plans exactly the same actions, and records no decisions', () => {
    const { sim, now } = busyFleet();
    const explained = planNext(sim.input(), now);
    const quiet = planNext(sim.input(), now, { explain: false });
    expect(explained.decisions.length).toBeGreaterThan(5);
    expect(quiet.decisions).toEqual([]);
    expect(quiet.actions).toEqual(explained.actions);
  });

  it('agrees tick after tick as the rollout moves on', () => {
    const sim = new Sim();
    const hosts = Array.from({ length: 30 }, (_, i) => `h${i}`);
    sim.heartbeat(hosts.slice(0, 27), T0);
    sim.release(
      manifestOf({ channel: 'c', ref: 'x1', waves: [hosts.slice(0, 3), hosts.slice(3)] }),
    );
    for (let t = 0; t < 6; t++) {
      const now = T0 + t * MIN;
      expect(planNext(sim.input(), now, { explain: false }).actions).toEqual(
        planNext(sim.input(), now).actions,
      );
      sim.tick(now);
      const id = [...sim.manifests.keys()][0] as string;
      for (const h of hosts) {
        if (sim.record(id, h)?.state === 'Pending') sim.happy(id, h, now + 1);
      }
      sim.heartbeat(hosts.slice(0, 27), now + 1);
    }
  });
});
