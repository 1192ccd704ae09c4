// Real store paths, a real signed file binary cache, the sandbox backend:
// realise refuses foreign-signed and unsigned closures; activation switches,
// detects a failed switch, a verify mismatch, an inhibitor, and times out.
import { mkdtempSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activate, pollSwitch } from '../../ts/agent/activation/activate.ts';
import { realiseClosure } from '../../ts/agent/activation/realise.ts';
import { createSandboxBackend } from '../../ts/agent/activation/sandbox.ts';
import { systemClock } from '../../ts/agent/clock.ts';
import {
  buildToplevel,
  makeCacheKey,
  pushToCache,
  serveCache,
  type BuiltToplevel,
  type CacheKey,
  type ServedCache,
} from '../support/nix-store.ts';

const tmp = mkdtempSync(join(tmpdir(), 'nixfleet-agent-act-'));
const gen = `a${process.pid}`;
let good: BuiltToplevel;
let failing: BuiltToplevel;
let sneaky: BuiltToplevel;
let unsigned: BuiltToplevel;
let key: CacheKey;
let other: CacheKey;
let cache: ServedCache;

beforeAll(async () => {
  good = await buildToplevel({ workDir: tmp, host: 'web-01', generation: `${gen}-good` });
  failing = await buildToplevel({
    workDir: tmp,
    host: 'web-01',
    generation: `${gen}-fail`,
    switchScript: '#!/bin/sh\necho "unit foo.service failed" >&2\nexit 4\n',
  });
  sneaky = await buildToplevel({
    workDir: tmp,
    host: 'web-01',
    generation: `${gen}-sneaky`,
    // Points current-system elsewhere and reports success: a verify mismatch.
    switchScript: `#!/bin/sh\nln -sfn ${good.path} "$NIXFLEET_SANDBOX_ROOT/run/current-system"\nexit 0\n`,
  });
  unsigned = await buildToplevel({ workDir: tmp, host: 'web-01', generation: `${gen}-unsigned` });
  key = await makeCacheKey(join(tmp, 'keys'), 'cache-a');
  other = await makeCacheKey(join(tmp, 'keys'), 'cache-b');
  for (const t of [good, failing, sneaky]) await pushToCache(t.path, join(tmp, 'cache'), key);
  await pushToCache(unsigned.path, join(tmp, 'cache'), null);
  cache = await serveCache(join(tmp, 'cache'));
}, 180_000);

afterAll(async () => {
  await cache?.close();
  rmSync(tmp, { recursive: true, force: true });
});

function freshRoot(name: string): string {
  return join(tmp, 'roots', name);
}

const poll = { clock: systemClock, pollBudgetMs: 10_000, pollIntervalMs: 50 };

