// The activation worker: implements the loop's activation port over a
// backend (nixos, sandbox). Executes LocalFireSwitch, LocalFireRollbackTo and
// LocalResumeActivation off the reducer loop and feeds the outcome back as
// Local* events. The handle of a launched switch goes to the loop's snapshot
// (`persist`) so a restarted agent resumes polling it instead of firing it
// twice. Must never decide what an outcome means for the rollout: the
// reducer does; and never write the state directory itself.
import type { Logger } from 'pino';
import type { DeferredComponent, LocalHostEvent } from '../../core/index.ts';
import {
  activate,
  pollSwitch,
  stageProfile,
  type ActivationOutcome,
} from '../activation/activate.ts';
import type { ActivationBackend } from '../activation/backend.ts';
import type { ActivationPort, SavedActivation } from '../activation/port.ts';
import type { Clock } from '../clock.ts';
import type { AgentTimings } from '../config/config.ts';

/** Options of {@link ActivationWorker}. */
export interface ActivationWorkerOptions {
  readonly backend: ActivationBackend;
  readonly clock: Clock;
  readonly log: Logger;
  readonly timings: AgentTimings;
  readonly post: (event: LocalHostEvent) => void;
  /** Makes a launched switch durable (`null`: it settled) before its outcome is posted. */
  readonly persist: (saved: SavedActivation | null) => void;
  readonly signal: AbortSignal;
}

/** Runs activations one at a time. */
export class ActivationWorker implements ActivationPort {
  private readonly o: ActivationWorkerOptions;
  private current: 'switch' | 'rollback' | null = null;

  constructor(options: ActivationWorkerOptions) {
    this.o = options;
  }

  get switchMethod(): string {
    return this.o.backend.switchMethod;
  }

  /** What is in flight, if anything. */
  get inFlight(): 'switch' | 'rollback' | null {
    return this.current;
  }

  currentSystem(): Promise<string | null> {
    return this.o.backend.currentSystem();
  }

  private pollOptions() {
    return {
      clock: this.o.clock,
      pollBudgetMs: this.o.timings.pollBudgetMs,
      pollIntervalMs: this.o.timings.activationPollMs,
      signal: this.o.signal,
    };
  }

  private run(kind: 'switch' | 'rollback', task: () => Promise<void>): void {
    this.current = kind;
    void task()
      .catch((e: unknown) =>
        this.o.log.error({ err: e, code: 'AGENT_ERR_ACTIVATION' }, 'activation crashed'),
      )
      .finally(() => {
        this.current = null;
      });
  }

  private forwardOutcome(out: ActivationOutcome): void {
    if (this.o.signal.aborted) return; // shutting down: boot recovery resumes
    const at = this.o.clock.now();
    this.o.persist(null);
    switch (out.kind) {
      case 'complete':
        return this.o.post({
          kind: 'LocalActivationCompleted',
          observed: out.observed,
          exitCode: out.exitCode,
          at,
        });
      case 'verify-mismatch':
        return this.o.post(
          out.observed === null
            ? {
                kind: 'LocalActivationFailed',
                exitCode: out.exitCode,
                stderrTail: 'current-system link is absent',
                at,
              }
            : {
                kind: 'LocalActivationCompleted',
                observed: out.observed,
                exitCode: out.exitCode,
                at,
              },
        );
      case 'failed':
        return this.o.post({
          kind: 'LocalActivationFailed',
          exitCode: out.exitCode,
          stderrTail: out.stderrTail,
          at,
        });
      case 'deferred':
        return this.o.post({ kind: 'LocalActivationDeferred', component: out.component, at });
    }
  }

  private rollbackOutcome(closure: string, out: ActivationOutcome): void {
    if (this.o.signal.aborted) return;
    this.o.persist(null);
    const at = this.o.clock.now();
    const exitCode =
      out.kind === 'failed' ? (out.exitCode ?? 1) : out.kind === 'deferred' ? 1 : out.exitCode;
    const observed =
      out.kind === 'complete' || out.kind === 'verify-mismatch' ? out.observed : null;
    if (out.kind === 'failed') {
      this.o.log.error({ closure, exitCode, stderr: out.stderrTail }, 'rollback switch failed');
    }
    this.o.post({ kind: 'LocalRollbackCompleted', revertedTo: observed ?? closure, exitCode, at });
  }

  /** LocalFireSwitch: forward activation (a deferral of this closure first). */
  fireSwitch(target: string, deferred: DeferredComponent | null): void {
    this.run('switch', async () => {
      if (deferred !== null) {
        // Already staged and deferred for this closure: do not re-run the
        // profile set and pre-check (book §I.7 last_deferred suppression).
        await stageProfile(this.o.backend, target, { checkInhibitors: false }).catch(
          () => undefined,
        );
        return this.forwardOutcome({ kind: 'deferred', component: deferred });
      }
      const out = await activate(this.o.backend, target, {
        ...this.pollOptions(),
        checkInhibitors: true,
        onLaunched: (handle) => {
          this.o.persist({ kind: 'switch', handle });
          this.o.post({
            kind: 'LocalActivationStarted',
            switchMethod: this.o.backend.switchMethod,
            at: this.o.clock.now(),
          });
        },
      });
      this.forwardOutcome(out);
    });
  }

  /** LocalFireRollbackTo: switch back to the closure current at dispatch. */
  fireRollback(closure: string): void {
    this.run('rollback', async () => {
      let out: ActivationOutcome;
      try {
        await stageProfile(this.o.backend, closure, { checkInhibitors: false });
        const handle = await this.o.backend.launchSwitch(closure, this.o.clock.now());
        this.o.persist({ kind: 'rollback', handle });
        out = await pollSwitch(this.o.backend, handle, this.pollOptions());
      } catch (e) {
        out = { kind: 'failed', exitCode: null, stderrTail: (e as Error).message };
      }
      this.rollbackOutcome(closure, out);
    });
  }

  /** LocalResumeActivation: keep polling a switch launched before the restart. */
  resume(saved: SavedActivation): void {
    this.run(saved.kind, async () => {
      const out = await pollSwitch(this.o.backend, saved.handle, this.pollOptions());
      if (saved.kind === 'switch') this.forwardOutcome(out);
      else this.rollbackOutcome(saved.handle.closure, out);
    });
  }
}
