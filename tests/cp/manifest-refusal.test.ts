// A release is adopted whole. Mid-rollout, CI publishes the next release but
// its rollout manifest's signature was tampered with: the CP must keep the
// release it runs (fleet.resolved included, not just the manifest), alert on
// both naming the files, and — the defect this guards — still finish the
// running rollout after a restart (it used to adopt the new fleet.resolved,
// lose the running rollout's manifest on restart and stay Converging).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dispatch } from '../../ts/contracts/index.ts';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';
import { writeRelease } from './kit/release.ts';

const C1 = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const C2 = 'a2b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const C3 = 'a3b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const R1 = `stable@${C1}`;
const HOSTS = ['h-000', 'h-001'];
let t: TestCp;
const agents = new Map<string, SimAgent>();
let pending: Dispatch | null = null;

interface Alert {
  code: string;
  message: string;
  artifact: string;
  path: string;
}

async function health(): Promise<{ status: string; alerts: Alert[] }> {
  const c = await t.anonymous();
  const r = await c.request('/healthz', { noProtocol: true });
  c.close();
  return r.json();
}

async function reconnect(): Promise<void> {
  for (const h of HOSTS) {
    const a = agents.get(h) ?? new SimAgent(h, await t.client(h));
    a.client = await t.client(h);
    agents.set(h, a);
    expect((await a.heartbeat()).status).toBe(200);
  }
}

const agent = (h: string): SimAgent => agents.get(h) as SimAgent;
const rolloutState = (id: string): string | undefined =>
  t.cp.runtime.state.model.book.rollouts[id]?.state;
const adoptedCommit = (): string | null | undefined =>
  t.cp.runtime.state.artifacts.fleet?.value.meta.ciCommit;

function publishTampered(commit: string): void {
  writeRelease(t.releaseDir, t.trust, {
    hosts: hostsIn([2]),
    soakMinutes: [0],
    ciCommit: commit,
    signedAt: rfc3339(),
  });
  const sig = join(t.releaseDir, 'rollouts', `stable@${commit}.json.sig`);
  const b = readFileSync(sig);
  b[5] = (b[5] as number) ^ 1;
  writeFileSync(sig, b);
}

beforeAll(async () => {
  t = await startTestCp({
    release: { hosts: hostsIn([2]), soakMinutes: [0], ciCommit: C1, signedAt: rfc3339() },
  });
  await reconnect();
});
afterAll(async () => {
  await t.close();
});

