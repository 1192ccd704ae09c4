// A release source that is not there is an alert, not silence. A mistyped
// --release-dir used to leave /healthz at `starting` forever (fresh
// database) or `ok` on the release the CP had adopted before: nobody learns
// that CI's publications no longer reach the fleet. Real CP, real TLS
// listener, /healthz read over HTTP/2.
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rfc3339 } from './kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';

const C1 = 'c1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';

interface Alert {
  readonly code: string;
  readonly message: string;
  readonly artifact: string | null;
  readonly path: string | null;
}

async function health(t: TestCp): Promise<{ status: string; alerts: Alert[] }> {
  const c = await t.anonymous();
  try {
    const r = await c.request('/healthz', { noProtocol: true });
    expect(r.status).toBe(200);
    return r.json();
  } finally {
    c.close();
  }
}

let t: TestCp | null = null;
let scratch: string | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
  if (scratch !== null) rmSync(scratch, { recursive: true, force: true });
  scratch = null;
});

describe('/healthz and the release source', () => {
  it('a --release-dir that does not exist degrades /healthz after the first poll (fresh database)', async () => {
    scratch = mkdtempSync(join(tmpdir(), 'nixfleet-typo-'));
    const typo = join(scratch, 'relaese');
    t = await startTestCp({ flags: { releaseDir: typo } });
    const h = await health(t);
    expect(h.status).toBe('degraded');
    const alert = h.alerts.find((a) => a.artifact === 'fleet.resolved');
    expect(alert, JSON.stringify(h.alerts)).toMatchObject({
      code: 'CP_ERR_RELEASE_SOURCE_MISSING',
      path: 'fleet.resolved.json',
    });
    expect(alert?.message).toContain(typo);
    expect(alert?.message).toContain('--release-dir');
  });

  it('no artifact source at all degrades /healthz: the CP can never plan', async () => {
    t = await startTestCp({ flags: { releaseDir: undefined } });
    const h = await health(t);
    expect(h.status).toBe('degraded');
    expect(h.alerts).toEqual([
      expect.objectContaining({ code: 'CP_ERR_NO_ARTIFACT_SOURCE', artifact: 'fleet.resolved' }),
    ]);
    expect(h.alerts[0]?.message).toContain('--release-dir');
  });

  it('a release directory holding nothing signed degrades /healthz', async () => {
    scratch = mkdtempSync(join(tmpdir(), 'nixfleet-empty-'));
    const empty = join(scratch, 'release');
    mkdirSync(empty);
    t = await startTestCp({ flags: { releaseDir: empty } });
    const h = await health(t);
    expect(h.status).toBe('degraded');
    expect(h.alerts.find((a) => a.artifact === 'fleet.resolved')).toMatchObject({
      code: 'CP_ERR_ARTIFACT_MISSING',
      path: 'fleet.resolved.json',
    });
  });

  it('a source that disappears leaves the adopted release in use and says it is stale, also after a restart', async () => {
    const signedAt = rfc3339();
    t = await startTestCp({
      release: { hosts: hostsIn([1]), soakMinutes: [0], ciCommit: C1, signedAt },
    });
    expect((await health(t)).status).toBe('ok');
    const moved = `${t.releaseDir}.moved`;
    renameSync(t.releaseDir, moved);
    await t.cp.poll();
    let h = await health(t);
    expect(h.status).toBe('degraded');
    let alert = h.alerts.find((a) => a.artifact === 'fleet.resolved');
    expect(alert?.code).toBe('CP_ERR_RELEASE_SOURCE_MISSING');
    expect(alert?.message).toContain(`serving the release signed ${signedAt}`);
    expect(t.cp.runtime.state.artifacts.fleet?.value.meta.ciCommit).toBe(C1);

    // A restart restores the CP's own copy of that release; still stale.
    await t.restart();
    expect(t.cp.runtime.state.artifacts.fleet?.value.meta.ciCommit).toBe(C1);
    h = await health(t);
    expect(h.status).toBe('degraded');
    alert = h.alerts.find((a) => a.artifact === 'fleet.resolved');
    expect(alert?.code).toBe('CP_ERR_RELEASE_SOURCE_MISSING');
    expect(alert?.message).toContain("restored from the CP's copy");

    // The source is back: the alert clears.
    renameSync(moved, t.releaseDir);
    await t.cp.poll();
    h = await health(t);
    expect(h).toMatchObject({ status: 'ok', alerts: [] });
  });
});
