// The probe worker (RFC-0006 ledger #2, RFC-0007 §8.1). Owns the probe
// loops: on LocalResetProbeCache it forgets every result, re-reads
// health-checks.json, declares the topology and starts one loop per
// non-disabled probe (first run immediately, then every intervalSeconds).
// Every observation is signed and fed to the reducer as LocalProbeObserved.
// Must never decide health: the reducer times sustained failure.
import type { Logger } from 'pino';
import type { LocalHostEvent } from '../../core/index.ts';
import type { PrivateKey } from '../../trust/index.ts';
import type { Clock } from '../clock.ts';
import { isAgentError } from '../errors.ts';
import { loadProbeSet, topologyOf, type ProbeSpec } from './config.ts';
import { gateProbes, type GateSource } from './health-gate.ts';
import { signProbeResult, storeEvidence, type ProbeEvidence } from './evidence.ts';
import { runProbe, type RunnerContext } from './runners.ts';

/** Options of {@link ProbeScheduler}. */
export interface ProbeSchedulerOptions {
  readonly hostname: string;
  readonly hostKey: PrivateKey;
  readonly clock: Clock;
  readonly log: Logger;
  /** Where health-checks.json is (resolved on every reset: it follows the closure). */
  readonly configPath: () => Promise<string>;
  readonly evidenceDir: string;
  readonly bootId: string;
  /** Rollout and generation the results belong to. */
  readonly context: () => { readonly rolloutId: string | null; readonly generation: string | null };
  /** Feeds the reducer. */
  readonly post: (event: LocalHostEvent) => void;
  /** The signed health gate of the current rollout (its conditions run as enforce probes). */
  readonly healthGate: () => GateSource;
  /** The backend's failed systemd units (the gate's measure). */
  readonly failedUnits: () => Promise<readonly string[]>;
}

/** Runs the declared probes and signs what they observe. */
export class ProbeScheduler {
  private readonly opts: ProbeSchedulerOptions;
  private controller = new AbortController();
  private readonly signatures = new Map<string, ProbeEvidence>();
  private readonly memo: RunnerContext['memo'] = new Map();

  constructor(options: ProbeSchedulerOptions) {
    this.opts = options;
  }

  /**
   * The signed payload observed for `probe` at `at` and its base64
   * signature (ProbeResult.payload and .signature).
   */
  evidenceFor(probe: string, at: number): ProbeEvidence | undefined {
    return this.signatures.get(`${probe}@${at}`);
  }

  /** Stops every loop. */
  stop(): void {
    this.controller.abort();
    this.controller = new AbortController();
  }

  /**
   * LocalResetProbeCache: forget results, reload the file, declare the
   * topology (unless `declare` is false: restart after boot), start loops.
   */
  async reset(options: { readonly declare: boolean } = { declare: true }): Promise<void> {
    this.stop();
    this.signatures.clear();
    this.memo.clear();
    const { log, clock } = this.opts;
    const path = await this.opts.configPath();
    let probes: readonly ProbeSpec[];
    try {
      const loaded = loadProbeSet(path, this.opts.hostname);
      if (!loaded.present)
        log.warn({ path }, 'no health-checks file: declaring an empty probe set');
      // The signed gate's conditions join the declared set: the CP sees them
      // in the topology, and they fail the wave like any enforce probe.
      const gate = gateProbes(this.opts.healthGate());
      const set = { ...loaded, probes: [...loaded.probes, ...gate] };
      probes = set.probes;
      if (options.declare) {
        this.opts.post({
          kind: 'LocalProbeTopologyDeclared',
          probes: topologyOf(set),
          at: clock.now(),
        });
      }
    } catch (e) {
      // Declaring nothing holds the wave ("awaiting probe topology") instead
      // of letting an unreadable probe file pass as "no probes".
      log.error(
        { err: e, code: isAgentError(e) ? e.code : 'AGENT_ERR_PROBES_CONFIG', path },
        'health checks unusable; probe topology not declared',
      );
      return;
    }
    const signal = this.controller.signal;
    for (const spec of probes) {
      if (spec.mode === 'disabled') continue;
      void this.loop(spec, signal);
    }
  }

  private async loop(spec: ProbeSpec, signal: AbortSignal): Promise<void> {
    const { clock, log } = this.opts;
    const ctx: RunnerContext = {
      hostname: this.opts.hostname,
      hostPublicKey: this.opts.hostKey.publicKey,
      memo: this.memo,
      failedUnits: this.opts.failedUnits,
    };
    while (!signal.aborted) {
      const outcome = await runProbe(spec, ctx);
      if (signal.aborted) return;
      const at = clock.now();
      const { rolloutId, generation } = this.opts.context();
      try {
        const signed = signProbeResult({
          spec,
          outcome,
          at,
          hostname: this.opts.hostname,
          bootId: this.opts.bootId,
          generation,
          rolloutId,
          key: this.opts.hostKey,
        });
        storeEvidence(this.opts.evidenceDir, signed);
        this.signatures.set(`${spec.name}@${at}`, {
          signature: signed.signatureBase64,
          payload: signed.payload,
        });
        if (this.signatures.size > 512) {
          const first = this.signatures.keys().next().value;
          if (first !== undefined) this.signatures.delete(first);
        }
      } catch (e) {
        log.warn({ err: e, probe: spec.name }, 'could not sign probe evidence');
      }
      this.opts.post({
        kind: 'LocalProbeObserved',
        name: spec.name,
        status: outcome.status,
        mode: spec.mode,
        failureReason: outcome.failureReason,
        subResults: outcome.subResults,
        at,
      });
      await clock.sleep(spec.intervalSeconds * 1000, signal);
    }
  }
}
