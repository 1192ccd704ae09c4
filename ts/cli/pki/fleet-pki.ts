// The files of `nixfleet pki …` (and `nixfleet init`): the fleet CA and the
// CP's server certificate, written next to each other with the private keys
// mode 0600. The certificates themselves come from ts/cp/pki (authority.ts,
// issuer.ts), the code the CP and the test PKIs use. Nothing is overwritten
// unless the caller says so, and every file is replaced by a rename, so a
// reader never sees half a key or a key without its certificate's match.
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  createCaCertificate,
  generateKeyPair,
  issueServerCertificate,
  pkcs8Pem,
  serverNamesOf,
  serverNamesProblem,
  type KeyAlgorithm,
  type ServerCert,
  type ServerNames,
} from '../../cp/pki/authority.ts';
import { CaError, loadCaSigner, type CaSigner } from '../../cp/pki/issuer.ts';
import { x509 } from '../../cp/pki/x509.ts';
import { CliError } from '../errors.ts';

/** One file to write: its path, content and mode. */
export interface OutFile {
  readonly path: string;
  readonly content: string;
  readonly mode: 0o600 | 0o644;
}

/**
 * Refuses when any of `paths` exists and `force` is not set (before anything
 * is written, so a refusal leaves the directory as it was).
 */
export function refuseExisting(paths: readonly string[], force: boolean): void {
  const present = paths.filter((p) => existsSync(p));
  if (present.length > 0 && !force) {
    const shown =
      present.length > 3
        ? `${present.slice(0, 3).join(', ')} and ${present.length - 3} more files`
        : present.join(', ');
    throw new CliError(
      'CLI_ERR_EXISTS',
      `${shown} exist${present.length > 1 ? '' : 's'}; not overwriting`,
      {
        hint: 'pass --force to replace it, or choose other output paths',
        context: { paths: present },
      },
    );
  }
}

/** Writes every file through a temporary name and a rename; keys end up 0600 even when replaced. */
export function writeFiles(files: readonly OutFile[]): void {
  try {
    for (const f of files) {
      const tmp = join(dirname(f.path), `.${randomBytes(6).toString('hex')}.tmp`);
      writeFileSync(tmp, f.content, { mode: f.mode });
      chmodSync(tmp, f.mode);
      renameSync(tmp, f.path);
    }
  } catch (e) {
    throw new CliError('CLI_ERR_KEY', `cannot write: ${(e as Error).message}`, { cause: e });
  }
}

function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError('CLI_ERR_KEY', `${flag} ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Loads the fleet CA from its files as a signer (the key must be the certificate's). */
export async function loadCa(certPath: string, keyPath: string): Promise<CaSigner> {
  const certPem = readText(certPath, '--ca-cert');
  const keyPem = readText(keyPath, '--ca-key');
  try {
    return await loadCaSigner({ certPem, keyPem });
  } catch (e) {
    if (!(e instanceof CaError)) throw e;
    throw new CliError('CLI_ERR_KEY', `fleet CA ${certPath}: ${e.message}`, { cause: e });
  }
}

/** What `pki init-ca` made. */
export interface NewCa {
  readonly certPem: string;
  readonly keyPem: string;
  readonly subject: string;
  readonly notAfter: Date;
}

/**
 * A new fleet CA: the certificate (0644) and its key (0600).
 *
 * @example await createCaFiles({ cert, key, cn: 'example fleet CA', algorithm: 'ed25519', now, validityMs, force: false })
 */
export async function createCaFiles(o: {
  readonly cert: string;
  readonly key: string;
  readonly cn: string;
  readonly algorithm: KeyAlgorithm;
  readonly now: Date;
  readonly validityMs: number;
  readonly force: boolean;
}): Promise<NewCa> {
  refuseExisting([o.cert, o.key], o.force);
  if (o.cn.trim() === '') throw new CliError('CLI_ERR_USAGE', '--name must not be empty');
  const now = o.now.getTime();
  const ca = await createCaCertificate({
    cn: o.cn,
    algorithm: o.algorithm,
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + o.validityMs),
  });
  const certPem = ca.cert.toString('pem');
  const keyPem = await pkcs8Pem(ca.keys.privateKey);
  writeFiles([
    { path: o.key, content: keyPem, mode: 0o600 },
    { path: o.cert, content: certPem, mode: 0o644 },
  ]);
  return { certPem, keyPem, subject: ca.cert.subject, notAfter: ca.cert.notAfter };
}

/** Inputs of {@link issueServerFiles}. */
export interface ServerFiles {
  readonly caCert: string;
  readonly caKey: string;
  readonly cert: string;
  readonly key: string;
  readonly names: ServerNames;
  readonly algorithm: KeyAlgorithm;
  readonly now: Date;
  readonly validityMs: number;
}

/**
 * Issues the CP server certificate with a new key and writes both (key
 * first: the pair only matches once the certificate lands too).
 */
export async function issueServerFiles(o: ServerFiles): Promise<ServerCert> {
  const problem = serverNamesProblem(o.names);
  if (problem !== null) {
    throw new CliError('CLI_ERR_USAGE', `server certificate names: ${problem}`, {
      hint: 'pass --dns <name> and/or --ip <address> (each repeatable): the names agents and operators use in the CP URL',
    });
  }
  const ca = await loadCa(o.caCert, o.caKey);
  const keys = await generateKeyPair(o.algorithm);
  let cert: ServerCert;
  try {
    cert = await issueServerCertificate(ca, {
      names: o.names,
      publicKey: keys.publicKey,
      now: o.now,
      validityMs: o.validityMs,
    });
  } catch (e) {
    throw new CliError('CLI_ERR_KEY', (e as Error).message, { cause: e });
  }
  writeFiles([
    { path: o.key, content: await pkcs8Pem(keys.privateKey), mode: 0o600 },
    { path: o.cert, content: cert.certPem, mode: 0o644 },
  ]);
  return cert;
}

/**
 * The names of the server certificate at `path`, refusing one the fleet CA
 * did not sign: rotating it with this CA would move the CP to a CA its
 * agents may not trust.
 */
export async function currentServerNames(path: string, ca: CaSigner): Promise<ServerNames> {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(readText(path, '--cert'));
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError('CLI_ERR_KEY', `--cert ${path}: not a PEM certificate`, { cause: e });
  }
  const signed =
    cert.issuer === ca.cert.subject &&
    (await cert.verify({ publicKey: ca.cert.publicKey, signatureOnly: true }));
  if (!signed) {
    throw new CliError(
      'CLI_ERR_KEY',
      `--cert ${path} was not issued by the fleet CA ${ca.cert.subject}`,
      {
        hint: 'pass the CA that issued it, or issue a new one with `nixfleet pki server-cert --force`',
      },
    );
  }
  return serverNamesOf(cert);
}
