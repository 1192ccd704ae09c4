// `nixfleet keygen` and `nixfleet sign`: dev signing for releases. `sign` is
// usable as a `--sign-cmd` hook: it reads NIXFLEET_INPUT and writes the raw
// 64-byte signature to NIXFLEET_OUTPUT (Boundary contracts §I.1). Production
// fleets sign with a TPM, YubiKey or KMS through the same hook (docs/release.md).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  encodeBase64,
  exportPkcs8Pem,
  generatePrivateKey,
  isSignatureAlgorithm,
  parsePrivateKey,
  signBytes,
} from '../../trust/index.ts';
import type { CliIo } from '../io.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { KEYGEN, SIGN } from '../flags/keys.ts';
import { addFlags } from '../flags/table.ts';

interface Ctx {
  readonly io: CliIo;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly setExit: (code: ExitCode) => void;
}

/**
 * Generates a private key (PKCS#8 PEM, mode 0600) and prints the trust.json
 * entry of its public half.
 */
export function keygenCommand(
  io: CliIo,
  opts: { out: string; algorithm: string; force: boolean },
): ExitCode {
  if (!isSignatureAlgorithm(opts.algorithm)) {
    io.stderr(
      `nixfleet keygen: --algorithm must be ed25519 or ecdsa-p256, got ${JSON.stringify(opts.algorithm)}`,
    );
    return EXIT.error;
  }
  if (existsSync(opts.out) && !opts.force) {
    io.stderr(
      `nixfleet keygen: ${opts.out} exists; refusing to overwrite a key (pass --force to replace it)`,
    );
    return EXIT.error;
  }
  const key = generatePrivateKey(opts.algorithm);
  try {
    writeFileSync(opts.out, exportPkcs8Pem(key), { mode: 0o600 });
  } catch (e) {
    io.stderr(`nixfleet keygen: cannot write ${opts.out}: ${(e as Error).message}`);
    return EXIT.error;
  }
  io.stdout(
    `${JSON.stringify({ algorithm: key.algorithm, public: encodeBase64(key.publicKey.raw) })}\n`,
  );
  return EXIT.ok;
}

/** Signs the bytes of one file with a key file; writes the raw signature. */
export function signCommand(
  io: CliIo,
  opts: { key: string; input?: string; output?: string; algorithm?: string },
): ExitCode {
  if (!opts.input || !opts.output) {
    io.stderr(
      'nixfleet sign: no input/output: pass --input and --output, or run as a --sign-cmd hook (NIXFLEET_INPUT, NIXFLEET_OUTPUT)',
    );
    return EXIT.error;
  }
  if (opts.algorithm !== undefined && !isSignatureAlgorithm(opts.algorithm)) {
    io.stderr(`nixfleet sign: --algorithm must be ed25519 or ecdsa-p256`);
    return EXIT.error;
  }
  let keyBytes: Uint8Array;
  let input: Uint8Array;
  try {
    keyBytes = new Uint8Array(readFileSync(opts.key));
    input = new Uint8Array(readFileSync(opts.input));
  } catch (e) {
    io.stderr(`nixfleet sign: ${(e as Error).message}`);
    return EXIT.error;
  }
  const key = parsePrivateKey(
    keyBytes,
    opts.algorithm ? { algorithm: opts.algorithm as 'ed25519' | 'ecdsa-p256' } : {},
  );
  if (!key.ok) {
    io.stderr(`nixfleet sign: ${opts.key}: ${key.error.message}`);
    return EXIT.error;
  }
  try {
    writeFileSync(opts.output, signBytes(input, key.value), { mode: 0o644 });
  } catch (e) {
    io.stderr(`nixfleet sign: cannot write ${opts.output}: ${(e as Error).message}`);
    return EXIT.error;
  }
  return EXIT.ok;
}

/** Adds `keygen` and `sign`. */
export function registerKeys(program: Command, ctx: Ctx): void {
  addFlags(
    program
      .command('keygen')
      .description(
        'generate a signing key (PKCS#8 PEM, mode 0600) and print its trust.json public key entry',
      ),
    KEYGEN,
  ).action((o: { out: string; algorithm: string; force: boolean }) =>
    ctx.setExit(keygenCommand(ctx.io, o)),
  );
  addFlags(
    program
      .command('sign')
      .description(
        'sign a file with a key file, writing the raw signature; usable as --sign-cmd "nixfleet sign --key ci.key"',
      ),
    SIGN,
  ).action((o: { key: string; input?: string; output?: string; algorithm?: string }) =>
    ctx.setExit(
      signCommand(ctx.io, {
        ...o,
        input: o.input ?? ctx.env['NIXFLEET_INPUT'],
        output: o.output ?? ctx.env['NIXFLEET_OUTPUT'],
      }),
    ),
  );
}
