// `nixfleet pki init-ca | server-cert | rotate-server-cert`: the fleet CA
// and the CP's TLS server certificate, made where the offline CA key lives.
// The file handling is ts/cli/pki/fleet-pki.ts; the certificates come from
// ts/cp/pki. Operator certificates stay `nixfleet mint-operator-cert`.
import type { Command } from 'commander';
import type { KeyAlgorithm, ServerNames } from '../../cp/pki/authority.ts';
import { absolutePath } from '../config/config-file.ts';
import { PKI_INIT_CA, PKI_ROTATE_SERVER_CERT, PKI_SERVER_CERT } from '../flags/keys.ts';
import { addFlags, durationFlag, flagOf } from '../flags/table.ts';
import { CliError } from '../errors.ts';
import {
  createCaFiles,
  currentServerNames,
  issueServerFiles,
  loadCa,
  refuseExisting,
} from '../pki/fleet-pki.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { reportError, type OperatorCtx } from './operator-context.ts';

function algorithmOf(text: string): KeyAlgorithm {
  if (text === 'ed25519') return 'ed25519';
  if (text === 'ecdsa-p256') return 'p256';
  throw new CliError(
    'CLI_ERR_USAGE',
    `--algorithm must be ed25519 or ecdsa-p256, got ${JSON.stringify(text)}`,
  );
}

/** Options of {@link initCaCommand}. */
export interface InitCaOptions {
  readonly outCert: string;
  readonly outKey: string;
  readonly name: string;
  readonly validity: string;
  readonly algorithm: string;
  readonly force?: boolean;
}

/**
 * Creates the fleet CA (self-signed, key 0600).
 *
 * @example await initCaCommand(ctx, { outCert: 'fleet-ca.pem', outKey: 'fleet-ca.key', name: 'example fleet CA', validity: '3650d', algorithm: 'ed25519' })
 */
export async function initCaCommand(ctx: OperatorCtx, o: InitCaOptions): Promise<ExitCode> {
  try {
    const home = ctx.env['HOME'];
    const cert = absolutePath(o.outCert, ctx.cwd, home);
    const key = absolutePath(o.outKey, ctx.cwd, home);
    const ca = await createCaFiles({
      cert,
      key,
      cn: o.name,
      algorithm: algorithmOf(o.algorithm),
      now: ctx.io.now(),
      validityMs: durationFlag(flagOf(PKI_INIT_CA, 'validity'), o.validity),
      force: o.force === true,
    });
    ctx.io.stderr(
      `nixfleet pki init-ca: ${ca.subject}, valid until ${ca.notAfter.toISOString()}\n` +
        `  cert ${cert}\n  key  ${key} (mode 0600; keep it offline)\n` +
        `  next: nixfleet pki server-cert --ca-cert ${o.outCert} --ca-key ${o.outKey} --dns <cp host name> --out-cert cp-server.pem --out-key cp-server.key`,
    );
    return EXIT.ok;
  } catch (e) {
    return reportError(ctx, 'pki init-ca', e);
  }
}

/** Options of {@link serverCertCommand} and {@link rotateServerCertCommand}. */
export interface ServerCertOptions {
  readonly caCert: string;
  readonly caKey: string;
  /** Repeatable; absent when not given. */
  readonly dns?: readonly string[];
  readonly ip?: readonly string[];
  readonly validity: string;
  readonly algorithm: string;
  readonly force?: boolean;
}

function report(
  ctx: OperatorCtx,
  command: string,
  c: { subject: string; serial: string; notAfter: Date },
  names: ServerNames,
  cert: string,
  key: string,
): void {
  ctx.io.stderr(
    `nixfleet pki ${command}: ${c.subject} serial ${c.serial}, valid until ${c.notAfter.toISOString()}\n` +
      `  names ${[...names.dns, ...names.ips].join(', ')}\n` +
      `  cert ${cert}\n  key  ${key} (mode 0600)\n` +
      `  next: (re)start the control plane with --tls-cert ${cert} --tls-key ${key}`,
  );
}

/**
 * Issues the CP server certificate for the given DNS names and IPs with a new key.
 *
 * @example await serverCertCommand(ctx, { caCert, caKey, dns: ['cp.example.org'], ip: [], outCert, outKey, validity: '365d', algorithm: 'ed25519' })
 */
