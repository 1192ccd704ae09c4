// nixfleet_cp_hosts{state}: every host counted once, by the state of its
// latest rollout record (the one dispatched last), every state present so
// an alert on a state that is absent reads 0, not "no data".
import { describe, expect, it } from 'vitest';
import type { HostRolloutState } from '../../ts/core/index.ts';
import { CpMetrics } from '../../ts/cp/metrics.ts';
import { CommittedFleet } from '../../ts/cp/runtime/committed.ts';
import { registerStateMetrics } from '../../ts/cp/state-metrics.ts';
import { parsePromText } from './kit/prom-text.ts';

const rec = (rolloutId: string, hostname: string, state: string, dispatchedAt: number) =>
  ({ rolloutId, hostname, state, dispatchedAt }) as unknown as HostRolloutState;

describe('nixfleet_cp_hosts', () => {
  it('counts each host once, by its latest record, and parses strictly', () => {
    const view = new CommittedFleet();
    view.putRecord(rec('r1', 'web-01', 'Failed', 1_000));
    view.putRecord(rec('r2', 'web-01', 'Converged', 2_000));
    view.putRecord(rec('r1', 'web-02', 'Reverted', 1_000));
    view.putRecord(rec('r2', 'db-01', 'Soaking', 2_000));
    view.putRecord(rec('r1', 'db-01', 'Converged', 500));
    const metrics = new CpMetrics();
    registerStateMetrics(metrics, () => view);
    const family = parsePromText(metrics.render()).find((f) => f.name === 'nixfleet_cp_hosts');
    expect(family?.type).toBe('gauge');
    const by = Object.fromEntries((family?.samples ?? []).map((s) => [s.labels['state'], s.value]));
    expect(by).toEqual({
      Pending: 0,
      Activating: 0,
      Deferred: 0,
      Soaking: 1,
      Converged: 1,
      Failed: 0,
      Reverted: 1,
    });
  });
});
