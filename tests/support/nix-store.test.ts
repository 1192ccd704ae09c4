// The fixtures themselves must be real: a built toplevel is a store path, a
// signed cache serves it, a client trusting the key can fetch it into its own
// store, and a client trusting another key is refused.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runNix } from '../../ts/nix/index.ts';
import { buildToplevel, makeCacheKey, pushToCache, serveCache } from './nix-store.ts';

const tmp = mkdtempSync(join(tmpdir(), 'nixfleet-store-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('nix store fixtures', () => {
  it('builds a toplevel, serves it from a signed cache, and only the trusted key fetches it', async () => {
    const top = await buildToplevel({
      workDir: tmp,
      host: 'web-01',
      generation: `t${process.pid}`,
      switchScript: '#!/bin/sh\necho switched\n',
    });
    expect(top.path).toMatch(/^\/nix\/store\/[0-9a-z]{32}-nixos-system-web-01-/);
    expect(existsSync(join(top.path, 'bin/switch-to-configuration'))).toBe(true);

    const key = await makeCacheKey(join(tmp, 'keys'), 'test-cache-1');
    const other = await makeCacheKey(join(tmp, 'keys'), 'other-cache-1');
    await pushToCache(top.path, join(tmp, 'cache'), key);
    const served = await serveCache(join(tmp, 'cache'));
    try {
      const fetch = (pub: string, root: string) =>
        runNix(
          'nix',
          [
            'copy',
            '--from',
            served.url,
            '--to',
            `local?root=${join(tmp, root)}`,
            '--option',
            'trusted-public-keys',
            pub,
            top.path,
          ],
          { timeoutMs: 60_000 },
        );
      const good = await fetch(key.publicKey, 'host-a');
      expect(good.ok, good.ok ? '' : good.stderr).toBe(true);
      expect(existsSync(join(tmp, 'host-a', top.path, 'bin/switch-to-configuration'))).toBe(true);
      const bad = await fetch(other.publicKey, 'host-b');
      expect(bad.ok).toBe(false);
      if (!bad.ok) expect(bad.stderr).toMatch(/lacks a valid signature/);
    } finally {
      await served.close();
    }
  }, 120_000);
});
