// `nixfleet rollout list | hosts <id> | events <id> [--follow] | trace <id>`
// (the actions are in rollout-actions.ts):
// the rollouts the CP knows, one rollout's hosts with the latest decision
// naming each, its event log (followed until the rollout ends), and the
// planner's decisions with reasons. Exit 1 when the rollout failed or
// reverted (docs/operators.md).
import type { Command } from 'commander';
import type { ApiRolloutEvents } from '../../contracts/index.ts';
import type { CpClient } from '../client/cp-client.ts';
import { formatAge } from '../duration.ts';
import { ROLLOUT_EVENTS, ROLLOUT_HOSTS, ROLLOUT_LIST, ROLLOUT_TRACE } from '../flags/fleet.ts';
import { addFlags, durationFlag, flagOf } from '../flags/table.ts';
import { CliError } from '../errors.ts';
import {
  ENDED_ROLLOUT_STATES,
  FAILED_ROLLOUT_STATES,
  loadRollout,
  type RolloutRow,
  type RolloutSnapshot,
} from '../status/snapshot.ts';
import { parseTimestamp } from '../../trust/index.ts';
import { ROLLOUT_HOST_COLUMNS, rolloutHostLines } from '../views/RolloutView.tsx';
import { progressText, waveText } from '../views/StatusView.tsx';
import { Table, type TableColumn } from '../views/Table.tsx';
import { EXIT, type ExitCode } from './exit-codes.ts';
import {
  printJson,
  runWithClient,
  viewWidth,
  wantsColor,
  type ClientFlags,
  type OperatorCtx,
} from './operator-context.ts';
import { printView } from '../views/print-view.ts';
import { registerRolloutActions } from './rollout-actions.ts';
import { checkRolloutId } from './rollout-id.ts';

export { checkRolloutId } from './rollout-id.ts';

/** Exit code of a rollout state: 1 for Failed/Reverted. */
export function rolloutExitCode(state: string | null | undefined): ExitCode {
  return state !== null && state !== undefined && FAILED_ROLLOUT_STATES.has(state)
    ? EXIT.rejected
    : EXIT.ok;
}

async function requireRollout(
  client: CpClient,
  id: string,
  now: () => Date,
): Promise<RolloutSnapshot> {
  const snap = await loadRollout(client, checkRolloutId(id), { now });
  if (snap.rollout === null) {
    throw new CliError('CLI_ERR_ROLLOUT_UNKNOWN', `${client.origin} knows no rollout ${id}`, {
      hint: '`nixfleet rollout list` shows the rollouts it knows',
      context: { rolloutId: id },
    });
  }
  return snap;
}

function listColumns(now: number): TableColumn<RolloutRow>[] {
  return [
    { header: 'ROLLOUT', cell: (r) => r.rolloutId, min: 12, priority: 0 },
    { header: 'CHANNEL', cell: (r) => r.channel, min: 7, priority: 2 },
    {
      header: 'STATE',
      cell: (r) => r.state,
      min: 8,
      priority: 0,
      color: (r) =>
        FAILED_ROLLOUT_STATES.has(r.state) ? 'red' : r.state === 'Terminal' ? 'green' : undefined,
    },
    { header: 'WAVE', cell: waveText, min: 4, priority: 1 },
    { header: 'PROGRESS', cell: progressText, min: 8, priority: 1 },
    {
      header: 'OPENED',
      cell: (r) => {
        const at = r.openedAt === null ? null : parseTimestamp(r.openedAt);
        return at === null ? '—' : `${formatAge(now - at)} ago`;
      },
      min: 6,
      priority: 3,
    },
  ];
}

/** `rollout list`. */
async function listCommand(
  ctx: OperatorCtx,
  opts: ClientFlags & { json?: boolean; color?: boolean },
): Promise<ExitCode> {
  return runWithClient(ctx, 'rollout list', opts, async (client) => {
    const doc = await client.rollouts();
    const code = doc.rollouts.some((r) => FAILED_ROLLOUT_STATES.has(r.state))
      ? EXIT.rejected
      : EXIT.ok;
    if (opts.json) {
      printJson(ctx, doc);
      return code;
    }
    if (doc.rollouts.length === 0) {
      ctx.io.stdout(`No rollouts on ${client.origin} yet.\n`);
      return code;
    }
    const width = viewWidth(ctx);
    const now = ctx.io.now().getTime();
    printView(
      ctx,
      <Table
        columns={listColumns(now)}
        rows={doc.rollouts}
        rowKey={(r) => r.rolloutId}
        width={width}
        color={wantsColor(ctx, opts.color)}
      />,
      width,
    );
    return code;
  });
}

