// `nixfleet release` builds the fleet in one batch; when one host of many
// fails (its evaluation throws like a NixOS assertion, its build fails, its
// pinned commit does not build, its push hook fails) the error names that host
// with Nix's (or the hook's) message, and nothing is written.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { releaseCommand } from '../../ts/cli/commands/release.ts';
import {
  fleetFile,
  flags,
  io,
  opensslSign,
  snapshot,
  tmp,
  useReleaseWorld,
} from './support/world.ts';

useReleaseWorld();
const releaseDir = join(tmp, 'releases');
let first: Record<string, string>;

beforeAll(async () => {
  const c = io();
  const code = await releaseCommand(c, flags({ fleetFile: fleetFile('fleet', { gen: 'h1' }) }));
  expect(code, c.err.join('\n')).toBe(0);
  first = snapshot(releaseDir);
}, 180_000);

/** A git repository holding a flake whose db-01 toplevel runs `script`; returns its URL and commit. */
function pinSource(name: string, script: string): { url: string; commit: string } {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'flake.nix'),
    `{ outputs = { self }: { nixosConfigurations.db-01.config.system.build.toplevel = builtins.derivation {
    name = "nixos-system-db-01-${name}"; system = builtins.currentSystem; builder = "/bin/sh"; PATH = "/bin:/usr/bin";
    args = [ "-c" ${JSON.stringify(script)} ];
  }; }; }
`,
  );
  const git = (...a: string[]): string =>
    execFileSync('git', ['-C', dir, ...a], { encoding: 'utf8' }).trim();
  git('init', '-q');
  git('add', 'flake.nix');
  git('-c', 'user.email=ci@example.com', '-c', 'user.name=CI', 'commit', '-qm', 'pinned');
  return { url: `git+file://${dir}`, commit: git('rev-parse', 'HEAD') };
}

