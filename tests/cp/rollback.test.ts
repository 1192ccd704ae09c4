// Rollback attack (TUF "rollback"/"freeze"): whoever controls the release
// source swaps in an older release that is validly signed and still inside
// the freshness window. The CP must keep the newer release it adopted,
// refuse the older one with CP_ERR_ARTIFACT_ROLLBACK and a /healthz alert
// naming the channel and both signedAt values, never dispatch the older
// closures, clear the alert when the newer release is back, and remember its
// high-water mark across a restart and (through its release copy) a wipe.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';
import { closureOf, writeRelease, type ReleaseSpec } from './kit/release.ts';

const OLD = 'b1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const NEW = 'b2b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const NEWER = 'b3b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const HOST = 'h-000';
const T0 = Date.now();
const OLD_SIGNED = rfc3339(T0 - 90 * 60_000);
const NEW_SIGNED = rfc3339(T0 - 5 * 60_000);

let t: TestCp;
let agent: SimAgent;
const stash = mkdtempSync(join(tmpdir(), 'nixfleet-rollback-'));
const spec = (ciCommit: string, signedAt: string): ReleaseSpec => ({
  hosts: hostsIn([1]),
  soakMinutes: [0],
  ciCommit,
  signedAt,
});

interface Alert {
  code: string;
  message: string;
  artifact: string | null;
  path: string | null;
  channel?: string | null;
  refusedSignedAt?: string | null;
  adoptedSignedAt?: string | null;
}

async function health(): Promise<{ status: string; alerts: Alert[] }> {
  const c = await t.anonymous();
  const r = await c.request('/healthz', { noProtocol: true });
  c.close();
  return r.json();
}

/** Replaces the CP's release source with a stashed release, byte for byte. */
function serve(name: string): void {
  rmSync(t.releaseDir, { recursive: true, force: true });
  cpSync(join(stash, name), t.releaseDir, { recursive: true });
}

const adoptedCommit = (): string | null | undefined =>
  t.cp.runtime.state.artifacts.fleet?.value.meta.ciCommit;
const rollouts = (): string[] => Object.keys(t.cp.runtime.state.model.book.rollouts).sort();

beforeAll(async () => {
  t = await startTestCp({ release: spec(NEW, NEW_SIGNED) });
  // Same CI key (the attacker replays CI's own older output).
  writeRelease(join(stash, 'old'), t.trust, spec(OLD, OLD_SIGNED));
  cpSync(t.releaseDir, join(stash, 'new'), { recursive: true });
  agent = new SimAgent(HOST, await t.client(HOST));
  expect((await agent.heartbeat()).status).toBe(200);
});
afterAll(async () => {
  await t.close();
  rmSync(stash, { recursive: true, force: true });
});

