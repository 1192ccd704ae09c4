// Recovery without a journal: the agent converged through the real control
// plane (real Nix store paths from a signed binary cache, sandbox activation,
// an enforce exec probe from the closure's health-checks.json), then both sides
// lose their history — the CP's database is deleted and the agent's outbox and
// event journal are gone, only its state snapshot survives — and both restart.
// The CP asks for a replay the agent cannot serve; the agent re-announces what
// it verifies now (the current closure is the target) and soaks again on fresh
// probe results, and the host reaches Converged again with the CP's own soak
// and probe checks, not by inference.
import { mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './support/world.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSandboxBackend,
  realiseClosure,
  startAgent,
  type RunningAgent,
} from '../../ts/agent/index.ts';
import { stageProfile } from '../../ts/agent/activation/activate.ts';
import type { AgentConfig } from '../../ts/agent/config/config.ts';
import { createLogger } from '../../ts/cp/index.ts';
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
const COMMIT = '7777777a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e';
const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

let t: TestCp;
let cache: ServedCache;
let host: TestHost;
let agent: RunningAgent | null = null;
let gen1: BuiltToplevel;
let gen2: BuiltToplevel;
let config: AgentConfig;
let stateDir: string;
let rid: string;

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) {
      const rec = cpRecord();
      const seen =
        rec === null
          ? 'no record'
          : `${rec.state}, topology ${rec.probeTopology === null ? 'missing' : 'declared'}`;
      throw new Error(`${what}: not reached within ${ms} ms (CP record: ${seen})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const cpRecord = () => t.cp.runtime.state.model.hosts.get(rid)?.get(HOST) ?? null;

beforeAll(async () => {
  const port = await freePort();
  t = await startTestCp({
    ...(process.env['CP_TEST_LOG']
      ? { log: createLogger({ level: process.env['CP_TEST_LOG'] }) }
      : {}),
    flags: {
      listen: `127.0.0.1:${port}`,
      reconcileIntervalSecs: '1',
      longPollSecs: '2',
      heartbeatIntervalSecs: '1',
      planningWarmupSecs: '1',
    },
  });
  const work = join(t.dir, 'agent-work');
  host = makeHost(work, HOST);
  const probes = JSON.stringify({
    schemaVersion: 1,
    hostname: HOST,
    probes: {
      alive: {
        kind: 'exec',
        command: '/bin/true',
        expectExitCode: 0,
        timeoutSecs: 5,
        intervalSeconds: 1,
        mode: 'enforce',
      },
    },
  });
  gen1 = await buildToplevel({ workDir: work, host: HOST, generation: `r${process.pid}-1` });
  gen2 = await buildToplevel({
    workDir: work,
    host: HOST,
    generation: `r${process.pid}-2`,
    files: { 'etc/nixfleet/agent/health-checks.json': probes },
  });
  const cacheKey = await makeCacheKey(join(work, 'keys'), 'recovery-cache');
  for (const g of [gen1, gen2]) await pushToCache(g.path, join(work, 'cache'), cacheKey);
  cache = await serveCache(join(work, 'cache'));
  const trustFile = writeAgentTrust(work, t.trust, cacheKey.publicKey);
  stateDir = join(work, 'state');
  const root = join(stateDir, 'sandbox');
  mkdirSync(join(root, 'run'), { recursive: true });
  const pre = await realiseClosure({
    closure: gen1.closureHash,
    cacheUrls: [cache.url],
    trustedKeys: [cacheKey.publicKey],
    storeUri: `local?root=${root}`,
    timeoutMs: 60_000,
  });
  expect(pre.ok).toBe(true);
  await stageProfile(createSandboxBackend({ root }), gen1.closureHash, { checkInhibitors: false });
  symlinkSync(gen1.path, join(root, 'run/current-system'));
  rid = writeRealRelease(
    t.releaseDir,
    t.trust,
    {
      hosts: [{ name: HOST, channel: 'stable', wave: 0, pubkey: host.pubkeyLine }],
      soakMinutes: [0],
      ciCommit: COMMIT,
      signedAt: now(),
      nonces: [
        {
          nonce: NONCE,
          hostname: HOST,
          expiresAt: new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          mintedAt: null,
          mintedBy: null,
        },
      ],
    },
    { [HOST]: gen2.closureHash },
  ).rolloutIds[0] as string;
  await t.cp.poll();
  config = agentConfig({
    port,
    host,
    stateDir,
    trustFile,
    caFile: t.pki.caCertFile,
    cacheUrl: cache.url,
    tokenFile: writeToken(work, t.trust, host, NONCE),
  });
}, 240_000);

afterAll(async () => {
  await agent?.stop();
  await cache?.close();
  await t?.close();
});

describe('recovery after a CP wipe when the agent lost its journal', () => {
  it('converges, loses both histories, and converges again on fresh evidence', async () => {
    agent = await startAgent(config);
    await until(() => cpRecord()?.state === 'Converged', 60_000, 'first convergence');
    await until(() => agent!.outbox.pending().length === 0, 10_000, 'outbox drained');
    const before = agent.loop.snapshot.record;
    expect(before?.state).toBe('Converged');

    await agent.stop();
    agent = null;
    await t.restart({ wipe: true });
    // The agent's outbox and event journal are gone; its state snapshot is not.
    for (const d of ['journal', 'outbox']) rmSync(join(stateDir, d), { recursive: true });
    expect(readdirSync(stateDir)).toContain('agent-state.json');
    expect(cpRecord()).toBeNull();

    const wiped = Date.now();
    agent = await startAgent(config);
    await until(() => cpRecord()?.state === 'Converged', 30_000, 'convergence after the wipe');
    const rec = cpRecord()!;
    expect(rec.currentClosure).toBe(gen2.closureHash);
    // The CP's own gate passed on evidence gathered after the wipe: the probe
    // topology was declared again and the enforce probe passed since then.
    expect(rec.probeTopology?.map((p) => p.name)).toEqual(['alive']);
    expect(rec.probes['alive']?.lastPassAt ?? 0).toBeGreaterThanOrEqual(
      rec.activationCompletedAt ?? Infinity,
    );
    expect(rec.activationCompletedAt ?? 0).toBeGreaterThanOrEqual(wiped - 1_000);
    expect(t.cp.runtime.metrics.orphanConfirms.get()).toBe(0);
    // Nothing was switched: the host stayed on the target the whole time.
    expect(await agent.backend.currentSystem()).toBe(gen2.closureHash);
    expect(agent.loop.snapshot.record?.state).toBe('Converged');
    expect(agent.loop.snapshot.record?.lastEventSeq).toBeGreaterThan(before!.lastEventSeq);
  }, 180_000);
});
