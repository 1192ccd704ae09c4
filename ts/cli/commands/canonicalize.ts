// `nixfleet canonicalize`: stdin → RFC 8785 canonical JSON on stdout, no
// trailing newline (cat-style, for sign hooks and tests). Exit 0 ok, 1 input is
// not (I-)JSON, 2 I/O error. Same implementation as every signer and verifier.
import type { Command } from 'commander';
import { canonicalizeText, decodeUtf8Strict } from '../../trust/index.ts';
import type { CliIo } from '../io.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';

/**
 * Runs the command on already-read input; returns the exit code.
 *
 * @example
 *   await canonicalizeCommand(io) // 0
 */
export async function canonicalizeCommand(io: CliIo): Promise<ExitCode> {
  let input: Uint8Array;
  try {
    input = await io.readStdin();
  } catch (e) {
    io.stderr(`nixfleet canonicalize: cannot read stdin: ${(e as Error).message}`);
    return EXIT.error;
  }
  const text = decodeUtf8Strict(input);
  if (text === null) {
    io.stderr('nixfleet canonicalize: input is not valid UTF-8');
    return EXIT.rejected;
  }
  const r = canonicalizeText(text);
  if (!r.ok) {
    io.stderr(`nixfleet canonicalize: ${r.error.code}: ${r.error.message}`);
    return EXIT.rejected;
  }
  io.stdout(r.value);
  return EXIT.ok;
}

/**
 * Adds `canonicalize` to the program; the action stores its exit code.
 *
 * @example
 *   registerCanonicalize(program, { io, setExit: (c) => (code = c) });
 */
export function registerCanonicalize(
  program: Command,
  ctx: { readonly io: CliIo; readonly setExit: (code: ExitCode) => void },
): void {
  program
    .command('canonicalize')
    .description(
      'read JSON on stdin, write its RFC 8785 canonical form to stdout (exit 0 ok, 1 parse error, 2 I/O)',
    )
    .action(async () => ctx.setExit(await canonicalizeCommand(ctx.io)));
}
