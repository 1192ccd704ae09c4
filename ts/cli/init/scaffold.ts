// `nixfleet init`'s effects: the fleet directory with its keys, trust.json,
// the fleet CA, the CP server certificate, the first operator certificate,
// the CLI config, fleet.nix and .gitignore. Everything that exists is
// refused before anything is written; with --force every file of an earlier
// init is replaced (new keys, new CA), and a file in keys/ or pki/ that init
// did not make is refused rather than deleted or left behind.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { basename, join } from 'node:path';
import { validateContract, formatIssues } from '../../contracts/index.ts';
import { runNix } from '../../nix/index.ts';
import {
  encodeBase64,
  exportPkcs8Pem,
  generatePrivateKey,
  type PrivateKey,
} from '../../trust/index.ts';
import { writeConfigFile } from '../config/config-file.ts';
import { CliError } from '../errors.ts';
import { issueOperatorCert } from '../pki/operator-cert.ts';
import { createCaFiles, issueServerFiles, refuseExisting, writeFiles } from '../pki/fleet-pki.ts';
import { fleetNixText, gitignoreText, LAYOUT, OWNED_DIRS } from './templates.ts';

/** What init is asked to make. */
export interface InitPlan {
  /** Absolute fleet directory. */
  readonly dir: string;
  /** Absolute path of the CLI config to write. */
  readonly configOut: string;
  readonly hosts: readonly string[];
  readonly cpUrl: URL;
  readonly extraDns: readonly string[];
  readonly extraIps: readonly string[];
  readonly operator: string;
  readonly now: Date;
  readonly force: boolean;
}

const slot = (k: PrivateKey): Record<string, unknown> => ({
  current: { algorithm: k.algorithm, public: encodeBase64(k.publicKey.raw) },
  previous: null,
  rejectBefore: null,
  retireAt: null,
  successor: null,
});

/** The absolute path of a {@link LAYOUT} entry. */
export const pathIn = (plan: Pick<InitPlan, 'dir'>, file: keyof typeof LAYOUT): string =>
  join(plan.dir, LAYOUT[file]);

async function cacheKey(plan: InitPlan): Promise<string> {
  const name = `${basename(plan.dir).replace(/[^A-Za-z0-9.-]/g, '-') || 'fleet'}-cache-1`;
  const sk = pathIn(plan, 'cacheSecretKey');
  const pk = pathIn(plan, 'cachePublicKey');
  const r = await runNix('nix-store', ['--generate-binary-cache-key', name, sk, pk]);
  if (!r.ok) {
    throw new CliError(
      'CLI_ERR_KEY',
      `nix-store --generate-binary-cache-key failed: ${r.message}`,
      {
        hint: 'init needs Nix (nix-store on PATH)',
      },
    );
  }
  chmodSync(sk, 0o600);
  return readFileSync(pk, 'utf8').trim();
}

/**
 * Writes the fleet directory of `plan`; returns the files written.
 *
 * @example const files = await scaffoldFleet(plan);
 */
export async function scaffoldFleet(plan: InitPlan): Promise<string[]> {
  const files = Object.keys(LAYOUT).map((k) => pathIn(plan, k as keyof typeof LAYOUT));
  refuseExisting([...new Set([...files, plan.configOut])], plan.force);
  const foreign = OWNED_DIRS.flatMap((d) =>
    existsSync(join(plan.dir, d))
      ? readdirSync(join(plan.dir, d))
          .map((f) => join(plan.dir, d, f))
          .filter((f) => !files.includes(f))
      : [],
  );
  if (foreign.length > 0) {
    // --force replaces what init made; it never deletes what it did not make.
    throw new CliError('CLI_ERR_EXISTS', `${foreign.join(', ')}: not made by nixfleet init`, {
      hint: 'move these files out of keys/ and pki/ (or choose another directory), then run init again',
      context: { paths: foreign },
    });
  }
  try {
    for (const f of [...files, plan.configOut]) rmSync(f, { force: true });
    mkdirSync(join(plan.dir, 'keys'), { recursive: true, mode: 0o700 });
    mkdirSync(join(plan.dir, 'pki'), { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CliError('CLI_ERR_KEY', `cannot prepare ${plan.dir}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const orgRoot = generatePrivateKey('ed25519');
  const ci = generatePrivateKey('ed25519');
  writeFiles([
    { path: pathIn(plan, 'orgRootKey'), content: exportPkcs8Pem(orgRoot), mode: 0o600 },
    { path: pathIn(plan, 'ciReleaseKey'), content: exportPkcs8Pem(ci), mode: 0o600 },
  ]);
  const trust = {
    schemaVersion: 1,
    ciReleaseKey: slot(ci),
    cacheKeys: [await cacheKey(plan)],
    orgRootKey: slot(orgRoot),
  };
  const valid = validateContract('trust-json', trust);
  if (!valid.ok) throw new Error(`init built an invalid trust.json: ${formatIssues(valid.errors)}`);

  const fleetName = basename(plan.dir) || 'fleet';
  await createCaFiles({
    cert: pathIn(plan, 'caCert'),
    key: pathIn(plan, 'caKey'),
    cn: `${fleetName} fleet CA`,
    algorithm: 'ed25519',
    now: plan.now,
    validityMs: 3650 * 86_400_000,
    force: true,
  });
  const host = plan.cpUrl.hostname.replace(/^\[(.*)\]$/, '$1');
  const isIp = isIP(host) !== 0;
  await issueServerFiles({
    caCert: pathIn(plan, 'caCert'),
    caKey: pathIn(plan, 'caKey'),
    cert: pathIn(plan, 'serverCert'),
    key: pathIn(plan, 'serverKey'),
    names: {
      dns: [...new Set([...(isIp ? [] : [host]), ...plan.extraDns])],
      ips: [...new Set([...(isIp ? [host] : []), ...plan.extraIps])],
    },
    algorithm: 'ed25519',
    now: plan.now,
    validityMs: 365 * 86_400_000,
  });
  const opKey = generatePrivateKey('ed25519');
  const op = await issueOperatorCert({
    caCertPem: readFileSync(pathIn(plan, 'caCert'), 'utf8'),
    caKeyPem: readFileSync(pathIn(plan, 'caKey'), 'utf8'),
    name: plan.operator,
    key: opKey,
    now: plan.now,
    validityMs: 30 * 86_400_000,
  });
  writeFiles([
    { path: pathIn(plan, 'operatorKey'), content: exportPkcs8Pem(opKey), mode: 0o600 },
    { path: pathIn(plan, 'operatorCert'), content: op.certPem, mode: 0o644 },
    { path: pathIn(plan, 'trust'), content: `${JSON.stringify(trust, null, 2)}\n`, mode: 0o644 },
    { path: pathIn(plan, 'fleet'), content: fleetNixText(plan.hosts), mode: 0o644 },
    { path: pathIn(plan, 'gitignore'), content: gitignoreText(), mode: 0o644 },
  ]);
  writeConfigFile(plan.configOut, {
    cpUrl: plan.cpUrl.origin,
    caCert: pathIn(plan, 'caCert'),
    clientCert: pathIn(plan, 'operatorCert'),
    clientKey: pathIn(plan, 'operatorKey'),
  });
  return [...new Set([...files, plan.configOut])].filter((f) => existsSync(f));
}