export async function serverCertCommand(
  ctx: OperatorCtx,
  o: ServerCertOptions & { readonly outCert: string; readonly outKey: string },
): Promise<ExitCode> {
  try {
    // A usage error before any file is looked at (docs/operators.md "Durations").
    const validityMs = durationFlag(flagOf(PKI_SERVER_CERT, 'validity'), o.validity);
    const home = ctx.env['HOME'];
    const cert = absolutePath(o.outCert, ctx.cwd, home);
    const key = absolutePath(o.outKey, ctx.cwd, home);
    refuseExisting([cert, key], o.force === true);
    const names = { dns: [...(o.dns ?? [])], ips: [...(o.ip ?? [])] };
    const issued = await issueServerFiles({
      caCert: absolutePath(o.caCert, ctx.cwd, home),
      caKey: absolutePath(o.caKey, ctx.cwd, home),
      cert,
      key,
      names,
      algorithm: algorithmOf(o.algorithm),
      now: ctx.io.now(),
      validityMs,
    });
    report(ctx, 'server-cert', issued, names, cert, key);
    return EXIT.ok;
  } catch (e) {
    return reportError(ctx, 'pki server-cert', e);
  }
}

/**
 * Re-issues the CP server certificate in place: a new key, the same names
 * as the current certificate (or the ones given), replacing both files.
 *
 * @example await rotateServerCertCommand(ctx, { caCert, caKey, cert: 'cp-server.pem', key: 'cp-server.key', dns: [], ip: [], validity: '365d', algorithm: 'ed25519' })
 */
export async function rotateServerCertCommand(
  ctx: OperatorCtx,
  o: ServerCertOptions & { readonly cert: string; readonly key: string },
): Promise<ExitCode> {
  try {
    const validityMs = durationFlag(flagOf(PKI_ROTATE_SERVER_CERT, 'validity'), o.validity);
    const home = ctx.env['HOME'];
    const cert = absolutePath(o.cert, ctx.cwd, home);
    const key = absolutePath(o.key, ctx.cwd, home);
    const caCert = absolutePath(o.caCert, ctx.cwd, home);
    const caKey = absolutePath(o.caKey, ctx.cwd, home);
    const current = await currentServerNames(cert, await loadCa(caCert, caKey));
    const dns = o.dns ?? [];
    const ip = o.ip ?? [];
    const names = dns.length + ip.length > 0 ? { dns: [...dns], ips: [...ip] } : current;
    const issued = await issueServerFiles({
      caCert,
      caKey,
      cert,
      key,
      names,
      algorithm: algorithmOf(o.algorithm),
      now: ctx.io.now(),
      validityMs,
    });
    report(ctx, 'rotate-server-cert', issued, names, cert, key);
    return EXIT.ok;
  } catch (e) {
    return reportError(ctx, 'pki rotate-server-cert', e);
  }
}

/**
 * Adds `pki init-ca`, `pki server-cert` and `pki rotate-server-cert`.
 *
 * @example registerPki(program, ctx)
 */
export function registerPki(program: Command, ctx: OperatorCtx): void {
  const pki = program
    .command('pki')
    .description('the fleet CA and the control plane server certificate');
  addFlags(
    pki
      .command('init-ca')
      .description('create the fleet CA: a self-signed certificate and its key (mode 0600)'),
    PKI_INIT_CA,
  ).action(async (o: InitCaOptions) => ctx.setExit(await initCaCommand(ctx, o)));
  addFlags(
    pki
      .command('server-cert')
      .description(
        'issue the control plane TLS certificate for the given DNS names and IPs (new key)',
      ),
    PKI_SERVER_CERT,
  ).action(async (o: ServerCertOptions & { outCert: string; outKey: string }) =>
    ctx.setExit(await serverCertCommand(ctx, o)),
  );
  addFlags(
    pki
      .command('rotate-server-cert')
      .description(
        're-issue the control plane certificate in place: new key, same names unless --dns/--ip are given',
      ),
    PKI_ROTATE_SERVER_CERT,
  ).action(async (o: ServerCertOptions & { cert: string; key: string }) =>
    ctx.setExit(await rotateServerCertCommand(ctx, o)),
  );
}
