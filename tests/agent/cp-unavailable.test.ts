// Unavailability is not a verdict: against the real control plane, a
// manifest the CP cannot serve for a while, and a closure the binary cache
// does not have yet, are retried on the CP's re-deliveries of the same
// dispatch; once they appear the host converges, and the CP never saw a
// DispatchReject. The manifest outage is injected into the CP's in-memory
// artifact store (the route answers 404 while it lasts); the closure outage
// is real: the closure is pushed to the cache only after the dispatch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAgent } from '../../ts/agent/index.ts';
import { execProbe, healthChecks, startWorld, until, type World } from './support/world.ts';

let w: World;
let agent: RunningAgent;

beforeAll(async () => {
  w = await startWorld({});
}, 240_000);

afterAll(async () => {
  await w?.close();
});

describe('transient unavailability against the real CP', () => {
  it('retries a manifest the CP cannot serve, then converges when it can', async () => {
    const gen2 = await w.build({
      generation: '2',
      files: {
        'etc/nixfleet/agent/health-checks.json': healthChecks(w.host.name, execProbe('/bin/true')),
      },
    });
    await w.push(gen2);
    // Published first: a poll replaces the CP's artifact snapshot.
    const rid = await w.publish(2, gen2);
    const manifests = w.t.cp.runtime.state.artifacts.manifests as Map<string, unknown>;
    const get = manifests.get.bind(manifests);
    let refusedFetches = 0;
    let outage = true;
    manifests.get = (id: string) => {
      if (outage && id.startsWith('stable@')) {
        refusedFetches += 1;
        return undefined;
      }
      return get(id);
    };
    agent = await w.start();
    try {
      await until(() => refusedFetches >= 3, 30_000);
      expect(w.record(rid)?.state).toBe('Pending');
      expect(agent.loop.snapshot.lastSeqByRollout[rid]).toBeUndefined();
    } finally {
      outage = false;
    }
    await until(() => w.record(rid)?.state === 'Converged');
    expect(w.record(rid)?.rejectReason).toBeNull();
    expect(await agent.backend.currentSystem()).toBe(gen2.closureHash);
  }, 120_000);

  it('retries a closure the cache does not have yet, then converges once it is pushed', async () => {
    const gen3 = await w.build({
      generation: '3',
      files: {
        'etc/nixfleet/agent/health-checks.json': healthChecks(w.host.name, execProbe('/bin/true')),
      },
    });
    const rid = await w.publish(3, gen3);
    await until(
      () => agent.loop.snapshot.record?.rolloutId !== rid && w.record(rid)?.state === 'Pending',
    );
    // Several delivery rounds without the closure: still Pending, nothing refused.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(w.record(rid)?.state).toBe('Pending');
    expect(agent.loop.snapshot.lastSeqByRollout[rid]).toBeUndefined();
    await w.push(gen3);
    await until(() => w.record(rid)?.state === 'Converged');
    expect(w.record(rid)?.rejectReason).toBeNull();
    expect(await agent.backend.currentSystem()).toBe(gen3.closureHash);
  }, 120_000);
});
