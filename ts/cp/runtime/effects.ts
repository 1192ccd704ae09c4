// Interpreter of core effects on the CP side (RFC-0006 §4.3 applier): queue
// dispatches in the outbox, insert quarantines with their triggering
// event_log row, drop acknowledged dispatches, and turn metric/log effects
// into metrics and log lines. Agent-only effects never reach here. Must
// never decide anything the core did not say.
import type { Effect, RolloutEffect } from '../../core/index.ts';
import { hostKey, type Batch, type CoreRefs } from './batch.ts';
import type { RuntimeDeps } from './deps.ts';

/** Options of {@link applyEffects}. */
export interface EffectOptions {
  /** Adoption of a record the agent already acted on: do not queue a dispatch. */
  readonly skipOutbox?: boolean;
  readonly now: number;
}

/**
 * Applies the effects of one core application; returns whether any host or
 * rollout state moved (a reason to tick soon).
 */
export function applyEffects(
  deps: RuntimeDeps,
  batch: Batch,
  effects: readonly (Effect | RolloutEffect)[],
  refs: CoreRefs,
  options: EffectOptions,
): boolean {
  const { state, metrics, log } = deps;
  let moved = false;
  for (const e of effects) {
    switch (e.kind) {
      case 'RemoteQueueDispatch': {
        if (options.skipOutbox) break;
        const ref = refs.host.get(hostKey(e.payload.rollout_id, e.host)) ?? null;
        state.queueDispatch(e.host, e.payload);
        batch.push({ op: 'putDispatch', hostname: e.host, payload: e.payload, eventRef: ref });
        batch.afterCommit(() => deps.notifyDispatch(e.host));
        break;
      }
      case 'RemoteInsertQuarantine':
      case 'InsertQuarantineFromRollout': {
        const channel = e.channel;
        const closure = e.kind === 'RemoteInsertQuarantine' ? e.closure : e.closureHash;
        if (!state.quarantine(channel, closure, options.now)) break;
        const ref =
          e.kind === 'RemoteInsertQuarantine'
            ? ([...refs.host.values()].at(-1) ?? null)
            : ([...refs.rollout.values()].at(-1) ?? null);
        batch.push({
          op: 'insertQuarantine',
          row: { channel, closure, quarantinedAt: options.now },
          eventRef: ref,
        });
        log.warn({ channel, closure }, 'closure quarantined');
        break;
      }
      case 'RecordTransition': {
        moved = true;
        metrics.hostTransitions.inc({ to: e.to });
        if (e.from === 'Pending' && state.dropDispatch(e.host, e.rollout)) {
          batch.push({ op: 'deleteDispatch', hostname: e.host, rolloutId: e.rollout });
        }
        break;
      }
      case 'RecordRolloutTransition':
        moved = true;
        log.info({ rolloutId: e.rolloutId, from: e.from, to: e.to }, 'rollout transition');
        break;
      case 'UpdateCurrentWave':
        moved = true;
        log.info({ rolloutId: e.rolloutId, wave: e.wave }, 'wave promoted');
        break;
      case 'EmitMetric':
        metrics.metricsFromCore.inc({ name: e.name }, e.value);
        break;
      case 'EmitLog':
        log[e.level]({ target: e.target, ...e.fields }, e.message);
        break;
      default:
        // RemoteOpenRolloutRecord / RemoteAppendEventLog / RemoteClearStaleQuarantine /
        // SchedulePruning: the batch already wrote the rows; pruning is planned by retention.
        break;
    }
  }
  return moved;
}