describe('realise', () => {
  it('fetches a closure signed by a trusted key into the host store', async () => {
    const root = freshRoot('realise-ok');
    const r = await realiseClosure({
      closure: good.closureHash,
      cacheUrls: [cache.url],
      trustedKeys: [key.publicKey],
      storeUri: `local?root=${root}`,
      timeoutMs: 60_000,
    });
    expect(r).toEqual({ ok: true, source: cache.url });
  }, 60_000);

  it('refuses a closure signed by a key not in cacheKeys', async () => {
    const r = await realiseClosure({
      closure: good.closureHash,
      cacheUrls: [cache.url],
      trustedKeys: [other.publicKey],
      storeUri: `local?root=${freshRoot('realise-foreign')}`,
      timeoutMs: 60_000,
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe('untrusted');
  }, 60_000);

  it('refuses an unsigned closure', async () => {
    const r = await realiseClosure({
      closure: unsigned.closureHash,
      cacheUrls: [cache.url],
      trustedKeys: [key.publicKey],
      storeUri: `local?root=${freshRoot('realise-unsigned')}`,
      timeoutMs: 60_000,
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe('untrusted');
  }, 60_000);

  it('reports a closure no cache has as unavailable', async () => {
    const r = await realiseClosure({
      closure: '00000000000000000000000000000000-nixos-system-none',
      cacheUrls: [cache.url],
      trustedKeys: [key.publicKey],
      storeUri: `local?root=${freshRoot('realise-missing')}`,
      timeoutMs: 60_000,
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe('unavailable');
  }, 60_000);
});

async function realised(root: string, ...tops: BuiltToplevel[]): Promise<void> {
  for (const t of tops) {
    const r = await realiseClosure({
      closure: t.closureHash,
      cacheUrls: [cache.url],
      trustedKeys: [key.publicKey],
      storeUri: `local?root=${root}`,
      timeoutMs: 60_000,
    });
    expect(r.ok).toBe(true);
  }
}

describe('sandbox activation', () => {
  it('sets the profile, switches detached, and verifies the current-system basename', async () => {
    const root = freshRoot('switch-ok');
    await realised(root, good);
    const backend = createSandboxBackend({ root });
    const launched: string[] = [];
    const out = await activate(backend, good.closureHash, {
      ...poll,
      checkInhibitors: true,
      onLaunched: (h) => void launched.push(h.id),
    });
    expect(out).toEqual({ kind: 'complete', observed: good.closureHash, exitCode: 0 });
    expect(launched).toHaveLength(1);
    expect(readlinkSync(join(root, 'nix/var/nix/profiles/system-1-link'))).toBe(good.path);
    expect(await backend.currentSystem()).toBe(good.closureHash);
  }, 60_000);

  it('reports a non-zero switch exit with its output', async () => {
    const root = freshRoot('switch-fail');
    await realised(root, failing);
    const backend = createSandboxBackend({ root });
    const out = await activate(backend, failing.closureHash, {
      ...poll,
      checkInhibitors: true,
      onLaunched: () => undefined,
    });
    expect(out.kind).toBe('failed');
    if (out.kind === 'failed') {
      expect(out.exitCode).toBe(4);
      expect(out.stderrTail).toContain('unit foo.service failed');
    }
  }, 60_000);

  it('detects a verify mismatch', async () => {
    const root = freshRoot('switch-mismatch');
    await realised(root, sneaky);
    const backend = createSandboxBackend({ root });
    const out = await activate(backend, sneaky.closureHash, {
      ...poll,
      checkInhibitors: true,
      onLaunched: () => undefined,
    });
    expect(out).toEqual({ kind: 'verify-mismatch', observed: good.closureHash, exitCode: 0 });
  }, 60_000);

  it('defers when the kernel differs, after setting the profile', async () => {
    const a = await buildToplevel({
      workDir: tmp,
      host: 'k',
      generation: `${gen}-k1`,
      files: { kernel: 'vmlinuz-6.1' },
    });
    const b = await buildToplevel({
      workDir: tmp,
      host: 'k',
      generation: `${gen}-k2`,
      files: { kernel: 'vmlinuz-6.6' },
    });
    await pushToCache(a.path, join(tmp, 'cache'), key);
    await pushToCache(b.path, join(tmp, 'cache'), key);
    const root = freshRoot('switch-defer');
    await realised(root, a, b);
    const backend = createSandboxBackend({ root });
    const first = await activate(backend, a.closureHash, {
      ...poll,
      checkInhibitors: true,
      onLaunched: () => undefined,
    });
    expect(first.kind).toBe('complete');
    const out = await activate(backend, b.closureHash, {
      ...poll,
      checkInhibitors: true,
      onLaunched: () => undefined,
    });
    expect(out).toEqual({ kind: 'deferred', component: 'kernel' });
    expect(readlinkSync(join(root, 'nix/var/nix/profiles/system'))).toBe('system-2-link');
    expect(await backend.currentSystem()).toBe(a.closureHash);
  }, 60_000);

  it('fails after the poll budget when the link never moves', async () => {
    const root = freshRoot('switch-timeout');
    const backend = createSandboxBackend({ root });
    symlinkSync(good.path, join(root, 'run/current-system'));
    const out = await pollSwitch(
      backend,
      { id: 'never', closure: failing.closureHash, startedAt: Date.now() },
      { ...poll, pollBudgetMs: 300 },
    );
    expect(out.kind).toBe('failed');
    if (out.kind === 'failed') expect(out.exitCode).toBeNull();
  });
});
