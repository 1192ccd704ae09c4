// Offline behaviour against the real control plane, with the offline grace
// shrunk to 2 s: when the CP goes away the agent keeps its generation and
// warns (AGENT_ERR_CP_UNREACHABLE) once the outage exceeds the grace. The
// last contact is persisted promptly (not only with the next state commit),
// so an agent restarted during the outage neither restarts the offline
// clock nor counts it from a stale commit.
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, until, type World } from './support/world.ts';

let w: World;

beforeAll(async () => {
  w = await startWorld({});
}, 240_000);

afterAll(async () => {
  await w?.close();
});

interface Line {
  readonly msg: string;
  readonly code?: string;
  readonly offlineForSecs?: number;
  readonly t: number;
}

function capture(): { log: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const log = pino(
    { level: 'info' },
    { write: (s: string) => void lines.push({ ...(JSON.parse(s) as Line), t: Date.now() }) },
  );
  return { log: log as unknown as Logger, lines };
}

const GRACE_WARNING = 'control plane unreachable past the offline grace period';
const warnings = (lines: readonly Line[]): Line[] =>
  lines.filter((l) => l.msg.startsWith(GRACE_WARNING));

describe('offline grace against the real CP', () => {
  it('counts the outage from the last contact, across agent restarts', async () => {
    const rid = await w.publish(1, w.gen1);
    const first = capture();
    const agent = await w.start({ offlineGrace: '2s' }, { log: first.log });
    await until(() => w.record(rid)?.state === 'Converged');
    // Heartbeats go on without any state commit.
    await new Promise((r) => setTimeout(r, 3_000));
    await w.t.cp.stop();
    const down = Date.now();
    await agent.stop();
    expect(warnings(first.lines)).toEqual([]);

    // Restarted during the outage: no warning until the grace has passed
    // since the last contact (not since the last state commit, 3 s older).
    const second = capture();
    const restarted = await w.start({ offlineGrace: '2s' }, { log: second.log });
    await until(() => warnings(second.lines).length > 0, 15_000);
    const warned = warnings(second.lines)[0]!;
    expect(warned.code).toBe('AGENT_ERR_CP_UNREACHABLE');
    expect(warned.t - down).toBeGreaterThanOrEqual(1_500);
    expect(await restarted.backend.currentSystem()).toBe(w.gen1.closureHash);
    await restarted.stop();

    // Restarted again, the outage is already past the grace: warned at once.
    const third = capture();
    const restartedAt = Date.now();
    const again = await w.start({ offlineGrace: '2s' }, { log: third.log });
    await until(() => warnings(third.lines).length > 0, 15_000);
    expect(warnings(third.lines)[0]!.t - restartedAt).toBeLessThan(1_500);
    expect(warnings(third.lines)[0]!.offlineForSecs).toBeGreaterThanOrEqual(2);
    await again.stop();
    await w.t.restart();
  }, 90_000);
});
