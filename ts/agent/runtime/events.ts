// Wire events the runtime emits outside the reducer, with the same seq
// discipline: a DispatchReject for refusals that happen before the reducer
// sees a dispatch (manifest unavailable, invalid or stale; closure
// unavailable or untrusted), and ClosureQuarantined. Pure builders.
import type {
  ClosureQuarantinedEvent,
  Dispatch,
  DispatchRejectEvent,
} from '../../contracts/index.ts';
import { toRfc3339, type DispatchRejectReason } from '../../core/index.ts';
import type { QuarantineEntry } from '../state/store.ts';

/** A refusal the runtime decides before the reducer (contract reasons only). */
export function dispatchReject(input: {
  readonly dispatch: Dispatch;
  readonly hostname: string;
  readonly reason: DispatchRejectReason;
  readonly detail: string;
  readonly seq: number;
  readonly at: number;
}): DispatchRejectEvent {
  return {
    kind: 'DispatchReject',
    rollout_id: input.dispatch.rollout_id,
    hostname: input.hostname,
    seq: input.seq,
    rejected_at: toRfc3339(input.at),
    reason: input.reason,
    detail: input.detail.slice(0, 1000),
    target_closure: input.dispatch.target_closure,
  };
}

/** ClosureQuarantined (book §I.7) for a rollout. */
export function closureQuarantined(input: {
  readonly rolloutId: string;
  readonly hostname: string;
  readonly closure: string;
  readonly entry: QuarantineEntry;
  readonly seq: number;
  readonly at: number;
}): ClosureQuarantinedEvent {
  return {
    kind: 'ClosureQuarantined',
    rollout_id: input.rolloutId,
    hostname: input.hostname,
    seq: input.seq,
    closure: input.closure,
    quarantined_at: toRfc3339(input.entry.firstFailureAt),
    failure_count: input.entry.failureCount,
    last_failure_at: toRfc3339(input.entry.lastFailureAt),
  };
}
