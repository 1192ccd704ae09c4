// Rollback attack against a real agent: the host converged on a release;
// then the control plane loses all its state (database and its release
// copy) while its source serves an older release, validly signed 90 min
// before the adopted one and inside the freshness window. The CP adopts it
// (it has nothing newer to compare with) and dispatches the older closure.
// The agent — restarted in between, so its mark comes from its state
// directory — must refuse to activate it, report DispatchReject with
// AGENT_ERR_MANIFEST_ROLLBACK, and keep running the newer closure.
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, until } from './support/world.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSandboxBackend,
  realiseClosure,
  startAgent,
  type RunningAgent,
} from '../../ts/agent/index.ts';
import { stageProfile } from '../../ts/agent/activation/activate.ts';
import { startTestCp, type TestCp } from '../cp/kit/harness.ts';
import {
  buildToplevel,
  makeCacheKey,
  pushToCache,
  serveCache,
  type BuiltToplevel,
  type ServedCache,
} from '../support/nix-store.ts';
import {
  agentConfig,
  makeHost,
  writeAgentTrust,
  writeRealRelease,
  writeToken,
  type TestHost,
} from './support/fleet.ts';

const HOST = 'web-01';
const NONCE = 'fedcba9876543210fedcba9876543210';
const OLD = 'c1c2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const NEW = 'c2c2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const ts = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const T0 = Date.now();

let t: TestCp;
let cache: ServedCache;
let host: TestHost;
let agent: RunningAgent | null = null;
let genOld: BuiltToplevel;
let genNew: BuiltToplevel;
let trustFile: string;
let port: number;
let work: string;

const cpRecord = (rid: string) => t.cp.runtime.state.model.hosts.get(rid)?.get(HOST) ?? null;

function release(commit: string, signedAt: string, target: BuiltToplevel): string {
  const r = writeRealRelease(
    t.releaseDir,
    t.trust,
    {
      hosts: [{ name: HOST, channel: 'stable', wave: 0, pubkey: host.pubkeyLine }],
      soakMinutes: [0],
      ciCommit: commit,
      signedAt,
      nonces: [
        {
          nonce: NONCE,
          hostname: HOST,
          expiresAt: ts(T0 + 86_400_000),
          mintedAt: null,
          mintedBy: null,
        },
      ],
    },
    { [HOST]: target.closureHash },
  );
  return r.rolloutIds[0] as string;
}

async function start(tokenFile?: string): Promise<RunningAgent> {
  return startAgent(
    agentConfig({
      port,
      host,
      stateDir: join(work, 'state'),
      trustFile,
      caFile: t.pki.caCertFile,
      cacheUrl: cache.url,
      ...(tokenFile ? { tokenFile } : {}),
    }),
  );
}

beforeAll(async () => {
  port = await freePort();
  t = await startTestCp({
    flags: {
      listen: `127.0.0.1:${port}`,
      reconcileIntervalSecs: '1',
      longPollSecs: '2',
      heartbeatIntervalSecs: '1',
      planningWarmupSecs: '1',
    },
  });
  work = join(t.dir, 'agent-work');
  host = makeHost(work, HOST);
  genOld = await buildToplevel({ workDir: work, host: HOST, generation: `r${process.pid}-old` });
  genNew = await buildToplevel({ workDir: work, host: HOST, generation: `r${process.pid}-new` });
  const cacheKey = await makeCacheKey(join(work, 'keys'), 'agent-rollback-cache');
  for (const g of [genOld, genNew]) await pushToCache(g.path, join(work, 'cache'), cacheKey);
  cache = await serveCache(join(work, 'cache'));
  trustFile = writeAgentTrust(work, t.trust, cacheKey.publicKey);
  // The host runs the older closure before the rollout of the newer one.
  const root = join(work, 'state', 'sandbox');
  mkdirSync(join(root, 'run'), { recursive: true });
  const pre = await realiseClosure({
    closure: genOld.closureHash,
    cacheUrls: [cache.url],
    trustedKeys: [cacheKey.publicKey],
    storeUri: `local?root=${root}`,
    timeoutMs: 60_000,
  });
  expect(pre.ok).toBe(true);
  await stageProfile(createSandboxBackend({ root }), genOld.closureHash, {
    checkInhibitors: false,
  });
  symlinkSync(genOld.path, join(root, 'run/current-system'));
}, 240_000);

afterAll(async () => {
  await agent?.stop();
  await cache?.close();
  await t?.close();
});

describe('agent: an older manifest than the one it adopted', () => {
  it('is refused with AGENT_ERR_MANIFEST_ROLLBACK; the newer closure keeps running', async () => {
    const ridNew = release(NEW, ts(T0 - 5 * 60_000), genNew);
    await t.cp.poll();
    agent = await start(writeToken(work, t.trust, host, NONCE));
    await until(() => cpRecord(ridNew)?.state === 'Converged');
    expect(await agent.backend.currentSystem()).toBe(genNew.closureHash);
    await until(() => agent!.outbox.pending().length === 0);
    // The agent restarts: its mark must come from its state directory.
    await agent.stop();
    agent = await start();

    // The CP loses everything (database and its release copy) and its
    // source now serves the older release.
    const ridOld = release(OLD, ts(T0 - 90 * 60_000), genOld);
    rmSync(join(t.dir, 'state', 'last-release'), { recursive: true, force: true });
    await t.restart({ wipe: true });
    expect(t.cp.runtime.state.artifacts.fleet?.value.meta.ciCommit).toBe(OLD);

    // Wait for either outcome, so an activation of the older closure fails fast.
    await until(
      () =>
        cpRecord(ridOld)?.rejectReason === 'ManifestInvalid' ||
        cpRecord(ridOld)?.state === 'Converged',
    );
    expect(cpRecord(ridOld)?.rejectReason).toBe('ManifestInvalid');
    expect(await agent.backend.currentSystem()).toBe(genNew.closureHash);
    const rejectOf = async () =>
      (await t.cp.runtime.storage.allEvents()).find(
        (e) => e.rolloutId === ridOld && e.kind === 'RemoteDispatchReject',
      );
    await until(async () => (await rejectOf()) !== undefined);
    const reject = await rejectOf();
    expect(JSON.stringify(reject?.body)).toContain('AGENT_ERR_MANIFEST_ROLLBACK');
    expect(JSON.stringify(reject?.body)).toContain(ts(T0 - 5 * 60_000));
  }, 180_000);
});