/** `rollout hosts <id>`. */
async function hostsCommand(
  ctx: OperatorCtx,
  id: string,
  opts: ClientFlags & { json?: boolean; color?: boolean },
): Promise<ExitCode> {
  return runWithClient(ctx, 'rollout hosts', opts, async (client) => {
    const snap = await requireRollout(client, id, ctx.io.now);
    const lines = rolloutHostLines(snap);
    const code = rolloutExitCode(snap.rollout?.state);
    if (opts.json) {
      printJson(ctx, { rolloutId: id, state: snap.rollout?.state, hosts: lines });
      return code;
    }
    const width = viewWidth(ctx);
    ctx.io.stdout(`${id}  ${snap.rollout?.state ?? ''}\n`);
    printView(
      ctx,
      <Table
        columns={ROLLOUT_HOST_COLUMNS}
        rows={lines}
        rowKey={(l) => l.hostname}
        width={width}
        color={wantsColor(ctx, opts.color)}
      />,
      width,
    );
    return code;
  });
}

/** `rollout trace <id>`. */
async function traceCommand(
  ctx: OperatorCtx,
  id: string,
  opts: ClientFlags & { json?: boolean },
): Promise<ExitCode> {
  return runWithClient(ctx, 'rollout trace', opts, async (client) => {
    const trace = await client.rolloutTrace(checkRolloutId(id));
    if (opts.json) {
      printJson(ctx, trace);
      return EXIT.ok;
    }
    for (const d of trace.decisions) {
      const subject = d.host ?? (d.wave !== null ? `wave ${d.wave}` : d.channel);
      ctx.io.stdout(
        `${d.ts}  ${d.decision.padEnd(8)}  ${d.code.padEnd(24)}  ${subject}  ${d.reason}\n`,
      );
    }
    if (trace.decisions.length === 0) ctx.io.stdout('(no decisions recorded)\n');
    // The probe_failures view, history included: what each failing evidence probe named.
    const failures = trace.probeFailures ?? [];
    if (failures.length > 0) ctx.io.stdout('\nprobe failures, oldest first:\n');
    for (const f of failures) {
      const where = [f.framework, f.article].filter((x) => x !== null).join(' ');
      const control = f.controlId === null ? '—' : `${f.controlId}${where ? ` (${where})` : ''}`;
      ctx.io.stdout(
        `${f.observedAt}  ${f.hostname}  ${f.probe}  ${control}${f.reason ? `  ${f.reason}` : ''}\n`,
      );
    }
    return EXIT.ok;
  });
}

type RolloutEvent = ApiRolloutEvents['events'][number];

/**
 * One event as a line: `#42  2026-05-16T01:27:05Z  web-01  ActivationComplete  {…}`.
 *
 * @example formatEvent(e)
 */
export function formatEvent(e: RolloutEvent, open = false): string {
  const payload = JSON.stringify(e.payload);
  const body = payload === '{}' || payload === undefined ? '' : `  ${payload}`;
  return `#${e.seq}  ${e.at}  ${e.hostname ?? '-'}  ${e.kind}${body}${open ? '  <open>' : ''}`;
}

/** A host's dispatch is resolved by one of these (the CP logs them as `Remote<Kind>`). */
const RESOLVES_DISPATCH = new Set([
  'Converged',
  'Failed',
  'RollbackComplete',
  'DispatchReject',
  'ActivationFailed',
]);
/** What opens a dispatch in the log: the CP issuing it, or the agent acknowledging it. */
const OPENS_DISPATCH = new Set(['DispatchIssued', 'DispatchAck']);

/**
 * Sequence numbers of the dispatch events still unresolved at the end of `events` (the
 * `<open>` markers): per host, the first issue/ack after its last resolution, when no
 * resolution follows it. A deferred activation (pending reboot) stays open.
 *
 * @example openDispatches(doc.events).has(42)
 */
export function openDispatches(events: readonly RolloutEvent[]): ReadonlySet<number> {
  const openOf = new Map<string, number>();
  for (const e of events) {
    if (e.hostname === null) continue;
    const kind = e.kind.startsWith('Remote') ? e.kind.slice('Remote'.length) : e.kind;
    if (OPENS_DISPATCH.has(kind)) {
      if (!openOf.has(e.hostname)) openOf.set(e.hostname, e.seq);
    } else if (RESOLVES_DISPATCH.has(kind)) openOf.delete(e.hostname);
  }
  return new Set(openOf.values());
}

