// `nixfleet rollout pause|resume|abort|approve|clear <rollout-id | --channel c>
// --reason "…"`: the operator actions. The CP decides from the signed fleet
// whether this certificate may act (docs/operators.md); the CLI checks the
// arguments, sends one request and prints what the CP recorded. A repeated
// action is not an error: the CP answers "already" and the exit code is 0.
import type { Command } from 'commander';
import type { ApiRolloutAction } from '../../contracts/index.ts';
import { CliError } from '../errors.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import {
  printJson,
  runWithClient,
  type ClientFlags,
  type OperatorCtx,
} from './operator-context.ts';
import { checkRolloutId } from './rollout-id.ts';
import { rolloutAction } from '../flags/fleet.ts';
import { addFlags } from '../flags/table.ts';

type Action = ApiRolloutAction['action'];

/** Each action, with its one-line help. */
const ACTIONS: readonly (readonly [Action, string])[] = [
  ['pause', 'withhold promotion and new dispatch; hosts in flight finish (operator, admin)'],
  ['resume', 'lift a pause (operator, admin)'],
  ['abort', 'end the rollout for good: nothing more is dispatched (admin)'],
  ['approve', 'let a wave whose signed policy says approval = "manual" start (operator, admin)'],
  ['clear', 'clear a Failed or Reverted rollout whose signed policy allows it (admin)'],
];

/** Longest reason the CP accepts (ts/core/rollout/operator.ts MAX_REASON_CHARS). */
const MAX_REASON = 500;

interface ActionFlags extends ClientFlags {
  readonly channel?: string;
  readonly reason?: string;
  readonly json?: boolean;
}

function targetOf(
  id: string | undefined,
  opts: ActionFlags,
): { readonly rolloutId: string } | { readonly channel: string } {
  if ((id === undefined) === (opts.channel === undefined)) {
    throw new CliError('CLI_ERR_USAGE', 'name exactly one of <rollout-id> or --channel <name>', {
      hint: 'e.g. `nixfleet rollout pause stable@3f2a9c1d --reason "db migration"` or `--channel stable`',
    });
  }
  if (id !== undefined) return { rolloutId: checkRolloutId(id) };
  const channel = opts.channel as string;
  if (!/^[a-z0-9_-]{1,64}$/.test(channel)) {
    throw new CliError('CLI_ERR_USAGE', `${JSON.stringify(channel)} is not a channel name`);
  }
  return { channel };
}

function reasonOf(opts: ActionFlags): string {
  const reason = opts.reason ?? '';
  if (reason.trim() === '') {
    throw new CliError('CLI_ERR_USAGE', 'a reason is required: --reason "…"', {
      hint: 'it is kept in the event log and shown in every view (who paused, and why)',
    });
  }
  if (reason.length > MAX_REASON) {
    throw new CliError('CLI_ERR_USAGE', `--reason is longer than ${MAX_REASON} characters`);
  }
  return reason;
}

/** One action: exit 0 when recorded or already in force, 4 when the CP refused it. */
async function actionCommand(
  ctx: OperatorCtx,
  action: Action,
  id: string | undefined,
  opts: ActionFlags,
): Promise<ExitCode> {
  return runWithClient(ctx, `rollout ${action}`, opts, async (client) => {
    const target = targetOf(id, opts);
    const reason = reasonOf(opts);
    const answer = await client.rolloutAction(target, { action, reason });
    if (opts.json) {
      printJson(ctx, answer);
      return EXIT.ok;
    }
    const s = answer.state;
    const detail =
      s === null || s === undefined
        ? ''
        : `  (${s.rollout}, wave ${s.currentWave}${s.paused ? `, paused by ${s.paused.by}` : ''}${s.aborted ? `, aborted by ${s.aborted.by}` : ''})`;
    ctx.io.stdout(`${answer.message ?? `${action} recorded`}${detail}\n`);
    return EXIT.ok;
  });
}

/**
 * Adds `rollout pause|resume|abort|approve|clear` under `rollout`.
 *
 * @example registerRolloutActions(rollout, ctx)
 */
export function registerRolloutActions(rollout: Command, ctx: OperatorCtx): void {
  for (const [action, help] of ACTIONS) {
    addFlags(
      rollout
        .command(action)
        .description(help)
        .argument('[rollout-id]', 'e.g. stable@3f2a9c1d (or --channel)'),
      rolloutAction(action),
    ).action(async (id: string | undefined, o: ActionFlags) =>
      ctx.setExit(await actionCommand(ctx, action, id, o)),
    );
  }
}
