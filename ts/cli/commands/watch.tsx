// `nixfleet watch [<rollout-id>]`: the live rollout view — waves as progress,
// per-host state with time in state, budgets in flight, recent decisions
// with reasons. On a TTY it is an Ink app (q or Ctrl-C quits); otherwise it
// prints a plain frame whenever the rollout changes. On a TTY, p/r/a/A pause,
// resume, abort or approve the watched rollout after a prompt for the reason,
// through the same client call as `nixfleet rollout …` (views/ActionKeys.tsx). Either way it ends by
// itself once the rollout has ended, with the verdict line: exit 0 only when
// every host the rollout targets converged in it (status/verdict.ts), 1
// otherwise (failed, reverted, hosts skipped, or still in progress when the
// view was quit), 4 for an unknown id, 3/4/5 when the CP stopped answering.
import type { Command } from 'commander';
import { WATCH } from '../flags/fleet.ts';
import { addFlags, durationFlag, flagOf } from '../flags/table.ts';
import { ENDED_ROLLOUT_STATES, loadRollout, type RolloutSnapshot } from '../status/snapshot.ts';
import { rolloutVerdict, type Verdict } from '../status/verdict.ts';
import { runLive } from '../views/run-live.tsx';
import { RolloutView, rolloutHostLines } from '../views/RolloutView.tsx';
import { ActionKeys, type ActFn } from '../views/ActionKeys.tsx';
import { EXIT, type ExitCode } from './exit-codes.ts';
import {
  followPlain,
  printJson,
  runWithClient,
  viewWidth,
  wantsColor,
  type ClientFlags,
  type OperatorCtx,
} from './operator-context.ts';
import { printView } from '../views/print-view.ts';
import { checkRolloutId } from './rollout.tsx';

/** Options of {@link watchCommand}. */
export interface WatchOptions extends ClientFlags {
  readonly interval?: string;
  readonly color?: boolean;
  /** Keep watching after the rollout ended. */
  readonly keepOpen?: boolean;
  /** Print one frame and exit. */
  readonly once?: boolean;
  /** JSON instead of frames: one document with --once, else a JSON line per change. */
  readonly json?: boolean;
}

/**
 * The watch view as data: what `--json` prints per change (the rollout row, its hosts as
 * the host table shows them, the failing compliance controls, the recent decisions).
 *
 * @example watchJson(snapshot).hosts[0]?.note
 */
export function watchJson(s: RolloutSnapshot): {
  readonly rolloutId: string | null;
  readonly rollout: RolloutSnapshot['rollout'];
  readonly hosts: ReturnType<typeof rolloutHostLines>;
  readonly decisions: RolloutSnapshot['decisions'];
  readonly pacing: RolloutSnapshot['pacing'];
  readonly failingControls: RolloutSnapshot['failingControls'];
  readonly verdict: Verdict;
} {
  return {
    rolloutId: s.rollout?.rolloutId ?? s.requested,
    rollout: s.rollout,
    hosts: rolloutHostLines(s),
    decisions: s.decisions,
    pacing: s.pacing,
    failingControls: s.failingControls,
    verdict: rolloutVerdict(s),
  };
}

/** True when the snapshot's rollout has ended (nothing will move). */
export function rolloutEnded(s: RolloutSnapshot): boolean {
  return s.rollout !== null && ENDED_ROLLOUT_STATES.has(s.rollout.state);
}

/**
 * Runs `nixfleet watch`.
 *
 * @example await watchCommand(ctx, 'stable@3f2a9c1d', { once: true })
 */
export async function watchCommand(
  ctx: OperatorCtx,
  id: string | undefined,
  opts: WatchOptions,
): Promise<ExitCode> {
  return runWithClient(ctx, 'watch', opts, async (client) => {
    const requested = id === undefined ? null : checkRolloutId(id);
    const intervalMs = durationFlag(flagOf(WATCH, 'interval'), opts.interval);
    const now = ctx.io.now;
    const color = wantsColor(ctx, opts.color);
    const load = (signal?: AbortSignal): Promise<RolloutSnapshot> =>
      loadRollout(client, requested, signal ? { now, signal } : { now });
    const done = (s: RolloutSnapshot): boolean => !opts.keepOpen && rolloutEnded(s);
    const codeOf = (s: RolloutSnapshot): ExitCode =>
      s.rollout === null && requested !== null
        ? EXIT.refused
        : rolloutVerdict(s).healthy
          ? EXIT.ok
          : EXIT.rejected;
    // The text views end with the verdict, so the exit code is never a surprise.
    const closing = (s: RolloutSnapshot): ExitCode => {
      if (s.rollout !== null) ctx.io.stdout(`${rolloutVerdict(s).summary}\n`);
      return codeOf(s);
    };
    let snap = await load();
    if (opts.json) {
      if (opts.once) {
        printJson(ctx, watchJson(snap));
        return codeOf(snap);
      }
      const line = (x: RolloutSnapshot): void => ctx.io.stdout(`${JSON.stringify(watchJson(x))}\n`);
      // JSON lines carry no blank separator: followPlain's '\n' between frames is skipped.
      snap = await followPlain(ctx, {
        initial: snap,
        load: () => load(),
        frame: line,
        intervalMs,
        isDone: done,
        separator: '',
      });
      return codeOf(snap);
    }
    if (ctx.terminal !== null && !opts.once) {
      const terminal = ctx.terminal;
      const act =
        (rolloutId: string): ActFn =>
        (action, reason) =>
          client.rolloutAction({ rolloutId }, { action, reason });
      const out = await runLive(terminal, {
        initial: snap,
        load,
        view: (s, chrome) => (
          <RolloutView
            snapshot={s}
            width={terminal.columns}
            color={color}
            error={chrome.error}
            footer={chrome.footer}
          />
        ),
        controls: (s, ctl) => (
          <ActionKeys
            rolloutId={s.rollout?.rolloutId ?? null}
            ended={rolloutEnded(s)}
            input={ctl.input}
            act={act(s.rollout?.rolloutId ?? '')}
            quit={ctl.quit}
            color={color}
          />
        ),
        intervalMs,
        isDone: done,
        now,
      });
      if (out.lastError !== null) throw out.lastError;
      return closing(out.last);
    }
    // Plain text: a frame now and whenever the rollout changes.
    const width = viewWidth(ctx);
    const frame = (s: RolloutSnapshot): void =>
      printView(ctx, <RolloutView snapshot={s} width={width} color={false} />, width);
    if (opts.once) {
      frame(snap);
      return closing(snap);
    }
    snap = await followPlain(ctx, {
      initial: snap,
      load: () => load(),
      frame,
      intervalMs,
      isDone: done,
    });
    return closing(snap);
  });
}

/**
 * Adds `watch`.
 *
 * @example registerWatch(program, ctx)
 */
export function registerWatch(program: Command, ctx: OperatorCtx): void {
  addFlags(
    program
      .command('watch')
      .description(
        'live view of a rollout (default: the one in progress): waves, hosts, budgets, decisions; ends with the rollout (exit 0 only when every targeted host converged)',
      )
      .argument('[rollout-id]', 'e.g. stable@3f2a9c1d'),
    WATCH,
  ).action(async (id: string | undefined, o: WatchOptions) =>
    ctx.setExit(await watchCommand(ctx, id, o)),
  );
}