describe('a release whose rollout manifest is refused', () => {
  it('is held back whole while the running rollout keeps its release', async () => {
    await t.cp.tick('test');
    const d0 = await agent('h-000').poll(0);
    pending = await agent('h-001').poll(0);
    if (!d0 || !pending) throw new Error('not dispatched');
    await agent('h-000').activate(d0);
    await agent('h-001').activate(pending, { converge: false });
    await t.cp.tick('test');
    expect(rolloutState(R1)).toBe('Active');

    publishTampered(C2);
    await t.cp.poll();
    await t.cp.tick('test');
    // Neither the manifest nor the fleet.resolved of C2 is adopted.
    expect(adoptedCommit()).toBe(C1);
    expect([...t.cp.runtime.state.artifacts.manifests.keys()]).toEqual([R1]);
    expect(rolloutState(`stable@${C2}`)).toBeUndefined();
    const h = await health();
    expect(h.status).toBe('degraded');
    const manifest = h.alerts.find((a) => a.artifact === 'rollout-manifest');
    expect(manifest).toMatchObject({
      code: 'TRUST_ERR_BAD_SIGNATURE',
      path: `rollouts/stable@${C2}.json`,
    });
    expect(manifest?.message).toContain(`rollouts/stable@${C2}.json`);
    const held = h.alerts.find((a) => a.artifact === 'fleet.resolved');
    expect(held).toMatchObject({ code: 'CP_ERR_RELEASE_HELD', path: 'fleet.resolved.json' });
    expect(held?.message).toContain(`rollouts/stable@${C2}.json (TRUST_ERR_BAD_SIGNATURE)`);
    expect(held?.message).toContain(`keeping ${C1}`);
    const c = await t.client('operator:test');
    const ch = await c.request('/v1/channels/stable');
    expect(ch.json<{ artifactCiCommit: string }>().artifactCiCommit).toBe(C1);
  });

  it('after a restart the running rollout still has its manifest and completes', async () => {
    await t.restart();
    expect(adoptedCommit()).toBe(C1);
    const alerts = (await health()).alerts;
    expect(alerts.map((a) => a.code).sort()).toEqual([
      'CP_ERR_RELEASE_HELD',
      'TRUST_ERR_BAD_SIGNATURE',
    ]);
    // The fresh process took the release it ran from its own copy, and says so.
    expect(alerts.find((a) => a.code === 'CP_ERR_RELEASE_HELD')?.message).toContain(
      `keeping ${C1}`,
    );
    expect(alerts.find((a) => a.code === 'CP_ERR_RELEASE_HELD')?.message).toContain(
      "restored from the CP's copy",
    );
    await reconnect();
    const m = await (await t.client('h-001')).request(`/v1/rollouts/${R1}`);
    expect(m.status).toBe(200);
    const r = await agent('h-001').send('Converged', R1, {
      converged_at: rfc3339(),
      current_closure: pending?.target_closure ?? null,
    });
    expect(r.status).toBe(204);
    await t.cp.tick('test');
    expect(rolloutState(R1)).toBe('Terminal');
    expect(rolloutState(`stable@${C2}`)).toBeUndefined();
  });

  it('clears the alerts when the source is back to the release the CP runs', async () => {
    const saved = t.cp.runtime.state.artifacts.fleet;
    if (!saved) throw new Error('no adopted release');
    // CI re-publishes C1 byte for byte (the held C2 withdrawn).
    writeFileSync(join(t.releaseDir, 'fleet.resolved.json'), saved.bytes);
    writeFileSync(join(t.releaseDir, 'fleet.resolved.json.sig'), saved.signature);
    await t.cp.poll();
    expect(adoptedCommit()).toBe(C1);
    expect(await health()).toMatchObject({ status: 'ok', alerts: [] });
    publishTampered(C2);
    await t.cp.poll();
    expect((await health()).status).toBe('degraded');
  });

  it('survives a database wipe too (the release copy lives next to the database)', async () => {
    await t.restart({ wipe: true });
    expect(adoptedCommit()).toBe(C1);
    expect(t.cp.runtime.state.artifacts.manifests.has(R1)).toBe(true);
    expect((await health()).status).toBe('degraded');
  });

  it('holds a release whose expected manifest is missing; adopts it once published', async () => {
    writeRelease(t.releaseDir, t.trust, {
      hosts: hostsIn([2]),
      soakMinutes: [0],
      ciCommit: C3,
      signedAt: rfc3339(),
    });
    const rel = join(t.releaseDir, 'rollouts', `stable@${C3}.json`);
    const bytes = readFileSync(rel);
    rmSync(rel);
    await t.cp.poll();
    expect(adoptedCommit()).toBe(C1);
    const missing = (await health()).alerts.find((a) => a.artifact === 'rollout-manifest');
    expect(missing).toMatchObject({
      code: 'CP_ERR_ARTIFACT_MISSING',
      path: `rollouts/stable@${C3}.json`,
    });
    writeFileSync(rel, bytes);
    await t.cp.poll();
    expect(adoptedCommit()).toBe(C3);
    expect(await health()).toMatchObject({ status: 'ok', alerts: [] });
    // The copy on disk follows the adopted release.
    const cache = join(t.dir, 'state', 'last-release');
    expect(readFileSync(join(cache, 'fleet.resolved.json'))).toEqual(
      readFileSync(join(t.releaseDir, 'fleet.resolved.json')),
    );
    expect(existsSync(join(cache, 'rollouts', `stable@${C3}.json`))).toBe(true);
    expect(existsSync(join(cache, 'rollouts', `${R1}.json`))).toBe(false);
  });

  it('refuses a tampered release copy at start: no release rather than a forged one', async () => {
    publishTampered(C2);
    const cache = join(t.dir, 'state', 'last-release', 'fleet.resolved.json');
    writeFileSync(cache, readFileSync(cache, 'utf8').replace('"x86_64-linux"', '"aarch64-linux"'));
    await t.restart({ wipe: true });
    expect(t.cp.runtime.state.artifacts.fleet).toBeNull();
    expect((await health()).status).toBe('degraded');
  });
});
