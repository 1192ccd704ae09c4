// `nixfleet mint-token`: a bootstrap token for a new host's first-boot
// enrolment (book: "Bootstrap-token lifecycle"). Signs JCS(claims) with the
// org root key through ts/trust, prints the token JSON on stdout and the
// `bootstrapNonces` entry to paste into fleet.nix on stderr. With --trust it
// refuses a key that trust.json does not (or no longer) accept, and checks
// the minted token with the same verifier the CP runs.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { validateContract, type BootstrapToken } from '../../contracts/index.ts';
import {
  activeKeysAt,
  bytesEqual,
  decodeBase64Strict,
  fingerprintRaw,
  formatTimestamp,
  mintBootstrapToken,
  parsePrivateKey,
  parseTrustConfigBytes,
  publicKeyFromOpenSsh,
  verifyBootstrapToken,
  type PrivateKey,
  type TrustConfig,
} from '../../trust/index.ts';
import { absolutePath } from '../config/config-file.ts';
import { MINT_TOKEN, TOKEN_VALIDITY } from '../flags/fleet.ts';
import { addFlags, durationFlag } from '../flags/table.ts';
import { readJsonList, writeJsonList } from '../fleet/json-list.ts';
import { CliError } from '../errors.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { reportError, type OperatorCtx } from './operator-context.ts';

/** Options of {@link mintTokenCommand}. */
export interface MintTokenOptions {
  readonly hostname: string;
  readonly csrPubkeyFingerprint?: string;
  readonly pubkeyFile?: string;
  readonly orgRootKey?: string;
  readonly validity?: string;
  readonly fleetResolved?: string;
  readonly trust?: string;
  readonly mintedBy?: string;
  /** JSON list of bootstrapNonces entries fleet.nix reads; the new entry is appended. */
  readonly noncesFile?: string;
}

const HOSTNAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** A bootstrap token is a one-shot credential; a month is already generous. */
const MAX_VALIDITY_MS = 30 * 86_400_000;

function readBytes(ctx: OperatorCtx, path: string, flag: string): Uint8Array {
  const p = absolutePath(path, ctx.cwd, ctx.env['HOME']);
  try {
    return new Uint8Array(readFileSync(p));
  } catch (e) {
    throw new CliError('CLI_ERR_KEY', `${flag} ${p}: ${(e as Error).message}`, {
      hint: `check the file ${flag} names (relative paths are from the current directory)`,
      context: { path: p },
      cause: e,
    });
  }
}

function fingerprintFromFlag(text: string): string {
  const raw = decodeBase64Strict(text.trim());
  if (raw === null || raw.length !== 32) {
    throw new CliError(
      'CLI_ERR_USAGE',
      `--csr-pubkey-fingerprint: ${JSON.stringify(text)} is not base64 of a SHA-256`,
      {
        hint: 'it is base64(SHA-256(raw ed25519 key)), e.g. from `nixfleet derive-pubkey --format fingerprint --key ssh_host_ed25519_key`, or pass --pubkey-file',
      },
    );
  }
  return text.trim();
}

export function fingerprintFromSsh(line: string, what: string): string {
  const key = publicKeyFromOpenSsh(line.trim());
  if (!key.ok) {
    throw new CliError('CLI_ERR_KEY', `${what}: ${key.error.message}`, {
      hint: 'expected the host key line `ssh-ed25519 AAAA… root@host` (/etc/ssh/ssh_host_ed25519_key.pub)',
    });
  }
  return fingerprintRaw(key.value.raw);
}

/** The host's key fingerprint from flags, cross-checked with fleet.resolved. */
function expectedFingerprint(ctx: OperatorCtx, o: MintTokenOptions): string {
  if (o.csrPubkeyFingerprint !== undefined && o.pubkeyFile !== undefined) {
    throw new CliError(
      'CLI_ERR_USAGE',
      '--csr-pubkey-fingerprint and --pubkey-file are mutually exclusive',
    );
  }
  let fromFlags: string | null = null;
  if (o.csrPubkeyFingerprint !== undefined) fromFlags = fingerprintFromFlag(o.csrPubkeyFingerprint);
  if (o.pubkeyFile !== undefined) {
    const text = Buffer.from(readBytes(ctx, o.pubkeyFile, '--pubkey-file')).toString('utf8');
    fromFlags = fingerprintFromSsh(text, `--pubkey-file ${o.pubkeyFile}`);
  }
  let fromFleet: string | null = null;
  if (o.fleetResolved !== undefined) {
    let doc: unknown;
    try {
      doc = JSON.parse(
        Buffer.from(readBytes(ctx, o.fleetResolved, '--fleet-resolved')).toString('utf8'),
      );
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError('CLI_ERR_USAGE', `--fleet-resolved ${o.fleetResolved}: not JSON`, {
        cause: e,
      });
    }
    const v = validateContract('fleet-resolved', doc);
    if (!v.ok) {
      throw new CliError(
        'CLI_ERR_USAGE',
        `--fleet-resolved ${o.fleetResolved}: not a fleet.resolved document (${v.errors[0]?.path}: ${v.errors[0]?.message})`,
      );
    }
    const host = v.value.hosts[o.hostname];
    if (host === undefined) {
      throw new CliError('CLI_ERR_USAGE', `${o.hostname} is not a host of ${o.fleetResolved}`, {
        hint: 'declare the host in fleet.nix and release first, or check the spelling',
      });
    }
    if (host.pubkey !== null)
      fromFleet = fingerprintFromSsh(host.pubkey, `${o.fleetResolved}: hosts.${o.hostname}.pubkey`);
  }
  if (fromFlags !== null && fromFleet !== null && fromFlags !== fromFleet) {
    throw new CliError(
      'CLI_ERR_KEY_UNTRUSTED',
      `the key given (${fromFlags}) is not the key fleet.resolved declares for ${o.hostname} (${fromFleet})`,
      {
        hint: 'a token bound to another key would be refused at /v1/enroll; check which host key is real',
      },
    );
  }
  const fp = fromFlags ?? fromFleet;
  if (fp === null) {
    throw new CliError('CLI_ERR_USAGE', `no host key for ${o.hostname}`, {
      hint: 'pass --csr-pubkey-fingerprint or --pubkey-file (or --fleet-resolved with a pubkey declared for the host)',
    });
  }
  return fp;
}

