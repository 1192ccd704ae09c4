// The agent against the real control plane: HTTP/2 + TLS 1.3 mTLS, enrollment
// with a bootstrap token and a CSR on the SSH host key, real Nix store paths
// fetched from a real signed file binary cache, sandbox activation, probes
// from the health-checks.json rendered into the closure. Then: a closure
// with a bad signature is refused and reported; the CP goes away in the
// middle of an activation and the agent's queued events reach it later.
import { mkdirSync, symlinkSync } from 'node:fs';
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
import { createLogger } from '../../ts/cp/index.ts';
import { startTestCp, type TestCp } from '../cp/kit/harness.ts';
import {
  buildToplevel,
  makeCacheKey,
  pushToCache,
  serveCache,
  type BuiltToplevel,
  type CacheKey,
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
const NONCE = '0123456789abcdef0123456789abcdef';
const commit = (n: number): string =>
  `${String(n).repeat(8)}`.slice(0, 8) + 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5';
const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

let t: TestCp;
let cache: ServedCache;
let cacheKey: CacheKey;
let host: TestHost;
let agent: RunningAgent | null = null;
let gen1: BuiltToplevel;
let gen2: BuiltToplevel;
let root: string;
let trustFile: string;
let port: number;

const healthChecks = (probe: Record<string, unknown>) =>
  JSON.stringify({ schemaVersion: 1, hostname: HOST, probes: { alive: probe } });
const execProbe = (command: string) => ({
  kind: 'exec',
  command,
  expectExitCode: 0,
  timeoutSecs: 5,
  intervalSeconds: 1,
  mode: 'enforce',
});

function cpRecord(rid: string) {
  return t.cp.runtime.state.model.hosts.get(rid)?.get(HOST) ?? null;
}

async function publish(n: number, target: BuiltToplevel): Promise<string> {
  const r = writeRealRelease(
    t.releaseDir,
    t.trust,
    {
      hosts: [{ name: HOST, channel: 'stable', wave: 0, pubkey: host.pubkeyLine }],
      soakMinutes: [0],
      ciCommit: commit(n),
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
    { [HOST]: target.closureHash },
  );
  await t.cp.poll();
  return r.rolloutIds[0] as string;
}

beforeAll(async () => {
  port = await freePort();
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
  gen1 = await buildToplevel({ workDir: work, host: HOST, generation: `i${process.pid}-1` });
  gen2 = await buildToplevel({
    workDir: work,
    host: HOST,
    generation: `i${process.pid}-2`,
    files: { 'etc/nixfleet/agent/health-checks.json': healthChecks(execProbe('/bin/true')) },
  });
  cacheKey = await makeCacheKey(join(work, 'keys'), 'agent-it-cache');
  for (const g of [gen1, gen2]) await pushToCache(g.path, join(work, 'cache'), cacheKey);
  cache = await serveCache(join(work, 'cache'));
  trustFile = writeAgentTrust(work, t.trust, cacheKey.publicKey);
  // The host runs gen1 before the rollout.
  root = join(work, 'state', 'sandbox');
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
}, 240_000);

afterAll(async () => {
  await agent?.stop();
  await cache?.close();
  await t?.close();
});

describe('agent ↔ real control plane', () => {
  it('enrolls, verifies, realises, activates, probes and converges', async () => {
    const rid = await publish(1, gen2);
    const work = join(t.dir, 'agent-work');
    agent = await startAgent(
      agentConfig({
        port,
        host,
        stateDir: join(work, 'state'),
        trustFile,
        caFile: t.pki.caCertFile,
        cacheUrl: cache.url,
        tokenFile: writeToken(work, t.trust, host, NONCE),
      }),
    );
    await until(() => cpRecord(rid)?.state === 'Converged');
    expect(agent.loop.snapshot.record?.state).toBe('Converged');
    expect(await agent.backend.currentSystem()).toBe(gen2.closureHash);
    expect(cpRecord(rid)?.currentClosureAtDispatch).toBe(gen1.closureHash);
    await until(() => agent!.outbox.pending().length === 0);
  }, 120_000);

  it('refuses and reports a closure whose signature is not from a cacheKeys key', async () => {
    const work = join(t.dir, 'agent-work');
    const foreign = await makeCacheKey(join(work, 'keys'), 'foreign-cache');
    const gen3 = await buildToplevel({
      workDir: work,
      host: HOST,
      generation: `i${process.pid}-3`,
    });
    await pushToCache(gen3.path, join(work, 'cache'), foreign);
    const rid = await publish(2, gen3);
    await until(() => cpRecord(rid)?.rejectReason === 'ClosureUntrusted');
    expect(await agent!.backend.currentSystem()).toBe(gen2.closureHash);
    expect(agent!.loop.snapshot.record?.rolloutId).not.toBe(rid);
  }, 120_000);

  it('keeps activating when the CP goes away mid-switch and delivers the events later', async () => {
    const work = join(t.dir, 'agent-work');
    const gen4 = await buildToplevel({
      workDir: work,
      host: HOST,
      generation: `i${process.pid}-4`,
      switchScript: '#!/bin/sh\nsleep 2\nexit 0\n',
      files: { 'etc/nixfleet/agent/health-checks.json': healthChecks(execProbe('/bin/true')) },
    });
    await pushToCache(gen4.path, join(work, 'cache'), cacheKey);
    const rid = await publish(3, gen4);
    await until(
      () =>
        agent!.loop.snapshot.record?.rolloutId === rid &&
        agent!.loop.snapshot.record?.state === 'Activating',
    );
    await t.cp.stop();
    await until(() => agent!.loop.snapshot.record?.state === 'Converged');
    expect(await agent!.backend.currentSystem()).toBe(gen4.closureHash);
    expect(agent!.outbox.pending().length).toBeGreaterThan(0);
    await t.restart();
    await until(() => cpRecord(rid)?.state === 'Converged');
    await until(() => agent!.outbox.pending().length === 0);
  }, 120_000);
});
