// The activation algorithm shared by every backend (book §1.5, §I.7):
// inhibitor pre-check, profile set (always, so a deferred generation boots
// next time), detached switch, then poll the current-system link and the
// switch's status up to POLL_BUDGET and verify the basename. Must never
// block on the switch process and never decide rollback (the reducer does).
import type { DeferredComponent } from '../../core/index.ts';
import type { Clock } from '../clock.ts';
import { AgentError } from '../errors.ts';
import type { ActivationBackend, SwitchHandle } from './backend.ts';
import { detectSwitchInhibitor } from './inhibitors.ts';

/** How an activation ended, as the reducer needs to hear it. */
export type ActivationOutcome =
  | { readonly kind: 'complete'; readonly observed: string; readonly exitCode: number }
  /** Switch exited 0 but current-system is not the target (VerifyMismatch). */
  | {
      readonly kind: 'verify-mismatch';
      readonly observed: string | null;
      readonly exitCode: number;
    }
  /** SwitchFailed: non-zero exit, launch failure or POLL_BUDGET exhausted. */
  | { readonly kind: 'failed'; readonly exitCode: number | null; readonly stderrTail: string }
  | { readonly kind: 'deferred'; readonly component: DeferredComponent };

/** Timing of the poll. */
export interface PollOptions {
  readonly clock: Clock;
  readonly pollBudgetMs: number;
  readonly pollIntervalMs: number;
  readonly signal?: AbortSignal;
}

/**
 * Pre-check and profile set. Returns the inhibiting component when the live
 * switch must be skipped (the profile is set either way).
 */
export async function stageProfile(
  backend: ActivationBackend,
  closure: string,
  options: { readonly checkInhibitors: boolean },
): Promise<DeferredComponent | null> {
  let component: DeferredComponent | null = null;
  if (options.checkInhibitors) {
    const current = await backend.currentSystem();
    if (current !== null && current !== closure) {
      component = detectSwitchInhibitor(
        backend.storePath(current),
        backend.storePath(closure),
        (p) => backend.resolveAbsolute(p),
      );
    }
  }
  await backend.setProfile(closure);
  return component;
}

/**
 * Polls a launched switch until it settles or the budget (counted from the
 * launch) runs out. Resumable: a restarted agent calls it with the persisted
 * handle.
 */
export async function pollSwitch(
  backend: ActivationBackend,
  handle: SwitchHandle,
  options: PollOptions,
): Promise<ActivationOutcome> {
  const { clock } = options;
  const deadline = handle.startedAt + options.pollBudgetMs;
  for (;;) {
    const status = await backend.switchStatus(handle);
    const current = await backend.currentSystem();
    if (status.state === 'exited') {
      if (status.exitCode !== 0) {
        return { kind: 'failed', exitCode: status.exitCode, stderrTail: status.stderrTail };
      }
      return current === handle.closure
        ? { kind: 'complete', observed: current, exitCode: 0 }
        : { kind: 'verify-mismatch', observed: current, exitCode: 0 };
    }
    if (status.state === 'unknown' && current === handle.closure) {
      return { kind: 'complete', observed: current, exitCode: 0 };
    }
    if (clock.now() >= deadline || options.signal?.aborted) {
      if (current === handle.closure && !options.signal?.aborted) {
        // The book's success criterion is the link; a switch still busy with
        // unit restarts after POLL_BUDGET has nevertheless activated.
        return { kind: 'complete', observed: current, exitCode: 0 };
      }
      return {
        kind: 'failed',
        exitCode: null,
        stderrTail: options.signal?.aborted
          ? 'activation poll aborted'
          : `current-system is ${current ?? 'absent'} after the poll budget of ${options.pollBudgetMs} ms`,
      };
    }
    await clock.sleep(
      Math.min(options.pollIntervalMs, Math.max(1, deadline - clock.now())),
      options.signal,
    );
  }
}

/**
 * Full forward activation: stage, then (unless deferred) launch and poll.
 * `onLaunched` runs right after the detached switch starts, so the caller
 * can persist the handle and report ActivationStarted.
 */
export async function activate(
  backend: ActivationBackend,
  closure: string,
  options: PollOptions & {
    readonly checkInhibitors: boolean;
    readonly onLaunched: (handle: SwitchHandle) => Promise<void> | void;
  },
): Promise<ActivationOutcome> {
  let handle: SwitchHandle;
  try {
    const component = await stageProfile(backend, closure, options);
    if (component !== null) return { kind: 'deferred', component };
    handle = await backend.launchSwitch(closure, options.clock.now());
  } catch (e) {
    const msg = e instanceof AgentError ? e.message : String(e);
    return { kind: 'failed', exitCode: null, stderrTail: msg };
  }
  await options.onLaunched(handle);
  return pollSwitch(backend, handle, options);
}
