// The probe worker (RFC-0006 ledger #2, RFC-0007 §8.1). Owns the probe
// loops: on LocalResetProbeCache it forgets every result, re-reads
// health-checks.json, checks it against the probe set the rollout manifest
// signs for the host, declares the topology and starts one loop per
// non-disabled probe (first run immediately, then every intervalSeconds).
// Every observation is signed and fed to the reducer as LocalProbeObserved.
// A file that is absent or differs from the signed set is never run as "no
// probes": the reserved enforce probe PROBE_SET_PROBE fails in its place.
// Must never decide health: the reducer times sustained failure.
import type { Logger } from 'pino';
import { judgeProbeSet, type LocalHostEvent, type ProbeSetRefusal } from '../../core/index.ts';
import type { PrivateKey } from '../../trust/index.ts';
import type { Clock } from '../clock.ts';
import { isAgentError } from '../errors.ts';
import { loadProbeSet, topologyOf, type ProbeSpec } from './config.ts';
import { gateProbes, type GateSource } from './health-gate.ts';
import { PROBE_SET_PROBE, type SignedProbeSet } from './declaration.ts';
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
  /** The probe set the current rollout's manifest signs for this host. */
  readonly signedProbes: () => SignedProbeSet;
  /** Feeds the reducer. */
  readonly post: (event: LocalHostEvent) => void;
  /** The signed health gate of the current rollout (its conditions run as enforce probes). */
  readonly healthGate: () => GateSource;
  /** The backend's failed systemd units (the gate's measure). */
  readonly failedUnits: () => Promise<readonly string[]>;
  /** Where the backend reads a host file a probe names (the evidence file). */
  readonly hostFile: (path: string) => string;
}

/** How often the refused-probe-set failure is re-reported when no probe says. */
const REFUSAL_INTERVAL_SECS = 30;

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
    let refusal: ProbeSetRefusal | null;
    try {
      const loaded = loadProbeSet(path, this.opts.hostname);
      const signed = this.opts.signedProbes();
      refusal = judgeProbeSet(signed.probes, loaded.present ? loaded.byName : null, {
        path,
        rolloutId: signed.rolloutId,
        ...(signed.why === null ? {} : { unsignedWhy: signed.why }),
      });
      if (refusal !== null) {
        log.error(
          { code: codeOf(refusal), path, probes: refusal.probes, rolloutId: signed.rolloutId },
          `probe set refused: ${refusal.detail}`,
        );
      } else if (!loaded.present) {
        log.info({ path }, 'no health-checks file, and the signed probe set is empty');
      }
      // The signed gate's conditions join the declared set: the CP sees them
      // in the topology, and they fail the wave like any enforce probe.
      const gate = gateProbes(this.opts.healthGate());
      const set = { ...loaded, probes: [...loaded.probes, ...gate] };
      probes = set.probes;
      if (options.declare) {
        const topology = topologyOf(set).filter((p) => p.name !== PROBE_SET_PROBE.name);
        this.opts.post({
          kind: 'LocalProbeTopologyDeclared',
          probes: refusal === null ? topology : [...topology, PROBE_SET_PROBE],
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
      if (spec.mode === 'disabled' || spec.name === PROBE_SET_PROBE.name) continue;
      void this.loop(spec, signal);
    }
    if (refusal !== null) {
      const every = Math.min(REFUSAL_INTERVAL_SECS, ...probes.map((p) => p.intervalSeconds));
      void this.refusalLoop(refusal, every, signal);
    }
  }

  /** Reports the refused probe set as a failing enforce probe until the next reset. */
  private async refusalLoop(
    refusal: ProbeSetRefusal,
    everySecs: number,
    signal: AbortSignal,
  ): Promise<void> {
    const reason = `${codeOf(refusal)}: ${refusal.detail}`;
    while (!signal.aborted) {
      this.opts.post({
        kind: 'LocalProbeObserved',
        name: PROBE_SET_PROBE.name,
        status: 'Fail',
        mode: PROBE_SET_PROBE.mode,
        failureReason: reason,
        subResults: null,
        at: this.opts.clock.now(),
      });
      await this.opts.clock.sleep(everySecs * 1000, signal);
    }
  }

  private async loop(spec: ProbeSpec, signal: AbortSignal): Promise<void> {
    const { clock, log } = this.opts;
    const ctx: RunnerContext = {
      hostname: this.opts.hostname,
      hostPublicKey: this.opts.hostKey.publicKey,
      memo: this.memo,
      failedUnits: this.opts.failedUnits,
      hostFile: this.opts.hostFile,
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

function codeOf(r: ProbeSetRefusal): 'AGENT_ERR_PROBES_MISMATCH' | 'AGENT_ERR_PROBES_UNSIGNED' {
  return r.kind === 'Mismatch' ? 'AGENT_ERR_PROBES_MISMATCH' : 'AGENT_ERR_PROBES_UNSIGNED';
}
