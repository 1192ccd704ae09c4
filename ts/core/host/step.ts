// Entry point of the host reducer: routes Local* events to the agent side and
// Remote* events to the CP mirror, checks identity and the state invariants
// after every accepted step. Must never perform I/O or read the clock.
import type { Effect } from '../effects.ts';
import { CoreInvariantError, reject, type StepResult } from '../errors.ts';
import type { EpochMs } from '../time.ts';
import { agentStep } from './agent-step.ts';
import { cpStep } from './cp-step.ts';
import { hostInvariantViolations } from './invariants.ts';
import type { HostEvent, HostPolicy, HostRolloutState, RemoteHostEvent } from './types.ts';

function isRemote(e: HostEvent): e is RemoteHostEvent {
  return e.kind.startsWith('Remote');
}

/**
 * The per-host reducer: `step(state, event, now, policy) → { state, effects }`
 * or a {@link TransitionError} (RFC-0006 §3). `state` is `null` before the
 * host has a record for this rollout; only a dispatch event creates one.
 * Pure and deterministic: same arguments, same result. Local* events (and
 * `DispatchReceived`, `LocalTick`) are the agent side; Remote* the CP mirror.
 * The four positional parameters are a deliberate exception to the house
 * style's options-object rule: they mirror the book's signature one to one.
 *
 * @example
 * const r = step(null, { kind: 'RemoteDispatchIssued', dispatch }, now, policy);
 * if (r.ok) save(r.state);
 */
export function step(
  state: HostRolloutState | null,
  event: HostEvent,
  now: EpochMs,
  policy: HostPolicy,
): StepResult<HostRolloutState, Effect> {
  if (
    state !== null &&
    (event.kind === 'RemoteDispatchIssued' || event.kind === 'DispatchReceived') &&
    (event.dispatch.rolloutId !== state.rolloutId || event.dispatch.hostname !== state.hostname)
  ) {
    return reject(
      'CORE_ERR_MISMATCHED_EVENT',
      state.state,
      event.kind,
      `dispatch for ${event.dispatch.hostname}@${event.dispatch.rolloutId} applied to ${state.hostname}@${state.rolloutId}`,
    );
  }
  const result = isRemote(event)
    ? cpStep(state, event, now, policy)
    : agentStep(state, event, now, policy);
  if (result.ok) {
    const violations = hostInvariantViolations(result.state);
    if (violations.length > 0) {
      throw new CoreInvariantError(
        `host reducer produced an unsound record after ${event.kind}: ${violations.join('; ')}`,
      );
    }
  }
  return result;
}

/**
 * Folds events into a host record, stopping at the first rejection.
 *
 * @example foldHost([{ event, now }], policy)
 */
export function foldHost(
  entries: readonly { readonly event: HostEvent; readonly now: EpochMs }[],
  policy: HostPolicy,
  options: { readonly from?: HostRolloutState | null } = {},
): StepResult<HostRolloutState | null, Effect> {
  let state: HostRolloutState | null = options.from ?? null;
  const effects: Effect[] = [];
  for (const { event, now } of entries) {
    const r = step(state, event, now, policy);
    if (!r.ok) return r;
    state = r.state;
    effects.push(...r.effects);
  }
  return { ok: true, state, effects };
}
