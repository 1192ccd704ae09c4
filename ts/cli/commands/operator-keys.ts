// `nixfleet derive-pubkey` (the public half of a private key, for trust.json
// or a host's declared pubkey) and `nixfleet mint-operator-cert` (an ed25519
// operator key and its clientAuth certificate from the fleet CA). Keys are
// parsed by ts/trust; nothing here implements cryptography.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  encodeBase64,
  exportPkcs8Pem,
  formatOpenSshPublicKey,
  generatePrivateKey,
  parsePrivateKey,
} from '../../trust/index.ts';
import { absolutePath } from '../config/config-file.ts';
import { DERIVE_PUBKEY, MINT_OPERATOR_CERT, PUBKEY_FORMATS as FORMATS } from '../flags/keys.ts';
import { addFlags, durationFlag, flagOf } from '../flags/table.ts';
import { CliError } from '../errors.ts';
import { issueOperatorCert } from '../pki/operator-cert.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { reportError, type OperatorCtx } from './operator-context.ts';

function read(ctx: OperatorCtx, path: string, flag: string): Uint8Array {
  const p = absolutePath(path, ctx.cwd, ctx.env['HOME']);
  try {
    return new Uint8Array(readFileSync(p));
  } catch (e) {
    throw new CliError('CLI_ERR_KEY', `${flag} ${p}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Prints the public key of a private key file: base64 of the raw key
 * (default), the OpenSSH line, the SHA-256 fingerprint, or the trust.json
 * `{ algorithm, public }` entry.
 *
 * @example deriveCommand(ctx, { key: '/run/agenix/org-root-key', format: 'trust-json' })
 */
export function deriveCommand(
  ctx: OperatorCtx,
  o: { readonly key: string; readonly format: string; readonly algorithm?: string },
): ExitCode {
  try {
    if (!(FORMATS as readonly string[]).includes(o.format)) {
      throw new CliError('CLI_ERR_USAGE', `--format must be one of ${FORMATS.join(', ')}`);
    }
    if (o.algorithm !== undefined && o.algorithm !== 'ed25519' && o.algorithm !== 'ecdsa-p256') {
      throw new CliError('CLI_ERR_USAGE', '--algorithm must be ed25519 or ecdsa-p256');
    }
    const key = parsePrivateKey(
      read(ctx, o.key, '--key'),
      o.algorithm ? { algorithm: o.algorithm } : {},
    );
    if (!key.ok) throw new CliError('CLI_ERR_KEY', `--key ${o.key}: ${key.error.message}`);
    const pub = key.value.publicKey;
    let out: string;
    if (o.format === 'openssh') {
      if (pub.algorithm !== 'ed25519')
        throw new CliError('CLI_ERR_KEY', 'only ed25519 keys have an OpenSSH host-key form');
      out = formatOpenSshPublicKey(pub.raw);
    } else if (o.format === 'fingerprint') out = pub.fingerprint;
    else if (o.format === 'trust-json')
      out = JSON.stringify({ algorithm: pub.algorithm, public: encodeBase64(pub.raw) });
    else out = encodeBase64(pub.raw);
    ctx.io.stdout(`${out}\n`);
    return EXIT.ok;
  } catch (e) {
    return reportError(ctx, 'derive-pubkey', e);
  }
}

/** Options of {@link mintOperatorCertCommand}. */
export interface MintOperatorCertOptions {
  readonly caCert: string;
  readonly caKey: string;
  readonly name: string;
  readonly outCert: string;
  readonly outKey: string;
  readonly validity?: string;
  readonly force?: boolean;
}

/**
 * Writes an operator key (PKCS#8, 0600) and its certificate.
 *
 * @example await mintOperatorCertCommand(ctx, { caCert, caKey, name: 'alice', outCert: 'op.pem', outKey: 'op.key' })
 */
export async function mintOperatorCertCommand(
  ctx: OperatorCtx,
  o: MintOperatorCertOptions,
): Promise<ExitCode> {
  try {
    // A usage error before any file is looked at (docs/operators.md "Durations").
    const validityMs = durationFlag(flagOf(MINT_OPERATOR_CERT, 'validity'), o.validity);
    const home = ctx.env['HOME'];
    const outCert = absolutePath(o.outCert, ctx.cwd, home);
    const outKey = absolutePath(o.outKey, ctx.cwd, home);
    for (const p of [outCert, outKey]) {
      if (existsSync(p) && !o.force) {
        throw new CliError('CLI_ERR_USAGE', `${p} exists; not overwriting it`, {
          hint: 'pass --force to replace it',
        });
      }
    }
    const key = generatePrivateKey('ed25519');
    const cert = await issueOperatorCert({
      caCertPem: Buffer.from(read(ctx, o.caCert, '--ca-cert')).toString('utf8'),
      caKeyPem: Buffer.from(read(ctx, o.caKey, '--ca-key')).toString('utf8'),
      name: o.name,
      key,
      now: ctx.io.now(),
      validityMs,
    });
    try {
      writeFileSync(outKey, exportPkcs8Pem(key), { mode: 0o600 });
      writeFileSync(outCert, cert.certPem, { mode: 0o644 });
    } catch (e) {
      throw new CliError(
        'CLI_ERR_KEY',
        `cannot write the certificate or key: ${(e as Error).message}`,
        { cause: e },
      );
    }
    ctx.io.stderr(
      `nixfleet mint-operator-cert: ${cert.subject} serial ${cert.serial}, valid until ${cert.notAfter.toISOString()}\n` +
        `  cert ${outCert}\n  key  ${outKey} (mode 0600)\n` +
        `  next: nixfleet config init --cp-url https://… --ca-cert ${o.caCert} --client-cert ${outCert} --client-key ${outKey}`,
    );
    return EXIT.ok;
  } catch (e) {
    return reportError(ctx, 'mint-operator-cert', e);
  }
}

/**
 * Adds `derive-pubkey` and `mint-operator-cert`.
 *
 * @example registerOperatorKeys(program, ctx)
 */
export function registerOperatorKeys(program: Command, ctx: OperatorCtx): void {
  addFlags(
    program
      .command('derive-pubkey')
      .description('print the public key of a private key file (base64 raw by default)'),
    DERIVE_PUBKEY,
  ).action((o: { key: string; format: string; algorithm?: string }) =>
    ctx.setExit(deriveCommand(ctx, o)),
  );
  addFlags(
    program
      .command('mint-operator-cert')
      .description(
        'mint an operator key and clientAuth certificate (CN=operator:<name>) from the fleet CA',
      ),
    MINT_OPERATOR_CERT,
  ).action(async (o: MintOperatorCertOptions) =>
    ctx.setExit(await mintOperatorCertCommand(ctx, o)),
  );
}
