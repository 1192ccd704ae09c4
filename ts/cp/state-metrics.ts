// Gauges read at scrape time from the committed view of fleet state (never
// the mutator's working state, which may hold a batch that is not durable).
// Every state is exported, 0 included, so an alert on a state reads 0 rather
// than "no data" while nothing is in it.
import { HOST_STATES, ROLLOUT_STATES, type HostRolloutState } from '../core/index.ts';
import type { CpMetrics } from './metrics.ts';
import type { CommittedView } from './runtime/committed.ts';

/**
 * Registers `nixfleet_cp_rollouts{state}` (rollouts in the book), hosts seen
 * and unreachable, and `nixfleet_cp_hosts{state}`: each host that has a rollout record, counted
 * once, by the state of its latest record (the one dispatched last).
 */
export function registerStateMetrics(metrics: CpMetrics, view: () => CommittedView): void {
  metrics.collect('nixfleet_cp_rollouts', 'gauge', 'Rollouts in the book, by state.', () => {
    const by = new Map<string, number>(ROLLOUT_STATES.map((s) => [s, 0]));
    for (const r of Object.values(view().book.rollouts))
      by.set(r.state, (by.get(r.state) ?? 0) + 1);
    return [...by].map(([state, n]) => [{ state }, n] as const);
  });
  metrics.collect(
    'nixfleet_cp_hosts_unreachable',
    'gauge',
    'Hosts that missed --missed-heartbeats-offline heartbeats.',
    () => view().unreachable.size,
  );
  metrics.collect(
    'nixfleet_cp_hosts_seen',
    'gauge',
    'Hosts that have sent a heartbeat.',
    () => view().liveness.size,
  );
  metrics.collect(
    'nixfleet_cp_hosts',
    'gauge',
    'Hosts by the state of their latest rollout record.',
    () => {
      const latest = new Map<string, HostRolloutState>();
      for (const records of view().hosts.values()) {
        for (const r of records.values()) {
          const seen = latest.get(r.hostname);
          if (seen === undefined || r.dispatchedAt > seen.dispatchedAt) latest.set(r.hostname, r);
        }
      }
      const by = new Map<string, number>(HOST_STATES.map((s) => [s, 0]));
      for (const r of latest.values()) by.set(r.state, (by.get(r.state) ?? 0) + 1);
      return [...by].map(([state, n]) => [{ state }, n] as const);
    },
  );
}
