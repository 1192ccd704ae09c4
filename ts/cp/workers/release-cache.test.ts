// The release copy follows the adopted release (older manifests removed) and
// never survives a failed save: a stale release must not be restorable.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { releaseCache, type SignedFile } from './release-cache.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'nf-release-cache-'));
  dirs.push(d);
  return d;
};
const file = (rel: string, text: string): SignedFile => ({
  rel,
  bytes: new TextEncoder().encode(text),
  signature: new TextEncoder().encode(`sig:${text}`),
});

describe('releaseCache', () => {
  it('keeps exactly the last saved release, readable as a release directory', async () => {
    const dir = join(tmp(), 'last-release');
    const cache = releaseCache(dir);
    cache.save(file('fleet.resolved.json', 'f1'), [file('rollouts/stable@a1.json', 'm1')]);
    cache.save(file('fleet.resolved.json', 'f2'), [
      file('rollouts/stable@a2.json', 'm2'),
      file('rollouts/edge@a2.json', 'e2'),
    ]);
    expect(readdirSync(join(dir, 'rollouts')).sort()).toEqual([
      'edge@a2.json',
      'edge@a2.json.sig',
      'stable@a2.json',
      'stable@a2.json.sig',
    ]);
    expect(
      new TextDecoder().decode((await cache.source.read('fleet.resolved.json')) ?? undefined),
    ).toBe('f2');
    expect(readFileSync(join(dir, 'fleet.resolved.json.sig'), 'utf8')).toBe('sig:f2');
    expect(await cache.source.read('rollouts/stable@a1.json')).toBeNull();
  });

  it('removes the whole copy when a save fails', () => {
    const dir = join(tmp(), 'last-release');
    const cache = releaseCache(dir);
    cache.save(file('fleet.resolved.json', 'f1'), [file('rollouts/stable@a1.json', 'm1')]);
    // A directory where the next manifest file must go: its write fails.
    rmSync(join(dir, 'rollouts'), { recursive: true });
    writeFileSync(join(dir, 'rollouts'), 'not a directory');
    expect(() =>
      cache.save(file('fleet.resolved.json', 'f2'), [file('rollouts/stable@a2.json', 'm2')]),
    ).toThrow();
    expect(existsSync(dir)).toBe(false);
  });
});
