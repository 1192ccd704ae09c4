// The CLI's window on the outside world. Commands receive a CliIo instead of
// touching process or the file system, so main.ts alone owns argv, env and
// exit codes (STYLE.md rule 2), and tests can run a command in-process.
import { readFile } from 'node:fs/promises';

/** Everything a command may do besides pure computation. */
export interface CliIo {
  /** Writes to standard output (exact bytes for `canonicalize`). */
  readonly stdout: (chunk: string | Uint8Array) => void;
  /** Writes a human message to standard error. */
  readonly stderr: (text: string) => void;
  /**
   * Redraws one transient status line on standard error (`null` clears it);
   * present only when standard error is a terminal.
   */
  readonly statusLine?: ((text: string | null) => void) | undefined;
  /** Reads all of standard input. */
  readonly readStdin: () => Promise<Uint8Array>;
  /** Reads a whole file. */
  readonly readFile: (path: string) => Promise<Uint8Array>;
  /** The current time (the CLI is a shell: it may read the clock; the verifiers may not). */
  readonly now: () => Date;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * The real process I/O.
 *
 * @example
 *   const code = await runCli(process.argv.slice(2), processIo());
 */
export function processIo(): CliIo {
  return {
    stdout: (chunk) => void process.stdout.write(chunk),
    stderr: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    // \r and "erase line" (ESC [2K) redraw in place; only on a terminal.
    statusLine: process.stderr.isTTY
      ? (text) => void process.stderr.write(text === null ? '\r\x1b[2K' : `\r\x1b[2K${text}`)
      : undefined,
    readStdin: () => readAll(process.stdin),
    readFile: async (path) => new Uint8Array(await readFile(path)),
    now: () => new Date(),
  };
}