/** Refuses an org root key trust.json does not accept at `now`. */
function checkTrusted(
  ctx: OperatorCtx,
  key: PrivateKey,
  trustPath: string,
  now: Date,
): TrustConfig {
  const trust = parseTrustConfigBytes(readBytes(ctx, trustPath, '--trust'));
  if (!trust.ok)
    throw new CliError('CLI_ERR_USAGE', `--trust ${trustPath}: ${trust.error.message}`);
  const slot = trust.value.orgRootKey;
  if (slot === null) {
    throw new CliError(
      'CLI_ERR_KEY_UNTRUSTED',
      `${trustPath} declares no orgRootKey: the CP would refuse every token`,
    );
  }
  const active = activeKeysAt(slot, now).find((k) => bytesEqual(k.key.raw, key.publicKey.raw));
  if (active === undefined) {
    throw new CliError(
      'CLI_ERR_KEY_UNTRUSTED',
      `the org root key ${fingerprintRaw(key.publicKey.raw)} is not an active orgRootKey of ${trustPath} at ${formatTimestamp(now)} (retired, rotated out, or never declared)`,
      {
        hint: 'sign with the current org root key; `nixfleet derive-pubkey --format trust-json` shows which public key a private key has',
      },
    );
  }
  return trust.value;
}

/** The `bootstrapNonces` entry of a token, as data. */
export function nonceEntry(
  token: BootstrapToken,
  mintedBy: string | null,
): Record<string, unknown> {
  const c = token.claims;
  return {
    nonce: c.nonce,
    hostname: c.hostname,
    expiresAt: c.expiresAt,
    mintedAt: c.issuedAt,
    mintedBy,
  };
}

/** The fleet.nix entry to paste under `bootstrapNonces`. */
export function nonceSnippet(token: BootstrapToken, mintedBy: string | null): string {
  const c = token.claims;
  return [
    '{',
    `  nonce = "${c.nonce}";`,
    `  hostname = "${c.hostname}";`,
    `  expiresAt = "${c.expiresAt}";`,
    `  mintedAt = "${c.issuedAt}";`,
    `  mintedBy = ${mintedBy === null ? 'null' : JSON.stringify(mintedBy)};`,
    '}',
  ].join('\n');
}

/** What minting needs besides the host: read and checked before anything is written. */
export interface MintInputs {
  readonly key: PrivateKey;
  readonly keyPath: string;
  readonly trust: TrustConfig | null;
  /** Whole seconds: the claims are RFC 3339 without fractions. */
  readonly now: Date;
  readonly validityMs: number;
  readonly noncesFile: string | null;
  readonly nonces: readonly Record<string, unknown>[] | null;
  readonly mintedBy: string | null;
}

/** The flags {@link mintInputs} reads (shared by `mint-token` and `host add`). */
export type MintInputOptions = Pick<
  MintTokenOptions,
  'orgRootKey' | 'validity' | 'trust' | 'mintedBy' | 'noncesFile'
>;

/** `--validity` in ms (default 24h, at most 30d); a usage error before any file is read. */
export function validityOf(validity: string | undefined): number {
  const ms = durationFlag(TOKEN_VALIDITY, validity);
  if (ms > MAX_VALIDITY_MS) {
    throw new CliError(
      'CLI_ERR_USAGE',
      `--validity ${validity}: at most 30d for a one-shot enrolment credential`,
    );
  }
  return ms;
}

/**
 * Reads and checks the org root key, validity, trust.json and the nonces
 * list; writes nothing, so a refusal leaves the fleet as it was.
 */
