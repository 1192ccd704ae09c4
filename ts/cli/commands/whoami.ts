// `nixfleet whoami`: the identity the control plane derives from the
// operator's client certificate (GET /v1/whoami) — the quickest check that
// config, CA, certificate and key line up. Exit 0, or 3/4/5 like every CP call.
import type { Command } from 'commander';
import { WHOAMI } from '../flags/fleet.ts';
import { addFlags } from '../flags/table.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import {
  printJson,
  runWithClient,
  type ClientFlags,
  type OperatorCtx,
} from './operator-context.ts';

/**
 * Runs `nixfleet whoami`.
 *
 * @example await whoamiCommand(ctx, { json: true })
 */
export async function whoamiCommand(
  ctx: OperatorCtx,
  opts: ClientFlags & { json?: boolean },
): Promise<ExitCode> {
  return runWithClient(ctx, 'whoami', opts, async (client) => {
    const me = await client.whoami();
    if (opts.json) printJson(ctx, me);
    else
      ctx.io.stdout(
        `${me.cn} (${me.role}) on ${client.origin}, certificate valid until ${me.notAfter}\n`,
      );
    return EXIT.ok;
  });
}

/**
 * Adds `whoami`.
 *
 * @example registerWhoami(program, ctx)
 */
export function registerWhoami(program: Command, ctx: OperatorCtx): void {
  addFlags(
    program.command('whoami').description('the identity the CP sees in your client certificate'),
    WHOAMI,
  ).action(async (o: ClientFlags & { json?: boolean }) => ctx.setExit(await whoamiCommand(ctx, o)));
}
