// Replay (RFC-0006 §2 "replay-friendly"): folds an event log through the host
// and rollout reducers and returns the state the live path produced. Owns the
// strictness rule: a logged event that the reducers reject means the log and
// the code disagree, reported as CORE_ERR_REPLAY_FAILED with its position.
// Must never skip or repair entries.
import { emptyFleetModel, type FleetModel, type LogEntry } from './applier.ts';
import { reject, type TransitionError } from './errors.ts';
import { step } from './host/step.ts';
import { rolloutStep } from './rollout/step.ts';
import type { RolloutOptions } from './rollout/types.ts';

/**
 * Folds `log` from an empty state. Host transitions are not cascaded here:
 * the cascaded rollout events are themselves in the log, in order.
 *
 * @example const r = replay(model.log, { retentionMs }); r.ok && r.model.book
 */
export function replay(
  log: readonly LogEntry[],
  options: RolloutOptions,
):
  | { readonly ok: true; readonly model: FleetModel }
  | (TransitionError & { readonly index: number }) {
  const model = emptyFleetModel(options);
  for (let i = 0; i < log.length; i++) {
    const entry = log[i] as LogEntry;
    if (entry.stream === 'rollout') {
      const r = rolloutStep(model.book, entry.event, entry.now, options);
      if (!r.ok) return failed(r, i);
      model.book = r.state;
    } else {
      let records = model.hosts.get(entry.rolloutId);
      const r = step(records?.get(entry.hostname) ?? null, entry.event, entry.now, entry.policy);
      if (!r.ok) return failed(r, i);
      if (records === undefined) {
        records = new Map();
        model.hosts.set(entry.rolloutId, records);
      }
      records.set(entry.hostname, r.state);
    }
    model.log.push(entry);
  }
  return { ok: true, model };
}

function failed(r: TransitionError, index: number): TransitionError & { readonly index: number } {
  return {
    ...reject('CORE_ERR_REPLAY_FAILED', r.from, r.event, `entry ${index}: ${r.code}: ${r.message}`),
    index,
  };
}
