// Orphan-confirm recovery (book §6 soft state, RFC-0008 §6.2): the CP lost
// what it knew of a host's activation — its database was wiped, or it
// re-dispatched after the wipe — and the agent cannot replay the events
// (its journal is gone: the replay asked for on an earlier heartbeat never
// arrived). The agent ignores a re-delivered dispatch of a rollout it
// already handled, so without recovery the host would sit in Pending until
// its confirm deadline and block its wave. When the heartbeat reports that
// the host runs exactly the target closure the signed manifest assigns it
// in that rollout, the CP synthesises the confirmation it lost — the
// DispatchAck and ActivationComplete, with no agent seq (they are the CP's
// inference, not agent events) — and the host record resumes in Soaking,
// where the agent's own probes and Converged event take over. Must never
// confirm a closure other than the verified target, nor a host outside the
// manifest, nor act while a replay may still be on its way.
import { applyHostEvent, ownValue, type HostRolloutState } from '../../core/index.ts';
import { applyCore, type Batch } from './batch.ts';
import { policyOf, type RuntimeDeps } from './deps.ts';
import { applyEffects } from './effects.ts';
import { adoptHost } from './ingest.ts';

/**
 * Whether the heartbeat's closure proves the host activated `rolloutId`:
 * the rollout is held and its verified manifest assigns exactly that
 * closure to the host. Returns the target or null.
 */
export function orphanTarget(
  deps: RuntimeDeps,
  rolloutId: string,
  hostname: string,
  currentClosure: string | null,
): string | null {
  if (currentClosure === null) return null;
  const rollout = ownValue(deps.state.model.book.rollouts, rolloutId);
  if (rollout === undefined || rollout.supersededAt !== null || rollout.prunedAt !== null)
    return null;
  const member = deps.state.manifestValues
    .get(rolloutId)
    ?.hostSet.find((h) => h.hostname === hostname);
  return member !== undefined && member.targetClosure === currentClosure ? currentClosure : null;
}

/**
 * Synthesises the lost confirmation of `hostname` in `rolloutId` (no record,
 * or a record still Pending). Returns true when the record is now Soaking.
 */
export function orphanConfirm(
  deps: RuntimeDeps,
  batch: Batch,
  args: {
    readonly rolloutId: string;
    readonly hostname: string;
    readonly closure: string;
    readonly at: number;
    readonly now: number;
  },
): boolean {
  const { state, log, metrics } = deps;
  const { rolloutId, hostname } = args;
  let rec: HostRolloutState | undefined = state.record(rolloutId, hostname);
  if (rec === undefined) {
    if (!adoptHost(deps, batch, { rolloutId, hostname, at: args.at, now: args.now })) return false;
    rec = state.record(rolloutId, hostname);
  }
  if (rec === undefined || rec.state !== 'Pending') return false;
  const key = { rolloutId, hostname };
  for (const event of [
    { kind: 'RemoteDispatchAck', seq: null, currentClosureAtDispatch: null, at: args.at },
    {
      kind: 'RemoteActivationComplete',
      seq: null,
      observed: args.closure,
      exitCode: 0,
      at: args.at,
    },
  ] as const) {
    const { result, refs } = applyCore(
      state,
      batch,
      key,
      () =>
        applyHostEvent(
          state.model,
          { rolloutId, hostname, event, policy: policyOf(deps, rolloutId) },
          args.now,
        ),
      args.now,
    );
    if (!result.ok) {
      log.warn({ rolloutId, host: hostname, code: result.code }, 'orphan confirm refused by core');
      return false;
    }
    applyEffects(deps, batch, result.effects, refs, { now: args.now });
  }
  metrics.orphanConfirms.inc();
  log.warn(
    { rolloutId, host: hostname, closure: args.closure, alert: 'OrphanConfirm' },
    'orphan confirm: host runs the verified target but could not replay its events',
  );
  deps.requestTick('orphan confirm');
  return true;
}
