// One simulated host against a real control plane, for the agent's
// integration tests: the CP from tests/cp/kit (HTTP/2 + TLS 1.3 mTLS, SQLite,
// signed release directory), a host key, real store paths built with
// nix-build, a real signed file binary cache served over HTTP, the agent's
// trust.json, and a sandbox root already running generation 1. Helpers
// publish a release targeting a closure, start the agent, and read the CP's
// record of the host. Nothing here stands in for the agent or the CP.
import { mkdirSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  createSandboxBackend,
  realiseClosure,
  startAgent,
  type AgentDeps,
  type RunningAgent,
} from '../../../ts/agent/index.ts';
import { stageProfile } from '../../../ts/agent/activation/activate.ts';
import type { RolloutManifest } from '../../../ts/contracts/index.ts';
import type { HostRolloutState } from '../../../ts/core/index.ts';
import { createLogger } from '../../../ts/cp/index.ts';
import { startTestCp, type TestCp } from '../../cp/kit/harness.ts';
import {
  buildToplevel,
  makeCacheKey,
  pushToCache,
  serveCache,
  type BuiltToplevel,
  type CacheKey,
  type ServedCache,
  type ToplevelOptions,
} from '../../support/nix-store.ts';
import {
  agentConfig,
  makeHost,
  writeAgentTrust,
  writeRealRelease,
  writeToken,
  type TestHost,
} from './fleet.ts';

/** The bootstrap nonce every world's release carries for its host. */
export const NONCE = '0123456789abcdef0123456789abcdef';

