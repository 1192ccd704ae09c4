// Applies what the core inferred from observations (core/observe): the
// adoption of a host record the CP lost, and events the CP synthesises
// (orphan confirm, Deferred → Soaking). Decides nothing: the core chose the
// dispatch and the events; this writes them to the batch like any other core
// application. An adopted record queues no dispatch: the agent already has it.
import {
  applyHostEvent,
  applyPlanAction,
  type AdoptDispatch,
  type RemoteHostEvent,
} from '../../core/index.ts';
import { applyCore, type Batch } from './batch.ts';
import { policyOf, type RuntimeDeps } from './deps.ts';
import { applyEffects } from './effects.ts';

/** Re-creates a lost host record; false when the core refuses. */
export function applyAdoption(
  deps: RuntimeDeps,
  batch: Batch,
  dispatch: AdoptDispatch,
  now: number,
): boolean {
  const { rolloutId, hostname } = dispatch;
  const { result, refs } = applyCore(
    deps.state,
    batch,
    { rolloutId, hostname },
    (model) => applyPlanAction(model, dispatch, now, (id) => policyOf(deps, id)),
    now,
  );
  if (!result.ok) {
    deps.log.warn(
      { rolloutId, host: hostname, code: result.code, reason: result.message },
      'could not adopt host record from agent replay',
    );
    return false;
  }
  applyEffects(deps, batch, result.effects, refs, { skipOutbox: true, now });
  deps.log.info(
    { rolloutId, host: hostname, wave: dispatch.wave, catchUp: dispatch.catchUp },
    'host record adopted from agent replay',
  );
  return true;
}

/**
 * Applies events the CP synthesised for one host record, in order; stops at
 * the first the core refuses (returns false). Effects of the accepted ones
 * stay, like those of any accepted event.
 */
export function applySynthesized(
  deps: RuntimeDeps,
  batch: Batch,
  args: {
    readonly rolloutId: string;
    readonly hostname: string;
    readonly events: readonly RemoteHostEvent[];
    readonly now: number;
  },
): boolean {
  const { rolloutId, hostname, now } = args;
  for (const event of args.events) {
    const { result, refs } = applyCore(
      deps.state,
      batch,
      { rolloutId, hostname },
      (model) =>
        applyHostEvent(
          model,
          { rolloutId, hostname, event, policy: policyOf(deps, rolloutId) },
          now,
        ),
      now,
    );
    if (!result.ok) {
      deps.log.warn(
        { rolloutId, host: hostname, event: event.kind, code: result.code },
        'synthesised event refused by core',
      );
      return false;
    }
    applyEffects(deps, batch, result.effects, refs, { now });
  }
  return true;
}
