// The agent's own decisions against the real control plane. A closure whose
// enforce probe keeps failing past the sustained-failure threshold is rolled
// back to the closure the host ran at dispatch (rollback-and-halt from the
// signed manifest): the CP records Failed then Reverted and the agent
// quarantines the closure. A closure whose kernel differs from the running
// one is staged but not switched live (Deferred); after the "reboot" (the
// sandbox's current-system now points at it, the agent restarts) the agent
// reports the activation complete and the host converges.
import { symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAgent } from '../../ts/agent/index.ts';
import { execProbe, healthChecks, startWorld, until, type World } from './support/world.ts';

let w: World;
let agent: RunningAgent;
const states: string[] = [];

beforeAll(async () => {
  w = await startWorld({});
}, 240_000);

afterAll(async () => {
  await w?.close();
});

const checks = (command: string) => ({
  'etc/nixfleet/agent/health-checks.json': healthChecks(w.host.name, execProbe(command)),
});

/** Records every state the CP holds for the host in `rid` while `pred` is awaited. */
async function watch(rid: string, pred: () => boolean, ms = 60_000): Promise<void> {
  await until(() => {
    const s = w.record(rid)?.state;
    if (s !== undefined && states.at(-1) !== s) states.push(s);
    return pred();
  }, ms);
}

describe('agent decisions against the real CP', () => {
  it('rolls back a closure whose enforce probe fails for the sustained-failure threshold', async () => {
    const bad = await w.build({ generation: 'bad', files: checks('/bin/false') });
    await w.push(bad);
    const rid = await w.publish(2, bad, { onHealthFailure: 'rollback-and-halt' });
    agent = await w.start({ sustainedFailureThreshold: '1s' });
    states.length = 0;
    await watch(rid, () => w.record(rid)?.state === 'Reverted');
    expect(states).toContain('Soaking');
    expect(states.at(-1)).toBe('Reverted');
    const rec = w.record(rid)!;
    expect(rec.failedAt).not.toBeNull();
    expect(rec.revertedAt).toBeGreaterThanOrEqual(rec.failedAt!);
    expect(rec).toMatchObject({
      policyApplied: 'rollback-and-halt',
      currentClosureAtDispatch: w.gen1.closureHash,
      revertedTo: w.gen1.closureHash,
      currentClosure: w.gen1.closureHash,
    });
    expect(rec.failureReason).toMatch(/sustained enforce-probe failure: alive/);
    expect(await agent.backend.currentSystem()).toBe(w.gen1.closureHash);
    expect(agent.loop.snapshot.record).toMatchObject({ rolloutId: rid, state: 'Reverted' });
  }, 120_000);

  it('defers a kernel change, then completes and converges after the reboot', async () => {
    const k1 = await w.build({
      generation: 'k1',
      files: { ...checks('/bin/true'), kernel: 'linux 6.1' },
    });
    const k2 = await w.build({
      generation: 'k2',
      files: { ...checks('/bin/true'), kernel: 'linux 6.6' },
    });
    await w.push(k1);
    await w.push(k2);
    const r1 = await w.publish(3, k1);
    await until(() => w.record(r1)?.state === 'Converged');
    const r2 = await w.publish(4, k2);
    states.length = 0;
    await watch(r2, () => w.record(r2)?.state === 'Deferred');
    expect(w.record(r2)?.deferredComponent).toBe('kernel');
    expect(await agent.backend.currentSystem()).toBe(k1.closureHash);
    await agent.stop();
    // The reboot: the bootloader starts the staged generation.
    const link = join(w.sandboxRoot, 'run/current-system');
    unlinkSync(link);
    symlinkSync(k2.path, link);
    agent = await w.start();
    await watch(r2, () => w.record(r2)?.state === 'Converged');
    expect(states.indexOf('Deferred')).toBeGreaterThanOrEqual(0);
    expect(states.indexOf('Deferred')).toBeLessThan(states.indexOf('Converged'));
    const rec = w.record(r2)!;
    expect(rec.activationCompletedAt).toBeGreaterThan(rec.deferredAt!);
    expect(w.record(r2)?.currentClosure).toBe(k2.closureHash);
    expect(agent.store.loadSnapshot().deferred).toBeNull();
  }, 120_000);
});
