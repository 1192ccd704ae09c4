// Agent integration support on top of the CP test kit: a signed release
// whose targets are real store paths, a host with an OpenSSH host-key file,
// a bootstrap token for it, the agent's own trust.json (the CI key of the
// release plus the binary-cache key) and an agent config for the sandbox.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetResolved, RolloutManifest } from '../../../ts/contracts/index.ts';
import {
  exportOpenSshPrivateKey,
  formatOpenSshPublicKey,
  generatePrivateKey,
  sha256Hex,
  signCanonical,
  type PrivateKey,
} from '../../../ts/trust/index.ts';
import { parseAgentConfig, type AgentConfig } from '../../../ts/agent/index.ts';
import { mintToken, writeRelease, type ReleaseSpec, type TestTrust } from '../../cp/kit/release.ts';

/** A simulated host: its key on disk and its public line. */
export interface TestHost {
  readonly name: string;
  readonly key: PrivateKey;
  readonly keyFile: string;
  readonly pubkeyLine: string;
}

/** Creates a host key and writes it as an OpenSSH private key file. */
export function makeHost(dir: string, name: string): TestHost {
  const key = generatePrivateKey('ed25519');
  const text = exportOpenSshPrivateKey(key, { comment: `root@${name}` });
  if (!text.ok) throw new Error(text.error.message);
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, `${name}_ssh_host_ed25519_key`);
  writeFileSync(keyFile, text.value, { mode: 0o600 });
  return { name, key, keyFile, pubkeyLine: formatOpenSshPublicKey(key.publicKey.raw) };
}

function rewrite(dir: string, rel: string, value: unknown, key: PrivateKey): Uint8Array {
  const s = signCanonical(value, key);
  if (!s.ok) throw new Error(s.error.message);
  writeFileSync(join(dir, rel), s.value.canonical);
  writeFileSync(join(dir, `${rel}.sig`), s.value.signature);
  return s.value.canonical;
}

type SignedProbes = RolloutManifest['hostSet'][number]['probes'];

/**
 * The probe set `nixfleet release` signs for a closure: its
 * etc/nixfleet/agent/health-checks.json `probes`, `{}` when it has none.
 */
export function closureProbes(closureHash: string): SignedProbes {
  try {
    const text = readFileSync(
      join('/nix/store', closureHash, 'etc/nixfleet/agent/health-checks.json'),
      'utf8',
    );
    return (JSON.parse(text) as { probes: NonNullable<SignedProbes> }).probes;
  } catch {
    return {};
  }
}

/**
 * Writes a release with the CP kit, then replaces each host's closure with
 * the real store basename from `closures` and re-signs fleet and manifests
 * (the manifest anchor follows the new fleet hash). Each host's entry signs
 * its closure's probe set, as `nixfleet release` does, unless `probes`
 * overrides it (`null`: none signed).
 */
export function writeRealRelease(
  dir: string,
  trust: TestTrust,
  spec: ReleaseSpec,
  closures: Readonly<Record<string, string>>,
  probes: Readonly<Record<string, SignedProbes>> = {},
): { rolloutIds: string[]; manifests: Map<string, RolloutManifest> } {
  const r = writeRelease(dir, trust, spec);
  const fleet: FleetResolved = structuredClone(r.fleet);
  for (const [h, c] of Object.entries(closures)) {
    const entry = fleet.hosts[h];
    if (entry) entry.closureHash = c;
  }
  const hash = sha256Hex(rewrite(dir, 'fleet.resolved.json', fleet, trust.ci));
  const manifests = new Map<string, RolloutManifest>();
  for (const [id, m0] of r.manifests) {
    const m: RolloutManifest = {
      ...m0,
      fleetResolvedHash: hash,
      hostSet: m0.hostSet.map((h) => {
        const targetClosure = closures[h.hostname] ?? h.targetClosure;
        return {
          ...h,
          targetClosure,
          probes: Object.hasOwn(probes, h.hostname)
            ? (probes[h.hostname] ?? null)
            : closureProbes(targetClosure),
        };
      }),
    };
    rewrite(dir, `rollouts/${id}.json`, m, trust.ci);
    manifests.set(id, m);
  }
  return { rolloutIds: [...manifests.keys()], manifests };
}

/** A bootstrap token file for `host` (its nonce must be in the release). */
export function writeToken(dir: string, trust: TestTrust, host: TestHost, nonce: string): string {
  const now = Date.now();
  const token = mintToken(trust, {
    hostname: host.name,
    expectedPubkeyFingerprint: host.key.publicKey.fingerprint,
    issuedAt: new Date(now - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    expiresAt: new Date(now + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    nonce,
  });
  const file = join(dir, `${host.name}.token.json`);
  writeFileSync(file, JSON.stringify(token));
  return file;
}

/** The agent's trust.json: the release's CI key and the cache key. */
export function writeAgentTrust(dir: string, trust: TestTrust, cacheKey: string): string {
  const slot = (k: PrivateKey) => ({
    current: { algorithm: k.algorithm, public: k.publicKey.base64 },
    previous: null,
    rejectBefore: null,
    retireAt: null,
    successor: null,
  });
  const file = join(dir, 'agent-trust.json');
  writeFileSync(
    file,
    JSON.stringify({
      schemaVersion: 1,
      ciReleaseKey: slot(trust.ci),
      cacheKeys: [cacheKey],
      orgRootKey: slot(trust.orgRoot),
    }),
  );
  return file;
}

/** A sandbox agent config with shrunk timings. */
export function agentConfig(o: {
  readonly port: number;
  readonly host: TestHost;
  readonly stateDir: string;
  readonly trustFile: string;
  readonly caFile: string;
  readonly cacheUrl: string;
  readonly tokenFile?: string;
  readonly extra?: Record<string, string>;
}): AgentConfig {
  return parseAgentConfig(
    {
      controlPlaneUrl: `https://127.0.0.1:${o.port}`,
      machineId: o.host.name,
      trustFile: o.trustFile,
      caCert: o.caFile,
      sshHostKeyFile: o.host.keyFile,
      stateDir: o.stateDir,
      activationBackend: 'sandbox',
      cacheUrl: o.cacheUrl,
      ...(o.tokenFile ? { bootstrapTokenFile: o.tokenFile } : {}),
      pollInterval: '200ms',
      longPollTimeout: '2s',
      heartbeatInterval: '300ms',
      pollBudget: '20s',
      activationPollInterval: '50ms',
      sustainedFailureThreshold: '1s',
      tickInterval: '100ms',
      backoffBase: '50ms',
      backoffMax: '500ms',
      requestTimeout: '5s',
      logLevel: process.env['AGENT_TEST_LOG'] ?? 'silent',
      ...o.extra,
    },
    {},
  );
}
