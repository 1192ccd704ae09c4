// A heartbeat as a core input (RFC-0005 §4.3). The CP observes that a host is
// alive, which closure it runs and the last event seq it sent per rollout;
// from that alone the core decides whether the host just came (back) online,
// which Deferred records completed (the host rebooted into the staged
// generation: a synthetic ActivationComplete moves them to Soaking), and, for
// rollouts where the agent sent events the CP does not hold (drift), whether
// to ask for a replay or — once a replay was asked at least the grace period
// ago and never came — to confirm the orphan (adopt.ts). Acting sooner would
// date the activation at the heartbeat, later than the real one, while the
// agent's own events are still on their way. Never advances a record in any
// other way.
import { isOffline } from '../gates/offline.ts';
import type { RemoteHostEvent } from '../host/types.ts';
import type { HostLiveness } from '../inputs.ts';
import { ownValue } from '../own.ts';
import type { CoreTimings, EpochMs } from '../time.ts';
import {
  adoption,
  orphanConfirmEvents,
  orphanTarget,
  recordOf,
  type AdoptDispatch,
  type FleetRead,
} from './adopt.ts';

/** One validated heartbeat (rollout ids and seqs already checked by the shell). */
export interface HeartbeatObserved {
  readonly hostname: string;
  readonly currentClosure: string | null;
  /** Last event seq the agent sent, per rollout. */
  readonly lastSeqByRollout: ReadonlyMap<string, number>;
  /** The agent's clock at the heartbeat (null when unreadable: `now` stands in). */
  readonly at: EpochMs | null;
}

/** What the CP remembers of the host between heartbeats (in memory only). */
export interface HostMemory {
  /** Its previous heartbeat, if any. */
  readonly previous: HostLiveness | undefined;
  /** Whether the liveness sweep marked it unreachable. */
  readonly unreachable: boolean;
  /** When a replay of `rolloutId` was first asked of it. */
  readonly replayAskedAt: (rolloutId: string) => EpochMs | undefined;
  /** Whether orphan confirm already settled `rolloutId` for it. */
  readonly orphanConfirmed: (rolloutId: string) => boolean;
}

/** What to do about one rollout whose events the CP misses. */
export type DriftStep =
  | {
      /** Ask the agent to replay events after `replayFrom`; `first`: remember when. */
      readonly kind: 'ask';
      readonly rolloutId: string;
      readonly replayFrom: number;
      readonly first: boolean;
    }
  | {
      /**
       * Orphan confirm: adopt the record (when lost), then apply `events`. If
       * the core refuses any of them, ask for the replay instead.
       */
      readonly kind: 'confirm';
      readonly rolloutId: string;
      readonly closure: string;
      readonly adopt: AdoptDispatch | null;
      readonly events: readonly RemoteHostEvent[];
      readonly replayFrom: number;
    };

/** The core's reading of one heartbeat. */
export interface HeartbeatDecision {
  /** The host was never seen, marked unreachable, or silent past the offline limit. */
  readonly cameOnline: boolean;
  /** Deferred → Soaking: the synthetic ActivationComplete per record. */
  readonly completions: readonly {
    readonly rolloutId: string;
    readonly event: RemoteHostEvent;
  }[];
  readonly drift: readonly DriftStep[];
  /**
   * Rollouts the heartbeat names that an operator aborted: returned to the
   * agent, which decides from its signed manifest (core/host/abort.ts).
   */
  readonly aborted: readonly string[];
  /** Rollouts whose replay ask is settled (the CP caught up, or confirmed): forget it. */
  readonly settled: readonly string[];
}

/**
 * How long after asking for a replay a heartbeat may conclude it is not
 * coming: half an interval, at least 5 s.
 */
export function replayGraceMs(timings: Pick<CoreTimings, 'heartbeatIntervalMs'>): number {
  return Math.max(5_000, timings.heartbeatIntervalMs / 2);
}

/**
 * Reads one heartbeat against the fleet and the host's memory (see the
 * module header).
 *
 * @example observeHeartbeat(fleet, hb, memory, now, timings).cameOnline
 */
export function observeHeartbeat(
  fleet: FleetRead,
  hb: HeartbeatObserved,
  memory: HostMemory,
  now: EpochMs,
  timings: CoreTimings,
): HeartbeatDecision {
  const host = hb.hostname;
  const at = hb.at ?? now;
  const cameOnline =
    memory.previous === undefined || memory.unreachable || isOffline(memory.previous, now, timings);

  const completions: { rolloutId: string; event: RemoteHostEvent }[] = [];
  if (hb.currentClosure !== null) {
    for (const [rolloutId, records] of fleet.hosts) {
      const rec = records.get(host);
      if (rec?.state !== 'Deferred' || rec.targetClosure !== hb.currentClosure) continue;
      completions.push({
        rolloutId,
        event: {
          kind: 'RemoteActivationComplete',
          seq: null,
          observed: hb.currentClosure,
          exitCode: 0,
          at,
        },
      });
    }
  }

  const drift: DriftStep[] = [];
  const settled: string[] = [];
  const grace = replayGraceMs(timings);
  for (const [rolloutId, agentSeq] of hb.lastSeqByRollout) {
    const rec = recordOf(fleet, rolloutId, host);
    let cpSeq: number;
    if (rec !== undefined) cpSeq = rec.lastEventSeq;
    else if (
      // A lost record can be re-created only inside a rollout the CP holds.
      ownValue(fleet.rollouts.rollouts, rolloutId) !== undefined &&
      fleet.manifests.get(rolloutId)?.hostSet.some((h) => h.hostname === host) === true
    ) {
      cpSeq = 1;
    } else continue;
    if (agentSeq <= cpSeq || memory.orphanConfirmed(rolloutId)) {
      settled.push(rolloutId);
      continue;
    }
    const askedAt = memory.replayAskedAt(rolloutId);
    const closure = orphanTarget(fleet, rolloutId, host, hb.currentClosure);
    const adopt =
      rec === undefined ? adoption(fleet, { rolloutId, hostname: host, at }, timings) : null;
    if (
      askedAt !== undefined &&
      now - askedAt >= grace &&
      (rec === undefined ? adopt !== null : rec.state === 'Pending') &&
      closure !== null
    ) {
      drift.push({
        kind: 'confirm',
        rolloutId,
        closure,
        adopt,
        events: orphanConfirmEvents(closure, at),
        replayFrom: cpSeq,
      });
      continue;
    }
    drift.push({ kind: 'ask', rolloutId, replayFrom: cpSeq, first: askedAt === undefined });
  }
  const aborted = [...hb.lastSeqByRollout.keys()].filter(
    (rid) => ownValue(fleet.rollouts.rollouts, rid)?.aborted != null,
  );
  return { cameOnline, completions, drift, settled, aborted };
}
