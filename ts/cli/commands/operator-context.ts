// What the operator commands (status, rollout, watch, config, tokens, certs)
// receive from main.ts, and the plumbing they share: the client flags, the
// config → client path, error reporting (views/print-view.ts prints a view as
// text; Ink loads only for the commands that draw one). Only
// main.ts builds the context from the process; commands never read
// process.env, process.stdout or the working directory themselves.
import isInCi from 'is-in-ci';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { CpClient } from '../client/cp-client.ts';
import { H2Transport } from '../client/h2-transport.ts';
import { resolveClientConfig, type ResolvedClientConfig } from '../config/resolve.ts';
import { INTERVAL } from '../flags/fleet.ts';
import { CLIENT_TIMEOUT, durationFlag } from '../flags/table.ts';
import { exitCodeFor, formatCliError, isCliError } from '../errors.ts';
import type { CliIo } from '../io.ts';
import type { ExitCode } from './exit-codes.ts';

/** The interactive terminal, present only when stdout is a TTY. */
export interface Terminal {
  readonly stdout: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;
  readonly stderr: NodeJS.WriteStream;
  /** Width in columns. */
  readonly columns: number;
  /** Whether stdin is a TTY too (keyboard input for the live views). */
  readonly stdinIsTTY: boolean;
}

/** Context of an operator command. */
export interface OperatorCtx {
  readonly io: CliIo;
  readonly setExit: (code: ExitCode) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Base of relative paths given as flags or env. */
  readonly cwd: string;
  /**
   * Null when stdout is not a TTY, or when the environment says it is a CI job (CI /
   * CONTINUOUS_INTEGRATION): commands then print plain text. Ink paints only the final frame
   * under CI, so a live view there would show nothing until it ends; plain text follows.
   */
  readonly terminal: Terminal | null;
}

/** The process's environment, directory and terminal (main.ts only). */
export function processOperatorEnvironment(): Pick<OperatorCtx, 'env' | 'cwd' | 'terminal'> {
  const out = process.stdout;
  return {
    env: process.env,
    cwd: process.cwd(),
    terminal:
      out.isTTY && !isInCi
        ? {
            stdout: out,
            stdin: process.stdin,
            stderr: process.stderr,
            columns: out.columns > 0 ? out.columns : 80,
            stdinIsTTY: process.stdin.isTTY === true,
          }
        : null,
  };
}

/** Version of this CLI (sent to the CP as X-Nixfleet-Cli-Version). */
export const CLI_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** Flags every CP-facing command takes. */
export interface ClientFlags {
  readonly config?: string;
  readonly cpUrl?: string;
  readonly caCert?: string;
  readonly clientCert?: string;
  readonly clientKey?: string;
  readonly timeout?: string;
  /**
   * The poll interval of a command that refreshes (`status --watch`, `watch`,
   * `rollout events --follow`); like --timeout, checked before anything is
   * read or connected.
   */
  readonly interval?: string;
}

/**
 * Resolves the client settings from flags, env and the config file.
 *
 * @example const cfg = resolveFromFlags(ctx, opts);
 */
export function resolveFromFlags(ctx: OperatorCtx, flags: ClientFlags): ResolvedClientConfig {
  return resolveClientConfig({
    flags: {
      cpUrl: flags.cpUrl,
      caCert: flags.caCert,
      clientCert: flags.clientCert,
      clientKey: flags.clientKey,
    },
    configFlag: flags.config,
    env: ctx.env,
    cwd: ctx.cwd,
  });
}

/**
 * Runs `fn` with a connected client; config problems, transport failures and
 * off-contract answers become their exit codes with a message on stderr.
 *
 * @example return runWithClient(ctx, 'status', opts, async (client) => …);
 */
export async function runWithClient(
  ctx: OperatorCtx,
  command: string,
  flags: ClientFlags,
  fn: (client: CpClient, config: ResolvedClientConfig) => Promise<ExitCode>,
): Promise<ExitCode> {
  let client: CpClient | null = null;
  try {
    const timeoutMs = durationFlag(CLIENT_TIMEOUT, flags.timeout);
    if (flags.interval !== undefined) durationFlag(INTERVAL(''), flags.interval);
    const config = resolveFromFlags(ctx, flags);
    client = new CpClient(new H2Transport({ ...config, timeoutMs, version: CLI_VERSION }));
    return await fn(client, config);
  } catch (e) {
    return reportError(ctx, command, e);
  } finally {
    client?.close();
  }
}

/**
 * Prints a CliError and returns its exit code; anything else is a bug and
 * is rethrown (main.ts reports it as an internal error).
 *
 * @example catch (e) { return reportError(ctx, 'mint-token', e); }
 */
export function reportError(ctx: OperatorCtx, command: string, e: unknown): ExitCode {
  if (isCliError(e)) {
    ctx.io.stderr(formatCliError(command, e));
    return exitCodeFor(e);
  }
  throw e;
}

/** Whether views use colour: a TTY, no --no-color, no NO_COLOR. */
export function wantsColor(ctx: OperatorCtx, flag: boolean | undefined): boolean {
  return ctx.terminal !== null && flag !== false && (ctx.env['NO_COLOR'] ?? '') === '';
}

/**
 * Width to lay out for: the terminal's, else $COLUMNS, else 200 (plain text
 * for pipes should not be cut).
 */
export function viewWidth(ctx: OperatorCtx): number {
  if (ctx.terminal !== null) return ctx.terminal.columns;
  const cols = Number(ctx.env['COLUMNS']);
  return Number.isInteger(cols) && cols >= 20 ? cols : 200;
}

/** What {@link followPlain} needs: a first snapshot, how to load the next, how to print one. */
export interface PlainFollow<S extends { readonly now: number }> {
  readonly initial: S;
  readonly load: () => Promise<S>;
  readonly frame: (s: S) => void;
  readonly intervalMs: number;
  /** Stop once this holds (never, when absent: the caller is interrupted instead). */
  readonly isDone?: (s: S) => boolean;
  /** Written between frames (default: a blank line). */
  readonly separator?: string;
}

/**
 * The non-TTY form of a live view (pipes, CI logs): prints a frame now and again whenever
 * the content changes — ages computed from `now` alone are not a change, so a quiet fleet
 * prints nothing. Returns the last snapshot once `isDone` holds; a failed load throws.
 *
 * @example await followPlain(ctx, { initial, load, frame, intervalMs: 2000, isDone })
 */
export async function followPlain<S extends { readonly now: number }>(
  ctx: OperatorCtx,
  f: PlainFollow<S>,
): Promise<S> {
  const done = f.isDone ?? ((): boolean => false);
  let snap = f.initial;
  f.frame(snap);
  while (!done(snap)) {
    await new Promise((r) => setTimeout(r, f.intervalMs));
    const next = await f.load();
    if (!isDeepStrictEqual({ ...next, now: 0 }, { ...snap, now: 0 })) {
      const sep = f.separator ?? '\n';
      if (sep !== '') ctx.io.stdout(sep);
      f.frame(next);
    }
    snap = next;
  }
  return snap;
}

/** Prints a value as pretty JSON (for `--json`). */
export function printJson(ctx: OperatorCtx, value: unknown): void {
  ctx.io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
