// `nixfleet status [--json] [--no-color] [--watch]`: one row per host with
// its status label (Failed > Quarantined > PendingReboot > Converged > Stale
// > InFlight > Queued), under a header of channels with their rollout, wave
// progress and artifact age. Exit 0 healthy, 1 when a host is Failed or
// quarantined or a channel's rollout failed, 3/4/5 when the CP could not
// answer (docs/operators.md). `--json` never loads the views
// (status-view.tsx).
import type { Command } from 'commander';
import { channelFreshness, classifyHosts } from '../status/labels.ts';
import { loadFleet, type FleetSnapshot } from '../status/snapshot.ts';
import { fleetVerdict } from '../status/verdict.ts';
import { STATUS } from '../flags/fleet.ts';
import { addFlags, durationFlag, flagOf } from '../flags/table.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import {
  followPlain,
  printJson,
  runWithClient,
  type ClientFlags,
  type OperatorCtx,
} from './operator-context.ts';

/** Options of {@link statusCommand}. */
export interface StatusOptions extends ClientFlags {
  readonly json?: boolean;
  /** false with --no-color. */
  readonly color?: boolean;
  readonly watch?: boolean;
  readonly interval?: string;
}

/**
 * The exit code a fleet snapshot stands for: 0 when {@link fleetVerdict} is
 * healthy, 1 when it needs attention.
 *
 * @example fleetExitCode(snapshot) // 0
 */
export function fleetExitCode(snapshot: FleetSnapshot): ExitCode {
  return fleetVerdict(snapshot).healthy ? EXIT.ok : EXIT.rejected;
}

/**
 * `status --json`: the /v1/hosts document (still a valid api-hosts value)
 * with each host's `status` and failing control ids added, plus the channels
 * with their freshness, the rollouts and the failing controls in full.
 *
 * @example JSON.stringify(statusJson(snapshot))
 */
export function statusJson(snapshot: FleetSnapshot): unknown {
  return {
    ...snapshot.hosts,
    cpUrl: snapshot.cpUrl,
    hosts: classifyHosts(snapshot).map((c) => ({
      ...c.host,
      status: c.status,
      failingControls: snapshot.failingControls
        .filter((f) => f.hostname === c.host.hostname)
        .map((f) => f.controlId),
    })),
    channels: snapshot.channels.map((c) => {
      const f = channelFreshness(c, snapshot.now);
      return {
        ...c,
        freshness: {
          ageSeconds: f.ageMs === null ? null : Math.floor(f.ageMs / 1000),
          stale: f.stale,
        },
      };
    }),
    rollouts: snapshot.rollouts.rollouts,
    failingControls: snapshot.failingControls,
    verdict: fleetVerdict(snapshot),
  };
}

/**
 * Runs `nixfleet status`.
 *
 * @example await statusCommand(ctx, { json: true })
 */
export async function statusCommand(ctx: OperatorCtx, opts: StatusOptions): Promise<ExitCode> {
  return runWithClient(ctx, 'status', opts, async (client) => {
    const intervalMs = durationFlag(flagOf(STATUS, 'interval'), opts.interval);
    const now = ctx.io.now;
    const first = await loadFleet(client, { now });
    if (opts.json && opts.watch) {
      // A JSON line per change, until interrupted or the CP stops answering.
      const last = await followPlain(ctx, {
        initial: first,
        load: () => loadFleet(client, { now }),
        frame: (s) => ctx.io.stdout(`${JSON.stringify(statusJson(s))}\n`),
        intervalMs,
        separator: '',
      });
      return fleetExitCode(last);
    }
    if (opts.json) {
      printJson(ctx, statusJson(first));
      return fleetExitCode(first);
    }
    // The table and the live view: Ink and React load only here.
    const { statusView } = await import('./status-view.tsx');
    return statusView(ctx, opts, client, first, intervalMs);
  });
}

/**
 * Adds `status`.
 *
 * @example registerStatus(program, ctx)
 */
export function registerStatus(program: Command, ctx: OperatorCtx): void {
  addFlags(
    program
      .command('status')
      .description(
        'fleet table: status label per host, channels with rollout, wave progress and artifact age (exit 1 when a host is never seen, offline or failed, or a rollout failed)',
      ),
    STATUS,
  ).action(async (o: StatusOptions) => ctx.setExit(await statusCommand(ctx, o)));
}
