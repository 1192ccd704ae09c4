// Test support for the CLI: an in-memory CliIo and a runner for the real
// `bin/nixfleet.mjs` executable as a subprocess.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../../../ts/cli/io.ts';
import { runCli } from '../../../ts/cli/main.ts';

/** Absolute path of the `nixfleet` executable. */
export const NIXFLEET_BIN = fileURLToPath(new URL('../../../bin/nixfleet.mjs', import.meta.url));

/** What a CLI run produced. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the CLI in-process with real file reads, a fixed clock and captured output.
 *
 * @example
 *   const r = await runInProcess(['verify', 'artifact', …]);
 */
export async function runInProcess(
  args: readonly string[],
  options: { readonly stdin?: string | Uint8Array; readonly now?: Date } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (c) => void (stdout += typeof c === 'string' ? c : Buffer.from(c).toString('utf8')),
    stderr: (t) => void (stderr += t.endsWith('\n') ? t : `${t}\n`),
    readStdin: async () => new Uint8Array(Buffer.from(options.stdin ?? '')),
    readFile: async (p) => new Uint8Array(await readFile(p)),
    now: () => options.now ?? new Date('2026-01-15T13:00:00Z'),
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/**
 * Runs `bin/nixfleet.mjs` as a real process.
 *
 * @example
 *   const r = runBinary(['canonicalize'], { stdin: '{"b":1,"a":2}' });
 */
export function runBinary(
  args: readonly string[],
  options: { readonly stdin?: string | Uint8Array } = {},
): CliRun {
  const r = spawnSync(process.execPath, [NIXFLEET_BIN, ...args], {
    input: options.stdin ?? '',
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
