// Runs the real `nixfleet` program in-process with an injected environment
// (no terminal: plain text) or as a subprocess, for the operator command tests.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { NIXFLEET_BIN } from './cli-kit.ts';
import type { CliIo } from '../../../ts/cli/io.ts';
import { runCli } from '../../../ts/cli/main.ts';

/** The clock of in-process runs (fleet-fixtures.ts renders its scenarios at this instant). */
export const DEFAULT_NOW = '2026-05-16T01:30:00Z';

/** What a run produced. */
export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the CLI in-process; the clock is NOW unless given.
 *
 * @example const r = await runOp(['status', '--json'], { env });
 */
export async function runOp(
  args: readonly string[],
  options: {
    readonly env?: Record<string, string | undefined>;
    readonly cwd?: string;
    readonly now?: Date;
  } = {},
): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (c) => void (stdout += typeof c === 'string' ? c : Buffer.from(c).toString('utf8')),
    stderr: (t) => void (stderr += t.endsWith('\n') ? t : `${t}\n`),
    readStdin: async () => new Uint8Array(),
    readFile: async (p) => new Uint8Array(await readFile(p)),
    now: () => options.now ?? new Date(DEFAULT_NOW),
  };
  const code = await runCli(args, io, {
    env: options.env ?? { HOME: '/nonexistent-home' },
    cwd: options.cwd ?? process.cwd(),
    terminal: null,
  });
  return { code, stdout, stderr };
}

/**
 * Runs bin/nixfleet.mjs as a real process (asynchronously, so an in-process
 * test server keeps answering).
 *
 * @example const r = await runProcess(['status'], { env: { ...process.env, HOME: dir } });
 */
export function runProcess(
  args: readonly string[],
  options: { readonly env: NodeJS.ProcessEnv; readonly timeoutMs?: number },
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [NIXFLEET_BIN, ...args], { env: options.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
