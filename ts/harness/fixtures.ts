// Everything a scenario run needs before any process starts: the CI release
// key, the org root key, the binary-cache key, the fleet CA and CP server
// certificate, an operator certificate, and per host an OpenSSH ed25519 host
// key and a single-use bootstrap token whose nonce the signed release lists.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  encodeBase64,
  exportOpenSshPrivateKey,
  exportPkcs8Pem,
  formatOpenSshPublicKey,
  generatePrivateKey,
  mintBootstrapToken,
} from '../trust/index.ts';
import { makeCacheKey, type CacheKey } from './cache.ts';
import { makeFleetPki, type FleetPki } from './pki.ts';

/** Per-host identity material. */
export interface HostFixture {
  readonly name: string;
  readonly sshKeyFile: string;
  readonly pubkeyLine: string;
  readonly tokenFile: string;
  readonly nonce: string;
}

/** The run's keys and files. */
export interface RunFixtures {
  readonly dir: string;
  readonly ciKeyFile: string;
  /** The org root key (PKCS#8 PEM): what `nixfleet host add` mints a new host's token with. */
  readonly orgRootKeyFile: string;
  readonly trustFile: string;
  readonly cacheKey: CacheKey;
  readonly pki: FleetPki;
  readonly operator: { certFile: string; keyFile: string };
  readonly hosts: ReadonlyMap<string, HostFixture>;
  /** JSON for tests/harness/nix/generation.nix's runnerFile. */
  readonly runnerFile: string;
}

const ts = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Creates every key, certificate, token and the trust file for a run. */
export async function makeFixtures(options: {
  readonly dir: string;
  readonly hosts: readonly string[];
  readonly cpAddresses: readonly string[];
  readonly now: number;
}): Promise<RunFixtures> {
  const dir = join(options.dir, 'keys');
  mkdirSync(dir, { recursive: true });
  const ci = generatePrivateKey('ed25519');
  const org = generatePrivateKey('ed25519');
  const ciKeyFile = join(dir, 'ci.key');
  writeFileSync(ciKeyFile, exportPkcs8Pem(ci), { mode: 0o600 });
  const orgRootKeyFile = join(dir, 'org-root.key');
  writeFileSync(orgRootKeyFile, exportPkcs8Pem(org), { mode: 0o600 });
  const cacheKey = await makeCacheKey(dir, 'harness-cache-1');
  const slot = (k: typeof ci) => ({
    current: { algorithm: k.algorithm, public: encodeBase64(k.publicKey.raw) },
    previous: null,
    rejectBefore: null,
    successor: null,
    retireAt: null,
  });
  const trustFile = join(dir, 'trust.json');
  writeFileSync(
    trustFile,
    JSON.stringify(
      {
        schemaVersion: 1,
        ciReleaseKey: slot(ci),
        cacheKeys: [cacheKey.publicKey],
        orgRootKey: slot(org),
      },
      null,
      2,
    ),
  );
  const pki = await makeFleetPki(join(dir, 'pki'), options.cpAddresses);
  const operator = await pki.client('operator:harness', 'operator');

  const hosts = new Map<string, HostFixture>();
  const nonces: unknown[] = [];
  for (const name of options.hosts) {
    const key = generatePrivateKey('ed25519');
    const sshKeyFile = join(dir, `${name}_ssh_host_ed25519_key`);
    const pubkeyLine = formatOpenSshPublicKey(key.publicKey.raw, `root@${name}`);
    const sshKey = exportOpenSshPrivateKey(key, { comment: `root@${name}` });
    if (!sshKey.ok) throw new Error(`host key for ${name}: ${sshKey.error.message}`);
    writeFileSync(sshKeyFile, sshKey.value, { mode: 0o600 });
    writeFileSync(`${sshKeyFile}.pub`, `${pubkeyLine}\n`);
    // Also where the host's own `/` (its sandbox root) keeps it: what the
    // switch's compliance collector signs with and age decrypts with.
    const etcSsh = join(options.dir, 'hosts', name, 'sandbox/etc/ssh');
    mkdirSync(etcSsh, { recursive: true });
    writeFileSync(join(etcSsh, 'ssh_host_ed25519_key'), sshKey.value, { mode: 0o600 });
    const nonce = randomBytes(16).toString('hex');
    const token = mintBootstrapToken(
      {
        hostname: name,
        expectedPubkeyFingerprint: key.publicKey.fingerprint,
        issuedAt: ts(options.now - 60_000),
        expiresAt: ts(options.now + 86_400_000),
        nonce,
      },
      org,
    );
    if (!token.ok) throw new Error(`minting a token for ${name}: ${token.error.message}`);
    const tokenFile = join(dir, `${name}.token.json`);
    writeFileSync(tokenFile, JSON.stringify(token.value), { mode: 0o600 });
    nonces.push({
      nonce,
      hostname: name,
      expiresAt: ts(options.now + 86_400_000),
      mintedAt: ts(options.now),
      mintedBy: 'harness',
    });
    hosts.set(name, { name, sshKeyFile, pubkeyLine, tokenFile, nonce });
  }
  const runnerFile = join(options.dir, 'runner.json');
  writeFileSync(
    runnerFile,
    JSON.stringify(
      {
        pubkeys: Object.fromEntries([...hosts].map(([n, h]) => [n, h.pubkeyLine])),
        bootstrapNonces: nonces,
        // What a compliance-enabled closure's switch runs (tests/harness/nix/compliance.nix).
        collector: [
          process.execPath,
          new URL('../../bin/nixfleet-compliance-collect.mjs', import.meta.url).pathname,
        ],
      },
      null,
      2,
    ),
  );
  return { dir, ciKeyFile, orgRootKeyFile, trustFile, cacheKey, pki, operator, hosts, runnerFile };
}