describe('an older, validly signed release put in the release source', () => {
  it('is refused: the newer release stays, /healthz alerts, nothing older is dispatched', async () => {
    await t.cp.tick('test');
    const d = await agent.poll(0);
    expect(d?.rollout_id).toBe(`stable@${NEW}`);
    await agent.activate(d!);
    await t.cp.tick('test');

    serve('old');
    await t.cp.poll();
    await t.cp.tick('test');
    expect(adoptedCommit()).toBe(NEW);
    expect(rollouts()).toEqual([`stable@${NEW}`]);
    expect(await agent.poll(0)).toBeNull();
    const h = await health();
    expect(h.status).toBe('degraded');
    const a = h.alerts.find((x) => x.code === 'CP_ERR_ARTIFACT_ROLLBACK');
    expect(a).toMatchObject({
      artifact: 'fleet.resolved',
      path: 'fleet.resolved.json',
      channel: 'stable',
      refusedSignedAt: OLD_SIGNED,
      adoptedSignedAt: NEW_SIGNED,
    });
    expect(a?.message).toContain(OLD_SIGNED);
    expect(a?.message).toContain(NEW_SIGNED);
    expect(a?.message).toMatch(new RegExp(`keeping the snapshot signed ${NEW_SIGNED}$`));
    // The channel view still names the newer release.
    const ch = await (await t.client('operator:test')).request('/v1/channels/stable');
    expect(ch.json<{ artifactCiCommit: string }>().artifactCiCommit).toBe(NEW);
  });

  it('putting the newer release back ends the held state', async () => {
    serve('new');
    await t.cp.poll();
    await t.cp.tick('test');
    expect(adoptedCommit()).toBe(NEW);
    expect(t.cp.runtime.state.model.book.activeByChannel['stable']).toBe(`stable@${NEW}`);
    expect(rollouts()).toEqual([`stable@${NEW}`]);
    expect(await health()).toMatchObject({ status: 'ok', alerts: [] });
  });

  it('keeps refusing the older release after a restart (the mark is in the database)', async () => {
    serve('old');
    await t.restart();
    expect(adoptedCommit()).toBe(NEW);
    expect(rollouts()).not.toContain(`stable@${OLD}`);
    const h = await health();
    expect(h.alerts.map((x) => x.code)).toContain('CP_ERR_ARTIFACT_ROLLBACK');
  });

  it('after a database wipe, re-learns the mark from its copy of the adopted release', async () => {
    serve('old');
    await t.restart({ wipe: true });
    expect(adoptedCommit()).toBe(NEW);
    expect(rollouts()).not.toContain(`stable@${OLD}`);
    expect((await health()).alerts.map((x) => x.code)).toContain('CP_ERR_ARTIFACT_ROLLBACK');
  });

  it('adopts a newer release and clears the alert', async () => {
    await t.publish(spec(NEWER, rfc3339()));
    expect(adoptedCommit()).toBe(NEWER);
    expect(await health()).toMatchObject({ status: 'ok', alerts: [] });
    agent.client = await t.client(HOST);
    expect((await agent.heartbeat()).status).toBe(200);
    await t.cp.tick('test');
    const d = await agent.poll(0);
    expect(d?.target_closure).toBe(closureOf(HOST, NEWER.slice(0, 8)));
  });
});

describe('an older, validly signed revocations sidecar', () => {
  it('is refused: a revoked host stays revoked; the newer sidecar back clears the alert', async () => {
    const at = Date.now();
    const revoked = {
      hostname: 'h-009',
      notBefore: rfc3339(at - 10 * 60_000),
      reason: null,
      revokedBy: null,
    };
    writeRelease(join(stash, 'rev-old'), t.trust, {
      ...spec(NEWER, rfc3339(at - 90 * 60_000)),
      revocations: [],
    });
    await t.publish({ ...spec(NEWER, rfc3339(at)), revocations: [revoked] });
    expect(t.cp.runtime.state.revocations.has('h-009')).toBe(true);
    cpSync(join(t.releaseDir, 'revocations.json'), join(stash, 'rev-new.json'));
    cpSync(join(t.releaseDir, 'revocations.json.sig'), join(stash, 'rev-new.json.sig'));
    for (const f of ['revocations.json', 'revocations.json.sig']) {
      cpSync(join(stash, 'rev-old', f), join(t.releaseDir, f));
    }
    await t.cp.poll();
    expect(t.cp.runtime.state.revocations.has('h-009')).toBe(true);
    const h = await health();
    expect(h.status).toBe('degraded');
    expect(h.alerts.find((x) => x.code === 'CP_ERR_ARTIFACT_ROLLBACK')).toMatchObject({
      artifact: 'revocations',
      path: 'revocations.json',
      channel: null,
      refusedSignedAt: rfc3339(at - 90 * 60_000),
      adoptedSignedAt: rfc3339(at),
    });
    cpSync(join(stash, 'rev-new.json'), join(t.releaseDir, 'revocations.json'));
    cpSync(join(stash, 'rev-new.json.sig'), join(t.releaseDir, 'revocations.json.sig'));
    await t.cp.poll();
    expect(await health()).toMatchObject({ status: 'ok', alerts: [] });
  });
});
