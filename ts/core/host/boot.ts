// Boot recovery of the agent side (RFC-0006 ledger #9), pure: what a
// restarted agent observes (current-system, the switch its previous process
// persisted) judged against the persisted record. Turns the observation into
// the Local* events the previous process never fed (so they are emitted with
// their seq like any other) and the effects that pick the work up again.
// Must never emit by itself: the events go through agent-step.
import type { Effect } from '../effects.ts';
import type { HostRolloutState, LocalHostEvent } from './types.ts';

/** The boot observation. */
export type BootObserved = Extract<LocalHostEvent, { readonly kind: 'LocalBootObserved' }>;

/** What boot recovery feeds the reducer and then asks the shell to do. */
export interface BootPlan {
  readonly events: readonly LocalHostEvent[];
  readonly effects: readonly Effect[];
}

const NOTHING: BootPlan = { events: [], effects: [] };

/**
 * The recovery plan for `s` given what the agent observes at boot.
 *
 * @example bootPlan(activating, { kind: 'LocalBootObserved', current: target, inFlight: null, switchMethod, at })
 *   // → one LocalActivationCompleted: the switch finished while the agent was down
 */
export function bootPlan(s: HostRolloutState, e: BootObserved): BootPlan {
  const completed = (observed: string): LocalHostEvent => ({
    kind: 'LocalActivationCompleted',
    observed,
    exitCode: 0,
    at: e.at,
  });
  switch (s.state) {
    case 'Activating':
      if (e.inFlight?.kind === 'switch' && e.inFlight.closure === s.targetClosure) {
        // The switch survived the restart: poll it, never fire it twice.
        const started: LocalHostEvent[] =
          s.activationStartedAt === null
            ? [
                {
                  kind: 'LocalActivationStarted',
                  switchMethod: e.switchMethod,
                  at: e.inFlight.startedAt,
                },
              ]
            : [];
        return { events: started, effects: [{ kind: 'LocalResumeActivation' }] };
      }
      if (e.current === s.targetClosure) return { events: [completed(e.current)], effects: [] };
      return { events: [], effects: [{ kind: 'LocalFireSwitch', target: s.targetClosure }] };
    case 'Deferred':
      // Booted into the staged generation: the deferred activation completed.
      return e.current === s.targetClosure
        ? { events: [completed(e.current)], effects: [] }
        : NOTHING;
    case 'Failed': {
      const back = s.currentClosureAtDispatch;
      if (s.policyApplied !== 'rollback-and-halt' || back === null) return NOTHING;
      if (e.inFlight?.kind === 'rollback') {
        return { events: [], effects: [{ kind: 'LocalResumeActivation' }] };
      }
      if (e.current === back) {
        return {
          events: [{ kind: 'LocalRollbackCompleted', revertedTo: back, exitCode: 0, at: e.at }],
          effects: [],
        };
      }
      return { events: [], effects: [{ kind: 'LocalFireRollbackTo', closure: back }] };
    }
    case 'Soaking':
      return {
        events: [],
        effects: [{ kind: 'LocalResetProbeCache', declare: s.probeTopology === null }],
      };
    case 'Converged':
      return { events: [], effects: [{ kind: 'LocalResetProbeCache', declare: false }] };
    case 'Pending':
    case 'Reverted':
      return NOTHING;
  }
}
