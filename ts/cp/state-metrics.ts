// Gauges read at scrape time from the committed view of fleet state (never
// the mutator's working state, which may hold a batch that is not durable).
// Every state is exported, 0 included, so an alert on a state reads 0 rather
// than "no data" while nothing is in it.
import {
  HOST_STATES,
  ROLLOUT_STATES,
  rolloutHold,
  type HoldKind,
  type HostRolloutState,
} from '../core/index.ts';
import type { CpMetrics } from './metrics.ts';
import type { CommittedView } from './runtime/committed.ts';

const HOLD_KINDS: readonly HoldKind[] = ['paused', 'aborted', 'halted', 'awaiting-approval'];

/**
 * Registers `nixfleet_cp_rollouts{state}` (rollouts in the book), hosts seen
 * and unreachable, and `nixfleet_cp_hosts{state}`: each host that has a rollout record, counted
 * once, by the state of its latest record (the one dispatched last); and
 * for operator holds, `nixfleet_cp_rollouts_held{hold}` and
 * `nixfleet_cp_rollout_hold_seconds{rollout,channel,hold}` (`now`: the CP clock).
 */
export function registerStateMetrics(
  metrics: CpMetrics,
  view: () => CommittedView,
  now: () => number = () => 0,
): void {
  // One series per rollout holding a channel that is held (at most one per
  // channel): "paused for over an hour" is
  // `nixfleet_cp_rollout_hold_seconds{hold="paused"} > 3600`.
  metrics.collect(
    'nixfleet_cp_rollout_hold_seconds',
    'gauge',
    'Seconds since what holds a rollout began, by hold (paused, aborted, halted, awaiting-approval).',
    () => {
      const v = view();
      const out: (readonly [Record<string, string>, number])[] = [];
      for (const id of Object.values(v.book.activeByChannel)) {
        const r = id === null ? undefined : v.book.rollouts[id];
        if (r === undefined) continue;
        const h = rolloutHold(r, v.artifacts.manifests.get(r.rolloutId)?.value);
        if (h === null) continue;
        const secs = h.since === null ? 0 : Math.max(0, Math.floor((now() - h.since) / 1000));
        out.push([{ rollout: r.rolloutId, channel: r.channel, hold: h.kind }, secs] as const);
      }
      return out;
    },
  );
  metrics.collect(
    'nixfleet_cp_rollouts_held',
    'gauge',
    'Rollouts holding a channel that are held, by hold.',
    () => {
      const v = view();
      const by = new Map<HoldKind, number>(HOLD_KINDS.map((k) => [k, 0]));
      for (const id of Object.values(v.book.activeByChannel)) {
        const r = id === null ? undefined : v.book.rollouts[id];
        const h = r && rolloutHold(r, v.artifacts.manifests.get(r.rolloutId)?.value);
        if (h) by.set(h.kind, (by.get(h.kind) ?? 0) + 1);
      }
      return [...by].map(([hold, n]) => [{ hold }, n] as const);
    },
  );
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
