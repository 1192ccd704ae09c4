// An agent configured with two control-plane URLs against two real CP
// processes (the binary, SQLite each): when the first is killed with
// SIGKILL, its heartbeats reach the second within the reconnect spread plus
// a heartbeat interval, and a report that neither URL acknowledges stays
// queued and is delivered once one answers again.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAgentConfig, startAgent, type RunningAgent } from '../../ts/agent/index.ts';
import type { AgentEvent } from '../../ts/contracts/index.ts';
import { makePki, type TestPki } from '../cp/kit/pki.ts';
import { makeTrust, writeRelease, type TestTrust } from '../cp/kit/release.ts';
import { makeHost } from './support/fleet.ts';
import { spawnCp, type CpProcess } from './support/cp-process.ts';
import { freePort, rfc3339, until } from './support/world.ts';

const HOST = 'web-01';
let dir: string;
let pki: TestPki;
let trust: TestTrust;
let releaseDir: string;
const cps: CpProcess[] = [];
const agents: RunningAgent[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nixfleet-failover-'));
  pki = await makePki(dir);
  trust = makeTrust(dir);
  releaseDir = join(dir, 'release');
  writeRelease(releaseDir, trust, {
    hosts: [{ name: HOST, channel: 'stable', wave: 0 }],
    soakMinutes: [0],
    ciCommit: 'abcdef0123456789abcdef0123456789abcdef01',
    signedAt: rfc3339(Date.now()),
  });
}, 60_000);

afterAll(async () => {
  for (const a of agents) await a.stop().catch(() => undefined);
  for (const c of cps) await c.kill('SIGKILL').catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function agentFor(urls: readonly string[], name: string): Promise<RunningAgent> {
  const work = join(dir, name);
  mkdirSync(join(work, 'state', 'tls'), { recursive: true });
  const host = makeHost(work, HOST);
  const issued = await pki.client(HOST);
  writeFileSync(join(work, 'state', 'tls', 'client.crt'), issued.cert);
  writeFileSync(join(work, 'client.key'), issued.key, { mode: 0o600 });
  const config = parseAgentConfig(
    {
      controlPlaneUrl: [...urls],
      machineId: HOST,
      trustFile: trust.trustFile,
      caCert: pki.caCertFile,
      clientKey: join(work, 'client.key'),
      stateDir: join(work, 'state'),
      sshHostKeyFile: host.keyFile,
      activationBackend: 'sandbox',
      heartbeatInterval: '1s',
      longPollTimeout: '2s',
      pollInterval: '1s',
      requestTimeout: '5s',
      backoffBase: '200ms',
      backoffMax: '2s',
      reconnectSpread: '1s',
    },
    {},
  );
  const agent = await startAgent(config, { log: pino({ level: 'silent' }) });
  agents.push(agent);
  return agent;
}

const heartbeats = (cp: CpProcess): Promise<number> =>
  cp.metric('nixfleet_cp_heartbeat_seconds_count').catch(() => 0);

describe('an agent with two control-plane URLs', () => {
  it('moves to the second when the first is killed, and keeps every report', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const a = await spawnCp({ dir: join(dir, 'cp-a'), port: p1, pki, trust, releaseDir });
    const b = await spawnCp({ dir: join(dir, 'cp-b'), port: p2, pki, trust, releaseDir });
    cps.push(a, b);
    const agent = await agentFor([a.url, b.url], 'agent');
    await until(async () => (await heartbeats(a)) >= 2, 15_000);
    expect(await heartbeats(b)).toBe(0);

    // The documented bound: the reconnect spread (1 s here) plus one
    // heartbeat interval (1 s), with room for a loaded machine.
    const before = await heartbeats(b);
    await a.kill('SIGKILL');
    const killedAt = Date.now();
    await until(async () => (await heartbeats(b)) > before, 10_000);
    const tookMs = Date.now() - killedAt;
    expect(tookMs).toBeLessThan(6_000);
    expect(agent.transport.active).toBe(1);

    // Neither URL answers: a report is retried, never dropped.
    await b.kill('SIGKILL');
    const event: AgentEvent = {
      hostname: HOST,
      rollout_id: 'stable@abcdef01',
      seq: 1,
      kind: 'DispatchRefused',
      at: rfc3339(Date.now()),
      detail: { reason: 'ManifestUnavailable', message: 'failover test' },
    } as unknown as AgentEvent;
    agent.outbox.enqueue([event]);
    await until(() => agent.outbox.stats.retries >= 2, 15_000);
    expect(agent.outbox.pending().map((e) => e.seq)).toEqual([1]);

    // The second comes back (same database): the queued report reaches it.
    const answered = agent.outbox.stats.delivered + agent.outbox.stats.rejected;
    const b2 = await spawnCp({ dir: join(dir, 'cp-b'), port: p2, pki, trust, releaseDir });
    cps.push(b2);
    await until(() => agent.outbox.pending().length === 0, 30_000);
    expect(agent.outbox.stats.delivered + agent.outbox.stats.rejected).toBe(answered + 1);
    expect(
      await b2.metric('nixfleet_cp_http_requests_total', 'route="POST /v1/agent/events"'),
    ).toBeGreaterThan(0);
  }, 120_000);
});
