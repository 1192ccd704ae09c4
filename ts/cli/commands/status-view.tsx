// The drawn forms of `nixfleet status` (status.tsx): the table once, again on
// each change without a terminal, or live with one. Loaded only when a view
// is drawn, so `status --json` starts without Ink and React.
import type { CpClient } from '../client/cp-client.ts';
import { loadFleet, type FleetSnapshot } from '../status/snapshot.ts';
import { printView } from '../views/print-view.ts';
import { runLive } from '../views/run-live.tsx';
import { StatusView } from '../views/StatusView.tsx';
import type { ExitCode } from './exit-codes.ts';
import { followPlain, viewWidth, wantsColor, type OperatorCtx } from './operator-context.ts';
import { fleetExitCode, type StatusOptions } from './status.tsx';

/**
 * Draws the status table (once, or followed with `--watch`) from a first snapshot.
 *
 * @example return statusView(ctx, opts, client, first, 2000);
 */
export async function statusView(
  ctx: OperatorCtx,
  opts: StatusOptions,
  client: CpClient,
  first: FleetSnapshot,
  intervalMs: number,
): Promise<ExitCode> {
  const now = ctx.io.now;
  const color = wantsColor(ctx, opts.color);
  const width = viewWidth(ctx);
  if (!opts.watch) {
    printView(ctx, <StatusView snapshot={first} width={width} color={color} />, width);
    return fleetExitCode(first);
  }
  if (ctx.terminal === null) {
    // Not a terminal (a pipe, a CI log): the table again whenever the fleet changes, until
    // interrupted or the CP stops answering (then exit 3/4/5 like any other command).
    const last = await followPlain(ctx, {
      initial: first,
      load: () => loadFleet(client, { now }),
      frame: (s) => printView(ctx, <StatusView snapshot={s} width={width} color={color} />, width),
      intervalMs,
    });
    return fleetExitCode(last);
  }
  const terminal = ctx.terminal;
  const out = await runLive(terminal, {
    initial: first,
    load: (signal) => loadFleet(client, { now, signal }),
    view: (snapshot, chrome) => (
      <StatusView
        snapshot={snapshot}
        width={terminal.columns}
        color={color}
        footer={chrome.error !== null ? `✗ ${chrome.error}` : chrome.footer}
      />
    ),
    intervalMs,
    now,
  });
  // A CP that stopped answering is the truth of the session, not the last good frame.
  if (out.lastError !== null) throw out.lastError;
  return fleetExitCode(out.last);
}
