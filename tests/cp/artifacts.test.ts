// Artifact adoption: only verified artifacts are adopted; a tampered or
// foreign-signed release keeps the last verified snapshot and raises an
// alert (log, metric, /healthz). Also: --strict refuses to start without its
// trust inputs, and shutdown releases parked long-polls within the deadline.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlPlane, parseConfig, silentLogger } from '../../ts/cp/index.ts';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';
import { makeTrust, writeRelease } from './kit/release.ts';

const C1 = 'f1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const C2 = 'f2b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
let t: TestCp;

beforeAll(async () => {
  t = await startTestCp({
    release: { hosts: hostsIn([1]), soakMinutes: [0], ciCommit: C1, signedAt: rfc3339() },
  });
});
afterAll(async () => {
  await t.close();
});

async function health(): Promise<Record<string, unknown>> {
  return (await (await t.anonymous()).request('/healthz', { noProtocol: true })).json();
}

describe('artifact adoption', () => {
  it('keeps the last verified fleet when a new one is tampered with, and alerts', async () => {
    writeRelease(t.releaseDir, t.trust, {
      hosts: hostsIn([2]),
      soakMinutes: [0],
      ciCommit: C2,
      signedAt: rfc3339(),
    });
    const path = join(t.releaseDir, 'fleet.resolved.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"x86_64-linux"', '"aarch64-linux"'));
    await t.cp.poll();
    expect(t.cp.runtime.state.artifacts.fleet?.value.meta.ciCommit).toBe(C1);
    const h = await health();
    expect(h['status']).toBe('degraded');
    expect(JSON.stringify(h['artifacts'])).toContain('TRUST_ERR_');
    const m = await (await t.anonymous()).request('/metrics', { noProtocol: true });
    expect(m.body.toString()).toContain('nixfleet_cp_artifact_alert{artifact="fleet.resolved"} 1');
  });

  it('refuses a release signed by a key trust.json does not name', async () => {
    const stranger = makeTrust(join(t.dir, 'state'));
    writeRelease(t.releaseDir, stranger, {
      hosts: hostsIn([2]),
      soakMinutes: [0],
      ciCommit: C2,
      signedAt: rfc3339(),
    });
    await t.cp.poll();
    expect(t.cp.runtime.state.artifacts.fleet?.value.meta.ciCommit).toBe(C1);
    expect(t.cp.runtime.poller?.health['fleet.resolved'].lastError?.code).toBe(
      'TRUST_ERR_BAD_SIGNATURE',
    );
  });

  it('adopts the next verified release and clears the alert', async () => {
    await t.publish({ hosts: hostsIn([2]), soakMinutes: [0], ciCommit: C2, signedAt: rfc3339() });
    expect(t.cp.runtime.state.artifacts.fleet?.value.meta.ciCommit).toBe(C2);
    expect(t.cp.runtime.state.artifacts.manifests.has(`stable@${C2}`)).toBe(true);
    // The older manifest is still served byte-for-byte.
    expect(t.cp.runtime.state.artifacts.manifests.has(`stable@${C1}`)).toBe(true);
    expect((await health())['status']).toBe('ok');
  });

  it('releases parked long-polls on shutdown within the deadline', async () => {
    const a = new SimAgent('h-000', await t.client('h-000'));
    const parked = a.poll(30);
    await new Promise((r) => setTimeout(r, 100));
    expect(t.cp.runtime.hub.size()).toBe(1);
    const started = Date.now();
    await t.cp.stop();
    expect(await parked).toBeNull();
    expect(Date.now() - started).toBeLessThan(2_500);
    await t.restart();
  });
});

describe('--strict', () => {
  it('refuses to start without client CA, trust file and artifact source', async () => {
    const config = parseConfig({
      listen: '127.0.0.1:0',
      db: join(t.dir, 'strict.db'),
      strict: true,
    });
    await expect(createControlPlane(config, { log: silentLogger() })).rejects.toMatchObject({
      code: 'CP_ERR_STRICT_MODE',
    });
  });
});