export function mintInputs(ctx: OperatorCtx, o: MintInputOptions): MintInputs {
  const keyPath = o.orgRootKey ?? ctx.env['NIXFLEET_OPERATOR_ORG_ROOT_KEY'];
  if (keyPath === undefined || keyPath === '') {
    throw new CliError('CLI_ERR_USAGE', 'no org root key', {
      hint: 'pass --org-root-key <file> or set NIXFLEET_OPERATOR_ORG_ROOT_KEY',
    });
  }
  const validityMs = validityOf(o.validity);
  const noncesFile =
    o.noncesFile === undefined ? null : absolutePath(o.noncesFile, ctx.cwd, ctx.env['HOME']);
  const nonces = noncesFile === null ? null : readJsonList(noncesFile, '--nonces-file');
  const key = parsePrivateKey(readBytes(ctx, keyPath, '--org-root-key'));
  if (!key.ok) {
    throw new CliError('CLI_ERR_KEY', `--org-root-key ${keyPath}: ${key.error.message}`, {
      hint: 'pass the org root private key (PKCS#8 PEM, as `nixfleet init` writes keys/org-root.key)',
    });
  }
  const now = new Date(Math.floor(ctx.io.now().getTime() / 1000) * 1000);
  const trust = o.trust === undefined ? null : checkTrusted(ctx, key.value, o.trust, now);
  const mintedBy = o.mintedBy ?? ctx.env['USER'] ?? null;
  return { key: key.value, keyPath, trust, now, validityMs, noncesFile, nonces, mintedBy };
}

/**
 * The token for `hostname` bound to the host key `fingerprint`, checked with
 * the CP's verifier when trust.json was given. Writes nothing.
 */
export function mintFor(m: MintInputs, hostname: string, fingerprint: string): BootstrapToken {
  const minted = mintBootstrapToken(
    {
      hostname,
      expectedPubkeyFingerprint: fingerprint,
      issuedAt: formatTimestamp(m.now),
      expiresAt: formatTimestamp(m.now.getTime() + m.validityMs),
      nonce: randomBytes(16).toString('hex'),
    },
    m.key,
  );
  if (!minted.ok)
    throw new CliError('CLI_ERR_KEY', `--org-root-key ${m.keyPath}: ${minted.error.message}`);
  if (m.trust !== null) {
    const check = verifyBootstrapToken(minted.value, {
      trust: m.trust,
      now: m.now,
      expectedHostname: hostname,
      expectedPubkeyFingerprint: fingerprint,
    });
    if (!check.ok) {
      throw new CliError(
        'CLI_ERR_KEY_UNTRUSTED',
        `the minted token would be refused: ${check.error.code}: ${check.error.message}`,
      );
    }
  }
  return minted.value;
}

/** Appends the token's bootstrapNonces entry to --nonces-file, if one was given. */
export function recordNonce(m: MintInputs, token: BootstrapToken): void {
  if (m.noncesFile !== null && m.nonces !== null) {
    writeJsonList(m.noncesFile, [...m.nonces, nonceEntry(token, m.mintedBy)]);
  }
}

/** The stderr lines after minting: the nonce, and where its entry went (or the entry). */
export function nonceNotice(m: MintInputs, token: BootstrapToken): string {
  return [
    `nonce: ${token.claims.nonce}`,
    `expiresAt: ${token.claims.expiresAt}`,
    '',
    ...(m.noncesFile !== null
      ? [`Added to ${m.noncesFile} (fleet.nix bootstrapNonces): commit, push, release.`]
      : ['Add to fleet.nix `bootstrapNonces`, commit, and push:', nonceSnippet(token, m.mintedBy)]),
  ].join('\n');
}

/**
 * Mints the token; stdout gets exactly the token JSON.
 *
 * @example mintTokenCommand(ctx, { hostname: 'newhost', pubkeyFile: 'host.pub', orgRootKey: 'org-root.key' })
 */
export function mintTokenCommand(ctx: OperatorCtx, o: MintTokenOptions): ExitCode {
  try {
    if (!HOSTNAME.test(o.hostname)) {
      throw new CliError(
        'CLI_ERR_USAGE',
        `--hostname ${JSON.stringify(o.hostname)} is not a host name ([a-z0-9][a-z0-9._-]*)`,
      );
    }
    validityOf(o.validity);
    const fingerprint = expectedFingerprint(ctx, o);
    const m = mintInputs(ctx, o);
    const token = mintFor(m, o.hostname, fingerprint);
    recordNonce(m, token);
    ctx.io.stdout(`${JSON.stringify(token, null, 2)}\n`);
    ctx.io.stderr(nonceNotice(m, token));
    return EXIT.ok;
  } catch (e) {
    return reportError(ctx, 'mint-token', e);
  }
}

/**
 * Adds `mint-token`.
 *
 * @example registerMintToken(program, ctx)
 */
export function registerMintToken(program: Command, ctx: OperatorCtx): void {
  addFlags(
    program
      .command('mint-token')
      .description(
        'mint a bootstrap token (JSON on stdout; the fleet.nix bootstrapNonces entry on stderr)',
      ),
    MINT_TOKEN,
  ).action((o: MintTokenOptions) => ctx.setExit(mintTokenCommand(ctx, o)));
}