/** An RFC 3339 UTC timestamp without milliseconds. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** Polls `pred` every 100 ms until it holds; throws after `ms`. */
export async function until(pred: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** health-checks.json declaring one probe named `alive`. */
export function healthChecks(host: string, probe: Record<string, unknown>): string {
  return JSON.stringify({ schemaVersion: 1, hostname: host, probes: { alive: probe } });
}

/** An enforce exec probe running every second. */
export function execProbe(command: string): Record<string, unknown> {
  return {
    kind: 'exec',
    command,
    expectExitCode: 0,
    timeoutSecs: 5,
    intervalSeconds: 1,
    mode: 'enforce',
  };
}

/** A running world; {@link World.close} stops everything it started. */
export interface World {
  readonly t: TestCp;
  readonly host: TestHost;
  readonly work: string;
  readonly stateDir: string;
  readonly sandboxRoot: string;
  readonly trustFile: string;
  readonly tokenFile: string;
  readonly cacheDir: string;
  readonly cacheKey: CacheKey;
  readonly cache: ServedCache;
  readonly port: number;
  /** Generation 1, what the host runs before any rollout. */
  readonly gen1: BuiltToplevel;
  /** Builds a toplevel for the host (`generation` is made unique per process). */
  build(o: Omit<ToplevelOptions, 'workDir' | 'host'>): Promise<BuiltToplevel>;
  /** Pushes a toplevel to the served cache, signed with the trusted key. */
  push(g: BuiltToplevel): Promise<void>;
  /** Publishes release `n` targeting `target` and polls it into the CP; returns the rollout id. */
  publish(n: number, target: BuiltToplevel, options?: PublishOptions): Promise<string>;
  /** Starts the agent in-process with the world's sandbox config. */
  start(extra?: Record<string, string>, deps?: AgentDeps): Promise<RunningAgent>;
  /** The CP's record of the host in `rolloutId`. */
  record(rolloutId: string): HostRolloutState | null;
  close(): Promise<void>;
}

/** Options of {@link World.publish}. */
export interface PublishOptions {
  readonly onHealthFailure?: 'halt' | 'rollback-and-halt';
  readonly soakMinutes?: number;
  /** The host's signed probe set instead of the target closure's (`null`: none signed). */
  readonly probes?: Record<string, unknown> | null;
}

/** Starts a CP, builds generation 1, fills the cache and stages gen 1 as running. */
export async function startWorld(options: {
  readonly hostname?: string;
  readonly cpFlags?: Record<string, unknown>;
}): Promise<World> {
  const hostname = options.hostname ?? 'web-01';
  const port = await freePort();
  const t = await startTestCp({
    ...(process.env['CP_TEST_LOG']
      ? { log: createLogger({ level: process.env['CP_TEST_LOG'] }) }
      : {}),
    flags: {
      listen: `127.0.0.1:${port}`,
      reconcileIntervalSecs: '1',
      longPollSecs: '2',
      heartbeatIntervalSecs: '1',
      planningWarmupSecs: '1',
      ...options.cpFlags,
    },
  });
  const work = join(t.dir, 'agent-work');
  const host = makeHost(work, hostname);
  const build = (o: Omit<ToplevelOptions, 'workDir' | 'host'>): Promise<BuiltToplevel> =>
    buildToplevel({
      ...o,
      workDir: work,
      host: hostname,
      generation: `w${process.pid}-${o.generation}`,
    });
  const cacheDir = join(work, 'cache');
  const cacheKey = await makeCacheKey(join(work, 'keys'), 'world-cache');
  const push = (g: BuiltToplevel): Promise<void> => pushToCache(g.path, cacheDir, cacheKey);
  const gen1 = await build({ generation: '1' });
  await push(gen1);
  const cache = await serveCache(cacheDir);
  const trustFile = writeAgentTrust(work, t.trust, cacheKey.publicKey);
  const tokenFile = writeToken(work, t.trust, host, NONCE);
  const stateDir = join(work, 'state');
  const sandboxRoot = join(stateDir, 'sandbox');
  mkdirSync(join(sandboxRoot, 'run'), { recursive: true });
  const pre = await realiseClosure({
    closure: gen1.closureHash,
    cacheUrls: [cache.url],
    trustedKeys: [cacheKey.publicKey],
    storeUri: `local?root=${sandboxRoot}`,
    timeoutMs: 60_000,
  });
  if (!pre.ok) throw new Error(`cannot pre-stage generation 1: ${pre.detail}`);
  await stageProfile(createSandboxBackend({ root: sandboxRoot }), gen1.closureHash, {
    checkInhibitors: false,
  });
  symlinkSync(gen1.path, join(sandboxRoot, 'run/current-system'));
  const agents: RunningAgent[] = [];
  const world: World = {
    t,
    host,
    work,
    stateDir,
    sandboxRoot,
    trustFile,
    tokenFile,
    cacheDir,
    cacheKey,
    cache,
    port,
    gen1,
    build,
    push,
    async publish(n, target, o = {}) {
      const r = writeRealRelease(
        t.releaseDir,
        t.trust,
        {
          hosts: [{ name: hostname, channel: 'stable', wave: 0, pubkey: host.pubkeyLine }],
          soakMinutes: [o.soakMinutes ?? 0],
          ciCommit: `${String(n).repeat(8)}`.slice(0, 8) + 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5',
          signedAt: rfc3339(Date.now()),
          ...(o.onHealthFailure ? { onHealthFailure: o.onHealthFailure } : {}),
          nonces: [
            {
              nonce: NONCE,
              hostname,
              expiresAt: rfc3339(Date.now() + 86_400_000),
              mintedAt: null,
              mintedBy: null,
            },
          ],
        },
        { [hostname]: target.closureHash },
        o.probes === undefined
          ? {}
          : { [hostname]: o.probes as RolloutManifest['hostSet'][number]['probes'] },
      );
      await t.cp.poll();
      return r.rolloutIds[0] as string;
    },
    async start(extra = {}, deps = {}) {
      const agent = await startAgent(
        agentConfig({
          port,
          host,
          stateDir,
          trustFile,
          caFile: t.pki.caCertFile,
          cacheUrl: cache.url,
          tokenFile,
          extra,
        }),
        deps,
      );
      agents.push(agent);
      return agent;
    },
    record(rolloutId) {
      return t.cp.runtime.state.model.hosts.get(rolloutId)?.get(hostname) ?? null;
    },
    async close() {
      for (const a of agents) await a.stop().catch(() => undefined);
      await cache.close();
      await t.close();
    },
  };
  return world;
}
