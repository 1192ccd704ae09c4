// Heartbeat ingestion (RFC-0005 §4.3), as glue: records liveness, hands the
// observation to the core (core/observe/heartbeat.ts decides came-online,
// Deferred → Soaking and drift: replay ask or orphan confirm), applies what it
// decided and keeps the in-memory replay bookkeeping. Runs inside the
// mutator; never throws after writing to the batch.
import { observeHeartbeat, parseRfc3339, type HeartbeatObserved } from '../../core/index.ts';
import type { Heartbeat } from '../../contracts/index.ts';
import { ROLLOUT_ID_PATTERN } from '../../trust/index.ts';
import type { Batch } from './batch.ts';
import type { RuntimeDeps } from './deps.ts';
import { applyAdoption, applySynthesized } from './synthesize.ts';

/** Outcome of a heartbeat: the replay request for the agent, if any. */
export interface HeartbeatOutcome {
  /** Value of `X-Nixfleet-Replay-From` (`<rolloutId>=<seq>` pairs), or null. */
  readonly replayFrom: string | null;
  /** Rollouts the heartbeat names that an operator aborted. */
  readonly abortedRollouts: readonly string[];
}

/** The heartbeat as the core reads it: malformed rollout ids and seqs dropped. */
function observation(hb: Heartbeat): HeartbeatObserved {
  const seqs = new Map<string, number>();
  for (const [rid, seq] of Object.entries(hb.last_event_seq_by_rollout)) {
    if (ROLLOUT_ID_PATTERN.test(rid) && Number.isSafeInteger(seq)) seqs.set(rid, seq);
  }
  return {
    hostname: hb.hostname,
    currentClosure: hb.current_closure,
    lastSeqByRollout: seqs,
    at: parseRfc3339(hb.at),
  };
}

/** Ingests one validated heartbeat. Never advances state except as the core decided. */
export function ingestHeartbeat(
  deps: RuntimeDeps,
  batch: Batch,
  args: { readonly heartbeat: Heartbeat; readonly now: number },
): HeartbeatOutcome {
  const { state, log, metrics } = deps;
  const { now } = args;
  const hb = args.heartbeat;
  const host = hb.hostname;
  const previous = state.liveness.get(host);
  const decision = observeHeartbeat(
    state.fleetRead(),
    observation(hb),
    {
      previous,
      unreachable: state.unreachable.has(host),
      replayAskedAt: (rid) => state.replayAskedAt(rid, host),
      orphanConfirmed: (rid) => state.isOrphanConfirmed(rid, host),
    },
    now,
    deps.coreTimings,
  );
  state.noteHeartbeat(batch, {
    hostname: host,
    lastHeartbeatAt: now,
    currentClosure: hb.current_closure,
    agentVersion: hb.agent_version,
    uptimeSecs: Number.isSafeInteger(hb.uptime_secs) ? hb.uptime_secs : null,
  });
  if (decision.cameOnline) {
    if (previous !== undefined) log.info({ host }, 'host reachable again');
    deps.requestTick('host online');
  }

  for (const { rolloutId, event } of decision.completions) {
    if (applySynthesized(deps, batch, { rolloutId, hostname: host, events: [event], now })) {
      log.info({ host, rolloutId }, 'deferred activation completed after reboot');
      deps.requestTick('deferred completed');
    }
  }

  for (const rid of decision.settled) state.forgetReplayAsk(rid, host);
  const replay: string[] = [];
  for (const step of decision.drift) {
    const { rolloutId } = step;
    if (step.kind === 'confirm') {
      const adopted = step.adopt === null || applyAdoption(deps, batch, step.adopt, now);
      if (
        adopted &&
        applySynthesized(deps, batch, { rolloutId, hostname: host, events: step.events, now })
      ) {
        state.noteOrphanConfirmed(rolloutId, host);
        metrics.orphanConfirms.inc();
        log.warn(
          { rolloutId, host, closure: step.closure, alert: 'OrphanConfirm' },
          'orphan confirm: host runs the verified target but could not replay its events',
        );
        deps.requestTick('orphan confirm');
        continue;
      }
    } else if (step.first) state.noteReplayAsk(rolloutId, host, now);
    replay.push(`${rolloutId}=${step.replayFrom}`);
  }

  const latest = state.latestRecordOf(host);
  if (
    latest !== undefined &&
    latest.currentClosure !== null &&
    latest.currentClosure !== hb.current_closure
  ) {
    log.debug(
      {
        host,
        rolloutId: latest.rolloutId,
        recorded: latest.currentClosure,
        reported: hb.current_closure,
      },
      'heartbeat closure differs from the recorded one',
    );
  }
  return {
    replayFrom: replay.length > 0 ? replay.join(', ') : null,
    abortedRollouts: decision.aborted,
  };
}
