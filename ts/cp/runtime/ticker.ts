// The reconcile tick as the shell runs it: measures (mutator lag, the
// edge's event-ingest latencies), asks core's tick policy how the tick runs,
// runs it through the mutator (a paced step of the held plan or a full
// plan) and applies what follows (pacer state, rate gauge, follow-up step).
// Holds the pacer state between ticks. Must never decide anything about
// pacing itself: core/pacing/tick-policy.ts does.
import {
  decideTick,
  initialPacer,
  settleTick,
  type PacerState,
  type TickPolicyConfig,
} from '../../core/index.ts';
import type { Clock } from '../clock.ts';
import type { CpConfig } from '../config.ts';
import type { RuntimeDeps } from './deps.ts';
import type { Mutator } from './mutator.ts';
import { runHeldStep, runTick, type TickSummary } from './reconcile.ts';

/** Fewest event latencies a window needs before its percentile is a signal. */
const WINDOW_MIN_SAMPLES = 20;

/**
 * The edge-measured event-ingest latencies since the pacer last consumed
 * them: the 90th percentile of a window is the ingest signal (a single GC
 * pause moves the maximum, queueing moves the bulk).
 */
export class IngestWindow {
  private samples: number[] = [];

  add(ms: number): void {
    // Bounded: a CP that stopped ticking must not accumulate forever.
    if (this.samples.length < 10_000) this.samples.push(ms);
  }

  /** The window's 90th percentile (ms), or undefined while it has too few samples. */
  p90(): number | undefined {
    if (this.samples.length < WINDOW_MIN_SAMPLES) return undefined;
    const s = this.samples.sort((a, b) => a - b);
    return s[Math.floor(0.9 * (s.length - 1))];
  }

  /** Starts a new window. */
  clear(): void {
    this.samples = [];
  }
}

/** The tick policy's configuration from the CP's flags. */
export function tickPolicyOf(config: CpConfig, startedAt: number): TickPolicyConfig {
  return {
    ratePerSec: config.dispatchRatePerSec,
    chunk: config.dispatchChunk,
    maxLagMs: config.dispatchMaxLagMs,
    maxIngestMs: config.dispatchMaxIngestMs,
    warmupUntil: startedAt + config.timings.planningWarmupMs,
  };
}

/** Options of one tick. */
export interface TickOptions {
  /** Paced, and waits out the planning warm-up (reconcile loop, startup). */
  readonly automatic?: boolean;
  /** Only these rollouts' pictures changed (host events); see the reconcile loop. */
  readonly rollouts?: ReadonlySet<string>;
}

/** Runs reconcile ticks as core's tick policy decides. */
export class Ticker {
  private pacer: PacerState;
  private readonly ingest = new IngestWindow();
  private warmupLogged = false;

  constructor(
    private readonly o: {
      readonly deps: RuntimeDeps;
      readonly mutator: Mutator;
      readonly clock: Clock;
      readonly policy: TickPolicyConfig;
      /** The planning warm-up (ms), as logged. */
      readonly warmupMs: number;
      /** Schedules a tick in `ms` (the paced follow-up). */
      readonly followUp: (trigger: string, ms: number) => void;
    },
  ) {
    this.pacer = initialPacer(o.policy);
  }

  /** An event-ingest latency the edge measured (ms). */
  eventTimed(ms: number): void {
    this.ingest.add(ms);
  }

  /** One reconcile tick through the mutator. */
  tick(trigger = 'manual', options: TickOptions = {}): Promise<TickSummary> {
    const { deps, mutator, clock, policy } = this.o;
    const { state, metrics, log } = deps;
    return mutator.submit((b) => {
      const now = clock.now();
      const d = decideTick(
        policy,
        this.pacer,
        {
          trigger,
          automatic: options.automatic ?? false,
          ...(options.rollouts !== undefined ? { rollouts: options.rollouts } : {}),
        },
        {
          now,
          lagMs: mutator.lagMs(),
          ingestP90Ms: this.ingest.p90(),
          held: state.tick.heldDispatches,
          lastDecisionsAt: state.tick.lastDecisionsAt,
        },
      );
      this.pacer = d.pacer;
      if (d.ingestConsumed) this.ingest.clear();
      if (d.mode === 'warm-up' && !this.warmupLogged) {
        this.warmupLogged = true;
        log.info(
          { warmupMs: this.o.warmupMs },
          'dispatch and wave promotion held until agents have heartbeated',
        );
      }
      if (d.dispatchRate !== null) {
        metrics.dispatchRate.set(d.dispatchRate);
        state.noteTick({ dispatchRate: d.dispatchRate });
      }
      const summary =
        (d.mode === 'held-step'
          ? runHeldStep(deps, b, { now, trigger: d.trigger, maxDispatches: d.maxDispatches })
          : null) ??
        runTick(deps, b, {
          now,
          trigger: d.trigger,
          only: d.only,
          maxDispatches: d.maxDispatches,
          holdRest: d.holdRest,
          explain: d.explain,
          dispatchRate: d.dispatchRate ?? 0,
        });
      const sent = summary.actions.filter((a) => a.kind === 'QueueDispatch').length;
      const settled = settleTick(policy, d, { sent, heldDispatches: summary.heldDispatches });
      if (settled !== null) {
        this.pacer = settled.pacer;
        metrics.dispatchesHeld.set(summary.heldDispatches);
        if (settled.followUp !== null)
          this.o.followUp(settled.followUp.trigger, settled.followUp.inMs);
      }
      return summary;
    });
  }
}