interface EventsOptions extends ClientFlags {
  readonly json?: boolean;
  readonly follow?: boolean;
  readonly after?: string;
  readonly interval?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `rollout events <id> [--follow]`. */
async function eventsCommand(ctx: OperatorCtx, id: string, opts: EventsOptions): Promise<ExitCode> {
  return runWithClient(ctx, 'rollout events', opts, async (client) => {
    checkRolloutId(id);
    let after = opts.after === undefined ? undefined : Number(opts.after);
    if (after !== undefined && (!Number.isSafeInteger(after) || after < 0)) {
      throw new CliError(
        'CLI_ERR_USAGE',
        `--after: ${JSON.stringify(opts.after)} is not a sequence number`,
      );
    }
    const intervalMs = durationFlag(flagOf(ROLLOUT_EVENTS, 'interval'), opts.interval);
    const print = (events: readonly RolloutEvent[]): void => {
      for (const e of events) {
        ctx.io.stdout(opts.json && opts.follow ? `${JSON.stringify(e)}\n` : `${formatEvent(e)}\n`);
        after = Math.max(after ?? 0, e.seq);
      }
    };
    const first = await client.rolloutEvents(id, after === undefined ? {} : { after });
    if (!opts.follow) {
      if (opts.json) printJson(ctx, first);
      else {
        const open = openDispatches(first.events);
        for (const e of first.events) ctx.io.stdout(`${formatEvent(e, open.has(e.seq))}\n`);
      }
      return EXIT.ok;
    }
    print(first.events);
    // Follow until the rollout has ended, then report how it ended.
    for (;;) {
      const rollout = (await client.rollouts()).rollouts.find((r) => r.rolloutId === id);
      if (rollout === undefined) {
        throw new CliError('CLI_ERR_ROLLOUT_UNKNOWN', `${client.origin} knows no rollout ${id}`);
      }
      const ended = ENDED_ROLLOUT_STATES.has(rollout.state);
      print((await client.rolloutEvents(id, after === undefined ? {} : { after })).events);
      if (ended) {
        ctx.io.stderr(`nixfleet rollout events: ${id} ended: ${rollout.state}`);
        return rolloutExitCode(rollout.state);
      }
      await sleep(intervalMs);
    }
  });
}

/**
 * Adds `rollout list|hosts|events|trace` and the actions.
 *
 * @example registerRollout(program, ctx)
 */
export function registerRollout(program: Command, ctx: OperatorCtx): void {
  const rollout = program
    .command('rollout')
    .description('rollouts: list, hosts, events, trace; pause, resume, abort, approve, clear');
  addFlags(
    rollout
      .command('list')
      .description('rollouts the CP knows, newest first (exit 1 when one failed or reverted)'),
    ROLLOUT_LIST,
  ).action(async (o: ClientFlags & { json?: boolean; color?: boolean }) =>
    ctx.setExit(await listCommand(ctx, o)),
  );
  addFlags(
    rollout
      .command('hosts')
      .description(
        'one row per host of the rollout channel: state, time in state, why (exit 1 when the rollout failed)',
      )
      .argument('<rollout-id>', 'e.g. stable@3f2a9c1d'),
    ROLLOUT_HOSTS,
  ).action(async (id: string, o: ClientFlags & { json?: boolean; color?: boolean }) =>
    ctx.setExit(await hostsCommand(ctx, id, o)),
  );
  addFlags(
    rollout
      .command('events')
      .description('the rollout event log, oldest first; --follow streams until the rollout ends')
      .argument('<rollout-id>', 'e.g. stable@3f2a9c1d'),
    ROLLOUT_EVENTS,
  ).action(async (id: string, o: EventsOptions) => ctx.setExit(await eventsCommand(ctx, id, o)));
  addFlags(
    rollout
      .command('trace')
      .description("the planner's recent decisions for the rollout, with reasons, newest first")
      .argument('<rollout-id>', 'e.g. stable@3f2a9c1d'),
    ROLLOUT_TRACE,
  ).action(async (id: string, o: ClientFlags & { json?: boolean }) =>
    ctx.setExit(await traceCommand(ctx, id, o)),
  );
  registerRolloutActions(rollout, ctx);
}