describe('hook invocations', () => {
  it('the sign hook runs once per signed artifact, whatever the number of hosts', async () => {
    const counter = join(tmp, 'sign-calls');
    const dir = join(tmp, 'releases-count');
    const c = io();
    const code = await releaseCommand(
      c,
      flags({
        fleetFile: fleetFile('count', { gen: 'h7' }),
        signCmd: `echo "$NIXFLEET_INPUT" >> ${counter}; ${opensslSign}`,
        releaseDir: dir,
      }),
    );
    expect(code, c.err.join('\n')).toBe(0);
    const sigs = Object.keys(snapshot(dir)).filter((f) => f.endsWith('.sig'));
    // fleet.resolved, one rollout (one channel), revocations, bootstrap-nonces.
    expect(sigs).toHaveLength(4);
    expect(readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(sigs.length);
  }, 180_000);
});

describe('progress', () => {
  it('on a terminal, one status line counts built and pushed hosts instead of a line each', async () => {
    const c = io();
    const status: (string | null)[] = [];
    const code = await releaseCommand(
      { ...c, statusLine: (t) => void status.push(t) },
      flags({ fleetFile: fleetFile('tty', { gen: 'h8' }), releaseDir: join(tmp, 'releases-tty') }),
    );
    expect(code, c.err.join('\n')).toBe(0);
    const log = c.err.join('\n');
    expect(log).not.toMatch(/release: (built|pushed) /);
    expect(log).toContain('release: signing');
    const lines = status.filter((t): t is string => t !== null);
    expect(lines).toContain('built 3/3 · pushed 0/3 · 00:00');
    expect(lines.at(-1)).toBe('built 3/3 · pushed 3/3 · 00:00');
    // The line is cleared before the summary goes to stdout.
    expect(status.at(-1)).toBeNull();
  }, 180_000);
});

describe('one host of many fails: the error names it, nothing is written', () => {
  it('a host whose evaluation throws (a NixOS assertion failure)', async () => {
    const f = fleetFile('assert', { gen: 'h2' });
    writeFileSync(
      f,
      readFileSync(f, 'utf8').replace(
        'hosts.web-02 = host "web-02" [ "web" ];',
        `hosts.web-02 = host "web-02" [ "web" ] // { configuration.config.system.build.toplevel = throw "\\nFailed assertions:\\n- web-02: fileSystems./ is not defined"; };`,
      ),
    );
    const c = io();
    expect(await releaseCommand(c, flags({ fleetFile: f }))).toBe(1);
    const text = c.err.join('\n');
    expect(text).toMatch(/RELEASE_ERR_EVAL: evaluating host web-02 \(.*assert\.nix\) failed/);
    expect(text).toMatch(/Failed assertions:\s+- web-02: fileSystems\.\/ is not defined/);
    expect(text).not.toMatch(/evaluating host (web-01|db-01)/);
    expect(snapshot(releaseDir)).toEqual(first);
  }, 180_000);

  it('a host whose build fails, among hosts that build', async () => {
    const c = io();
    const code = await releaseCommand(
      c,
      flags({ fleetFile: fleetFile('broken', { gen: 'h3', broken: 'db-01' }), jobs: '2' }),
    );
    expect(code).toBe(1);
    const text = c.err.join('\n');
    expect(text).toMatch(/RELEASE_ERR_BUILD: building host db-01 failed/);
    expect(text).toMatch(/compiling db-01: error: boom/);
    expect(text).not.toMatch(/building host web-0/);
    expect(snapshot(releaseDir)).toEqual(first);
  }, 180_000);

  it('a pinned host among unpinned ones builds from its pinned commit', async () => {
    const pin = pinSource('pin-ok', 'mkdir -p $out/bin; echo pinned > $out/pinned');
    const c = io();
    const code = await releaseCommand(
      c,
      flags({
        fleetFile: fleetFile('pinned-ok', { gen: 'h4', pinDb: pin.commit }),
        pinSourceUrl: pin.url,
        releaseDir: join(tmp, 'releases-pinned'),
      }),
    );
    expect(code, c.err.join('\n')).toBe(0);
    const closures = (JSON.parse(c.out.join('')) as { closures: Record<string, string> }).closures;
    expect(closures['db-01']).toMatch(/-nixos-system-db-01-pin-ok$/);
    expect(closures['web-01']).toMatch(/-nixos-system-web-01-h4$/);
    // One log line per host and step (what CI shows).
    const log = c.err.join('\n');
    for (const h of ['db-01', 'web-01', 'web-02']) {
      expect(log).toContain(`release: built ${h} ${closures[h]} (`);
      expect(log).toMatch(new RegExp(`release: pushed ${h} \\([1-3]/3\\)`));
    }
  }, 180_000);

  it('a pinned host whose pinned commit fails to build is named', async () => {
    const pin = pinSource('pin-bad', 'echo "pinned db-01: error: kaput" >&2; exit 1');
    const c = io();
    const code = await releaseCommand(
      c,
      flags({
        fleetFile: fleetFile('pinned-bad', { gen: 'h5', pinDb: pin.commit }),
        pinSourceUrl: pin.url,
      }),
    );
    expect(code).toBe(1);
    const text = c.err.join('\n');
    expect(text).toMatch(/RELEASE_ERR_BUILD: building host db-01 failed/);
    expect(text).toMatch(/pinned db-01: error: kaput/);
    expect(snapshot(releaseDir)).toEqual(first);
  }, 180_000);

  it('push hooks failing for two hosts of many name both; nothing written', async () => {
    const c = io();
    const code = await releaseCommand(
      c,
      flags({
        fleetFile: fleetFile('push', { gen: 'h6' }),
        pushCmd:
          'case "$NIXFLEET_HOST" in web-01) exit 0;; *) echo "cache refused $NIXFLEET_HOST" >&2; exit 7;; esac',
      }),
    );
    expect(code).toBe(1);
    const text = c.err.join('\n');
    expect(text).toMatch(/RELEASE_ERR_PUSH_HOOK: --push-cmd failed for 2 hosts \(db-01, web-02\)/);
    expect(text).toMatch(/cache refused db-01/);
    expect(text).toMatch(/cache refused web-02/);
    expect(snapshot(releaseDir)).toEqual(first);
  }, 180_000);
});
