// The state directory's durable files through the real StateStore on a real
// directory: the one snapshot, its migration from the older layout, and the
// fail-closed reads of the snapshot and the rollback marks.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emptySnapshot, StateStore } from './store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function fresh(): StateStore {
  const dir = mkdtempSync(join(tmpdir(), 'nixfleet-store-'));
  dirs.push(dir);
  return new StateStore(dir);
}
const unusable = expect.objectContaining({ code: 'AGENT_ERR_STATE_UNUSABLE' });
const entry = { firstFailureAt: 1, lastFailureAt: 2, failureCount: 1, lastReportedAt: null };

describe('agent snapshot', () => {
  it('a migration cut short after the new snapshot was written does not re-read the old files', () => {
    const s = fresh();
    s.saveSnapshot({ ...emptySnapshot(), quarantine: { a: entry } });
    // Left behind by the interrupted migration; the snapshot already holds their content.
    writeFileSync(s.path('quarantine.json'), JSON.stringify({ schemaVersion: 1, closures: {} }));
    writeFileSync(s.path('deferred.json'), 'not even JSON');
    expect(s.loadSnapshot().quarantine).toEqual({ a: entry });
    expect(existsSync(s.path('quarantine.json'))).toBe(false);
    expect(existsSync(s.path('deferred.json'))).toBe(false);
  });

  it('an unreadable file of the older layout stops the migration; nothing is dropped', () => {
    const s = fresh();
    writeFileSync(s.path('quarantine.json'), '{"schemaVersion": 1, "closures": {"a": 3}}');
    expect(() => s.loadSnapshot()).toThrow(unusable);
    expect(readdirSync(s.dir).sort()).toEqual(['manifests', 'quarantine.json']);
  });

  it('a host that never had state starts empty and writes nothing', () => {
    const s = fresh();
    expect(s.loadSnapshot()).toEqual(emptySnapshot());
    expect(existsSync(s.path('agent-state.json'))).toBe(false);
  });
});

describe('high-water marks', () => {
  it('a corrupt high-water.json is refused, not read as "no marks"', () => {
    const s = fresh();
    s.raiseHighWater([
      { channel: 'stable', signedAt: '2026-05-16T01:27:00Z', release: 'stable@a' },
    ]);
    expect(s.loadHighWater().get('stable')?.release).toBe('stable@a');
    writeFileSync(s.path('high-water.json'), '{"schemaVersion": 1, "channels": ');
    expect(() => s.loadHighWater()).toThrow(unusable);
    expect(existsSync(s.path('high-water.json'))).toBe(true);
  });
});
