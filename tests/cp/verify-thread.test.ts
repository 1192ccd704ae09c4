// Release verification on the CP's verify thread: the poller of a real CP
// verifies every artifact there, and adoption still fails closed — a
// tampered or stale release is refused with its TRUST_ERR_* code, a release
// the thread cannot answer for (thread gone) is refused with
// CP_ERR_VERIFY_THREAD, and only a release that verified is adopted, with
// exactly the value CI signed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrustConfigBytes } from '../../ts/trust/index.ts';
import { verifyRequest, type VerifyRequest } from '../../ts/cp/workers/verify-request.ts';
import { VerifyThread } from '../../ts/cp/workers/verify-thread.ts';
import { rfc3339 } from './kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';
import { writeRelease } from './kit/release.ts';

const C1 = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const C2 = 'a2b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const C3 = 'a3b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const HOUR = 3_600_000;
let t: TestCp;

beforeAll(async () => {
  t = await startTestCp({
    release: { hosts: hostsIn([2, 3]), soakMinutes: [0, 0], ciCommit: C1, signedAt: rfc3339() },
    flags: { artifactFreshnessMinutes: '60' },
  });
});
afterAll(async () => {
  await t.close();
});

const adopted = (): string | null | undefined =>
  t.cp.runtime.state.artifacts.fleet?.value.meta.ciCommit;
const lastError = (): string | undefined =>
  t.cp.runtime.poller?.health['fleet.resolved'].lastError?.code;

describe('verification on the verify thread', () => {
  it('adopts a verified release with exactly the value CI signed', () => {
    expect(adopted()).toBe(C1);
    expect(t.cp.runtime.state.artifacts.fleet?.value).toEqual(t.release?.fleet);
    expect(t.cp.runtime.state.manifestValues.get(`stable@${C1}`)).toEqual(
      t.release?.manifests.get(`stable@${C1}`),
    );
  });

  it('refuses a tampered fleet.resolved: nothing adopted, TRUST_ERR_BAD_SIGNATURE', async () => {
    writeRelease(t.releaseDir, t.trust, {
      hosts: hostsIn([2, 3]),
      soakMinutes: [0, 0],
      ciCommit: C2,
      signedAt: rfc3339(),
    });
    const path = join(t.releaseDir, 'fleet.resolved.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"x86_64-linux"', '"aarch64-linux"'));
    await t.cp.poll();
    expect(adopted()).toBe(C1);
    expect(lastError()).toBe('TRUST_ERR_BAD_SIGNATURE');
  });

  it('refuses a release signed before the freshness window: nothing adopted, TRUST_ERR_STALE', async () => {
    writeRelease(t.releaseDir, t.trust, {
      hosts: hostsIn([2, 3]),
      soakMinutes: [0, 0],
      ciCommit: C2,
      signedAt: rfc3339(Date.now() - 2 * HOUR),
    });
    await t.cp.poll();
    expect(adopted()).toBe(C1);
    expect(lastError()).toBe('TRUST_ERR_STALE');
  });

  it('answers as ts/trust does inline, for a valid, a tampered and a stale artifact', async () => {
    const trust = parseTrustConfigBytes(new Uint8Array(readFileSync(t.trust.trustFile)));
    if (!trust.ok) throw new Error(trust.error.message);
    const thread = new VerifyThread(trust.value);
    try {
      const dir = join(t.dir, 'signed-2h-ago');
      const signedAt = Date.now() - 2 * HOUR;
      writeRelease(dir, t.trust, {
        hosts: hostsIn([2, 3]),
        soakMinutes: [0, 0],
        ciCommit: C2,
        signedAt: rfc3339(signedAt),
      });
      const bytes = new Uint8Array(readFileSync(join(dir, 'fleet.resolved.json')));
      const sig = new Uint8Array(readFileSync(join(dir, 'fleet.resolved.json.sig')));
      const tampered = Uint8Array.from(bytes);
      const at = tampered.length - 3;
      tampered[at] = (tampered[at] as number) ^ 1;
      const now = Date.now();
      const reqs: VerifyRequest<'fleet.resolved'>[] = [
        { kind: 'fleet.resolved', bytes, sig, now: signedAt, freshnessWindowSecs: 3600 },
        { kind: 'fleet.resolved', bytes: tampered, sig, now, freshnessWindowSecs: 3600 },
        { kind: 'fleet.resolved', bytes, sig, now, freshnessWindowSecs: 3600 },
      ];
      const codes = [];
      for (const req of reqs) {
        const r = await thread.verify(req);
        expect(r).toEqual(verifyRequest(trust.value, req));
        codes.push(r.ok ? 'ok' : r.error.code);
      }
      expect(codes).toEqual(['ok', codes[1], 'TRUST_ERR_STALE']);
      expect(codes[1]).toMatch(/^TRUST_ERR_/);
    } finally {
      await thread.close();
    }
  });

  it('starts a thread on demand, ends it when idle, and replaces one that died', async () => {
    const trust = parseTrustConfigBytes(new Uint8Array(readFileSync(t.trust.trustFile)));
    if (!trust.ok) throw new Error(trust.error.message);
    const thread = new VerifyThread(trust.value, 200);
    const req: VerifyRequest<'revocations'> = {
      kind: 'revocations',
      bytes: new Uint8Array(readFileSync(join(t.releaseDir, 'revocations.json'))),
      sig: new Uint8Array(readFileSync(join(t.releaseDir, 'revocations.json.sig'))),
      now: Date.now(),
      // The release directory holds the one of the previous test, signed 2 h ago.
      freshnessWindowSecs: 86_400,
    };
    try {
      expect(thread.running()).toBe(false);
      expect((await thread.verify(req)).ok).toBe(true);
      expect(thread.running()).toBe(true);
      await new Promise((r) => setTimeout(r, 400));
      expect(thread.running()).toBe(false);
      expect((await thread.verify(req)).ok).toBe(true);
      // The thread dies with a verification in flight: refused, not passed.
      const worker = (thread as unknown as { worker: { terminate(): Promise<number> } }).worker;
      void worker.terminate();
      await expect(thread.verify(req)).rejects.toMatchObject({ code: 'CP_ERR_VERIFY_THREAD' });
      expect((await thread.verify(req)).ok).toBe(true);
    } finally {
      await thread.close();
    }
  });

  it('adopts nothing when the verify thread is gone: CP_ERR_VERIFY_THREAD', async () => {
    await t.cp.runtime.poller?.close();
    writeRelease(t.releaseDir, t.trust, {
      hosts: hostsIn([2, 3]),
      soakMinutes: [0, 0],
      ciCommit: C3,
      signedAt: rfc3339(),
    });
    await t.cp.poll();
    expect(adopted()).toBe(C1);
    expect(lastError()).toBe('CP_ERR_VERIFY_THREAD');
  });
});
