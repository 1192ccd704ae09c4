// The deferral the agent snapshot keeps (book §I.7 `last_deferred`), pure:
// derived from the record core produced, so every path that defers or
// completes an activation (a switch outcome, boot recovery) keeps it right.
import type { HostRolloutState } from '../../core/index.ts';
import type { DeferredActivation } from '../state/store.ts';

/**
 * The deferral after a step from `before` to `after`: set when the record
 * deferred its activation, cleared once the host runs the deferred closure;
 * otherwise kept (it suppresses a second live switch attempt of the same
 * closure by a later rollout until the host boots into it).
 */
export function deferral(
  before: HostRolloutState,
  after: HostRolloutState,
  kept: DeferredActivation | null,
): DeferredActivation | null {
  if (before.state === 'Activating' && after.state === 'Deferred' && after.deferredComponent) {
    return {
      closure: after.targetClosure,
      component: after.deferredComponent,
      at: after.deferredAt ?? 0,
    };
  }
  const active = before.state === 'Activating' || before.state === 'Deferred';
  if (active && after.state === 'Soaking' && kept?.closure === after.currentClosure) return null;
  return kept;
}
