// The heartbeat worker (RFC-0005 §4.3): every interval posts liveness and
// drift-detection data; answers the CP's X-Nixfleet-Replay-From by re-queuing
// journaled events, or, with none left, by asking the reducer to re-announce
// (core host/reannounce.ts); warns (and only warns) when the CP has been unreachable
// past the offline grace period (RFC-0003 §8). Must never change state.
import type { Logger } from 'pino';
import { reannounceDue, toRfc3339 } from '../../core/index.ts';
import type { ActivationBackend } from '../activation/backend.ts';
import type { Clock } from '../clock.ts';
import type { AgentConfig } from '../config/config.ts';
import type { CpApi } from '../http/cp-api.ts';
import type { Outbox } from '../queue/outbox.ts';
import type { HostLoop } from '../runtime/host-loop.ts';

/** Options of {@link runHeartbeat}. */
export interface HeartbeatOptions {
  readonly config: AgentConfig;
  readonly api: CpApi;
  readonly loop: HostLoop;
  readonly outbox: Outbox;
  readonly backend: ActivationBackend;
  readonly clock: Clock;
  readonly log: Logger;
  readonly startedAt: number;
}

/** Sends one heartbeat and handles a replay request; returns whether the CP answered. */
export async function heartbeatOnce(o: HeartbeatOptions, signal?: AbortSignal): Promise<boolean> {
  const { loop, clock, log } = o;
  const now = clock.now();
  const snap = loop.snapshot;
  try {
    const current = await o.backend.currentSystem();
    const { replay, abortedRollouts } = await o.api.postHeartbeat(
      {
        hostname: o.config.machineId,
        agent_version: o.config.agentVersion,
        current_closure: current,
        uptime_secs: Math.max(0, Math.floor((now - o.startedAt) / 1000)),
        last_event_seq_by_rollout: { ...snap.lastSeqByRollout },
        at: toRfc3339(now),
      },
      signal,
    );
    loop.touchCp(clock.now());
    o.outbox.cpReachable();
    // Only the current record can be aborted; the reducer ignores any other id.
    const onRollout = snap.record?.rolloutId;
    if (onRollout !== undefined && abortedRollouts.includes(onRollout)) {
      log.info({ rolloutId: onRollout }, 'control plane reports the rollout aborted');
      loop.postHost({ kind: 'LocalRolloutAborted', rolloutId: onRollout, at: clock.now() });
    }
    if (replay) {
      for (const [rollout, seq] of replay) {
        const id = rollout ?? snap.record?.rolloutId ?? null;
        if (id === null) continue;
        const journaled = o.outbox.journal(id, seq);
        const n = o.outbox.replay(id, seq);
        log.info({ rolloutId: id, afterSeq: seq, events: n }, 'replaying events on CP request');
        const queued = o.outbox.pending().filter((e) => e.rollout_id === id && e.seq > seq);
        const replayable = [...journaled, ...queued].map((e) => ({ seq: e.seq, kind: e.kind }));
        const record = loop.snapshot.record;
        const ask = { record, rolloutId: id, afterSeq: seq, replayable };
        if (record !== null && reannounceDue(ask)) {
          // Nothing left to replay: the reducer decides what can be re-announced.
          loop.postHost({
            kind: 'LocalReannounce',
            observed: current,
            basisSeq: record.lastEventSeq,
            at: clock.now(),
          });
        }
      }
    }
    return true;
  } catch (e) {
    log.warn({ err: e, code: (e as { code?: string }).code }, 'heartbeat failed');
    return false;
  }
}

/** Heartbeats until `signal` aborts. */
export async function runHeartbeat(o: HeartbeatOptions, signal: AbortSignal): Promise<void> {
  const { clock, log, config } = o;
  let warnedAt = 0;
  while (!signal.aborted) {
    await heartbeatOnce(o, signal);
    const last = o.loop.snapshot.lastCpContactAt ?? o.startedAt;
    const offlineFor = clock.now() - last;
    if (
      offlineFor > config.timings.offlineGraceMs &&
      clock.now() - warnedAt > config.timings.offlineGraceMs / 4
    ) {
      warnedAt = clock.now();
      log.warn(
        { offlineForSecs: Math.floor(offlineFor / 1000), code: 'AGENT_ERR_CP_UNREACHABLE' },
        'control plane unreachable past the offline grace period; keeping the current generation (operator decision)',
      );
    }
    await clock.sleep(config.timings.heartbeatIntervalMs, signal);
  }
}
