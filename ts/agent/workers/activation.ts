// The activation worker: executes LocalFireSwitch and LocalFireRollbackTo
// effects off the reducer loop and feeds the outcome back as Local* events.
// Owns the persisted switch handle (`activation.json`) that lets a restarted
// agent resume polling a detached switch instead of firing it twice, and the
// deferred-activation sentinel check. Must never decide what an outcome
// means for the rollout: the reducer does.
import { rmSync } from 'node:fs';
import type { Logger } from 'pino';
import type { LocalHostEvent } from '../../core/index.ts';
import {
  activate,
  pollSwitch,
  stageProfile,
  type ActivationOutcome,
} from '../activation/activate.ts';
import type { ActivationBackend, SwitchHandle } from '../activation/backend.ts';
import type { Clock } from '../clock.ts';
import type { AgentTimings } from '../config/config.ts';
import { readJsonFile, writeFileAtomic } from '../state/atomic-file.ts';
import type { StateStore } from '../state/store.ts';

/** A launched switch persisted across restarts. */
export interface SavedActivation {
  readonly kind: 'switch' | 'rollback';
  readonly handle: SwitchHandle;
}

/** Options of {@link ActivationWorker}. */
export interface ActivationWorkerOptions {
  readonly backend: ActivationBackend;
  readonly clock: Clock;
  readonly log: Logger;
  readonly store: StateStore;
  readonly timings: AgentTimings;
  readonly post: (event: LocalHostEvent) => void;
  readonly signal: AbortSignal;
}

const FILE = 'activation.json';

/** Runs activations one at a time. */
export class ActivationWorker {
  private readonly o: ActivationWorkerOptions;
  private current: 'switch' | 'rollback' | null = null;

  constructor(options: ActivationWorkerOptions) {
    this.o = options;
  }

  /** What is in flight, if anything. */
  get inFlight(): 'switch' | 'rollback' | null {
    return this.current;
  }

  /** The persisted handle of a switch launched before a restart. */
  loadSaved(): SavedActivation | null {
    const r = readJsonFile<SavedActivation>(
      this.o.store.path(FILE),
      (v) =>
        typeof v === 'object' && v !== null && 'handle' in v && 'kind' in v ? null : 'bad handle',
      this.o.clock.now(),
    );
    if (r.kind === 'corrupt') this.o.log.warn({ code: r.error.code }, r.error.message);
    return r.kind === 'ok' ? r.value : null;
  }

  private save(kind: SavedActivation['kind'], handle: SwitchHandle): void {
    writeFileAtomic(this.o.store.path(FILE), JSON.stringify({ kind, handle }));
  }

  private clear(): void {
    rmSync(this.o.store.path(FILE), { force: true });
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

  private forwardOutcome(target: string, out: ActivationOutcome): void {
    if (this.o.signal.aborted) return; // shutting down: boot recovery resumes
    const at = this.o.clock.now();
    this.clear();
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
        this.o.store.saveDeferred({
          schemaVersion: 1,
          closure: target,
          component: out.component,
          at,
        });
        return this.o.post({ kind: 'LocalActivationDeferred', component: out.component, at });
    }
  }

  private rollbackOutcome(closure: string, out: ActivationOutcome): void {
    if (this.o.signal.aborted) return;
    this.clear();
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

  /** LocalFireSwitch: forward activation (deferred sentinel first). */
  fireSwitch(target: string): void {
    this.run('switch', async () => {
      const sentinel = this.o.store.loadDeferred(this.o.clock.now());
      if (sentinel !== null && sentinel.closure === target) {
        // Already staged and deferred for this closure: do not re-run the
        // profile set and pre-check (book §I.7 last_deferred suppression).
        await stageProfile(this.o.backend, target, { checkInhibitors: false }).catch(
          () => undefined,
        );
        return this.forwardOutcome(target, { kind: 'deferred', component: sentinel.component });
      }
      const out = await activate(this.o.backend, target, {
        ...this.pollOptions(),
        checkInhibitors: true,
        onLaunched: (handle) => {
          this.save('switch', handle);
          this.o.post({
            kind: 'LocalActivationStarted',
            switchMethod: this.o.backend.switchMethod,
            at: this.o.clock.now(),
          });
        },
      });
      this.forwardOutcome(target, out);
    });
  }

  /** LocalFireRollbackTo: switch back to the closure current at dispatch. */
  fireRollback(closure: string): void {
    this.run('rollback', async () => {
      let out: ActivationOutcome;
      try {
        await stageProfile(this.o.backend, closure, { checkInhibitors: false });
        const handle = await this.o.backend.launchSwitch(closure, this.o.clock.now());
        this.save('rollback', handle);
        out = await pollSwitch(this.o.backend, handle, this.pollOptions());
      } catch (e) {
        out = { kind: 'failed', exitCode: null, stderrTail: (e as Error).message };
      }
      this.rollbackOutcome(closure, out);
    });
  }

  /** Boot recovery: keep polling a switch launched before the restart. */
  resume(saved: SavedActivation): void {
    this.run(saved.kind, async () => {
      const out = await pollSwitch(this.o.backend, saved.handle, this.pollOptions());
      if (saved.kind === 'switch') this.forwardOutcome(saved.handle.closure, out);
      else this.rollbackOutcome(saved.handle.closure, out);
    });
  }
}
