import { describe, expect, it } from 'vitest';
import { Sim, manifestOf, sel } from '../../../tests/support/core-sim.ts';
import { openPlannerSession, planHostChange } from './incremental.ts';
import { planNext } from './plan-next.ts';

const T0 = Date.UTC(2026, 4, 16);
const MIN = 60_000;

describe('incremental planning', () => {
  it('after one event, dispatches what a full tick would', () => {
    const sim = new Sim();
    const hosts = ['e1', 'e2', 'e3'];
    sim.heartbeat(hosts, T0);
    const budget = { selector: sel({ tags: ['etcd'] }), hosts, maxInFlight: 1 };
    const id = sim.release(
      manifestOf({ channel: 'c', ref: 'a1', waves: [hosts], budgets: [budget] }),
    );
    sim.tick(T0);
    sim.activate(id, 'e1', T0 + MIN);
    sim.probesPass(id, 'e1', T0 + MIN);
    const { session } = openPlannerSession(sim.input(), T0 + MIN);
    sim.converge(id, 'e1', T0 + 2 * MIN);
    const rec = sim.record(id, 'e1');
    if (rec === undefined) throw new Error('no record');
    // The session reads the live book and records; refresh its input view.
    const live = { ...session, input: sim.input() };
    const inc = planHostChange(live, rec, T0 + 2 * MIN);
    const full = planNext(sim.input(), T0 + 2 * MIN);
    const dispatches = (p: typeof inc) =>
      p.actions
        .filter((a) => a.kind === 'QueueDispatch')
        .map((a) => a.kind === 'QueueDispatch' && a.hostname);
    expect(dispatches(inc)).toEqual(['e2']);
    expect(dispatches(inc)).toEqual(dispatches(full));
  });

  it('explains the changed host when nothing else is affected', () => {
    const sim = new Sim();
    sim.heartbeat(['a', 'b'], T0);
    const id = sim.release(manifestOf({ channel: 'c', ref: 'b1', waves: [['a', 'b']] }));
    sim.tick(T0);
    const { session } = openPlannerSession(sim.input(), T0);
    sim.activate(id, 'a', T0 + MIN);
    const rec = sim.record(id, 'a');
    if (rec === undefined) throw new Error('no record');
    const inc = planHostChange({ ...session, input: sim.input() }, rec, T0 + MIN);
    expect(inc.actions).toEqual([]);
    expect(inc.decisions.map((d) => [d.host, d.code])).toEqual([['a', 'SOAKING']]);
  });
});
