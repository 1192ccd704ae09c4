import { describe, expect, it } from 'vitest';
import { silentLogger } from '../log.ts';
import { ReconcileLoop } from './reconcile-loop.ts';

describe('ReconcileLoop', () => {
  const run = async (
    requests: readonly [string, string | undefined][],
  ): Promise<{ trigger: string; rollouts: ReadonlySet<string> | undefined }[]> => {
    const ticks: { trigger: string; rollouts: ReadonlySet<string> | undefined }[] = [];
    const loop = new ReconcileLoop({
      intervalMs: 60_000,
      debounceMs: 20,
      log: silentLogger(),
      tick: async (trigger, rollouts) => void ticks.push({ trigger, rollouts }),
    });
    loop.start();
    for (const [reason, rollout] of requests) loop.request(reason, rollout);
    await new Promise((r) => setTimeout(r, 60));
    loop.stop();
    return ticks;
  };

  it('collapses the requests of a window into one tick naming their rollouts', async () => {
    const ticks = await run([
      ['event DispatchAck', 'a@1'],
      ['event Converged', 'b@2'],
      ['event ActivationStarted', 'a@1'],
    ]);
    expect(ticks).toHaveLength(1);
    expect(ticks[0]?.trigger).toBe('event DispatchAck');
    expect([...(ticks[0]?.rollouts ?? [])]).toEqual(['a@1', 'b@2']);
  });

  it('a request naming no rollout widens the tick to everything', async () => {
    const ticks = await run([
      ['event DispatchAck', 'a@1'],
      ['host online', undefined],
      ['event Converged', 'b@2'],
    ]);
    expect(ticks).toHaveLength(1);
    expect(ticks[0]?.rollouts).toBeUndefined();
  });
});
