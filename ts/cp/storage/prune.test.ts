// Retention (the hourly prune, ts/cp/runtime/reconcile.ts): history goes,
// the evidence behind current state stays, and the prune always commits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStorage } from './sqlite.ts';

const dirs: string[] = [];
function tmpDb(): string {
  const d = mkdtempSync(join(tmpdir(), 'cp-prune-'));
  dirs.push(d);
  return join(d, 'state.db');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('event retention', () => {
  it('prunes the probe failures of pruned events with them (the history view does not outlive its log)', async () => {
    const s = openSqliteStorage(tmpDb());
    await s.migrate();
    const failure = (hostname: string, at: number, eventRef: number) =>
      ({
        op: 'insertProbeFailure',
        rolloutId: 'stable@ab',
        hostname,
        probe: 'compliance',
        controlId: 'firewall-enabled',
        framework: 'nis2',
        article: null,
        reason: null,
        observedAt: at,
        eventRef,
      }) as const;
    const event = (id: number, hostname: string, at: number) =>
      ({
        op: 'appendEvent',
        id,
        row: {
          recordedAt: at,
          stream: 'host',
          rolloutId: 'stable@ab',
          hostname,
          agentSeq: 1,
          kind: 'ProbeResult',
          body: {},
        },
      }) as const;
    await s.commit([event(1, 'old-01', 1_000), failure('old-01', 1_000, 1)]);
    await s.commit([event(2, 'new-01', 9_000), failure('new-01', 9_000, 2)]);
    await s.commit([{ op: 'pruneEvents', before: 5_000 }]);
    expect((await s.probeFailures('stable@ab')).map((r) => r.hostname)).toEqual(['new-01']);
    await s.close();
  });

  it('keeps a past-retention event that current state still points at, and the prune commits', async () => {
    const path = tmpDb();
    const s = openSqliteStorage(path);
    await s.migrate();
    const event = (id: number, at: number) =>
      ({
        op: 'appendEvent',
        id,
        row: {
          recordedAt: at,
          stream: 'host',
          rolloutId: 'stable@ab',
          hostname: 'web-01',
          agentSeq: id,
          kind: 'RollbackComplete',
          body: {},
        },
      }) as const;
    await s.commit([
      event(1, 1_000),
      {
        op: 'insertQuarantine',
        row: { channel: 'stable', closure: 'bad', quarantinedAt: 1_000 },
        eventRef: 1,
      },
    ]);
    await s.commit([event(2, 2_000)]);
    await s.commit([{ op: 'pruneEvents', before: 5_000 }]);
    await s.close();
    const raw = new Database(path, { readonly: true });
    const seqs = raw.prepare('SELECT seq FROM event_log ORDER BY seq').all() as { seq: number }[];
    raw.close();
    expect(seqs.map((r) => r.seq)).toEqual([1]);
  });
});
