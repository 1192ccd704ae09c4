// The one way the agent side of the host reducer puts an event on the wire:
// the next seq of the record's rollout, durable. Shared by agent-step.ts and
// reannounce.ts so no path can emit with a seq it did not advance.
import type { Effect } from '../effects.ts';
import type { WireAgentEvent } from '../wire.ts';
import type { HostRolloutState } from './types.ts';

/** A wire event without the fields {@link emit} fills in. */
export type Body = WireAgentEvent extends infer E
  ? E extends WireAgentEvent
    ? Omit<E, 'rollout_id' | 'hostname' | 'seq'>
    : never
  : never;

/**
 * Appends one outbound wire event with the next seq; durable by default.
 *
 * @example const s1 = emit(s, effects, { kind: 'ActivationStarted', started_at, switch_method })
 */
export function emit(s: HostRolloutState, effects: Effect[], body: Body): HostRolloutState {
  const seq = s.lastEventSeq + 1;
  const payload = { ...body, rollout_id: s.rolloutId, hostname: s.hostname, seq } as WireAgentEvent;
  effects.push({ kind: 'LocalEmitEvent', payload, durable: true });
  return { ...s, lastEventSeq: seq };
}
