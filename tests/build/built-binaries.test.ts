// The production build on a clean checkout: the files git tracks (as a clone
// of this tree would hold them, no dist/, no .state/) are copied to a fresh
// directory and built with `npm run build`; the three binaries of
// package.json "bin" then run from dist/ with only the runtime dependencies
// installed — tsx and the other development packages absent, so a build
// that still needed the TypeScript loader (or reached back into ts/) fails
// here. Each binary answers --version and --help and does real work: the
// control plane serves (edge and commit threads included), `nixfleet status
// --json` reads it over mTLS, `nixfleet canonicalize` canonicalizes, and the
// agent asks that control plane for enrollment and logs its refusal.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type TestPki } from '../cp/kit/pki.ts';
import { makeTrust, writeRelease, type TestTrust } from '../cp/kit/release.ts';
import { makeHost, writeAgentTrust, writeToken, type TestHost } from '../agent/support/fleet.ts';
import { freePort, until } from '../agent/support/world.ts';

const repo = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
};
let dir: string;
let checkout: string;
let pki: TestPki;
let trust: TestTrust;
let host: TestHost;
let cp: ChildProcess | null = null;
let cpUrl: string;
let cpOut = '';
const children: ChildProcess[] = [];

/** The environment of a user's shell: no NIXFLEET_* settings, no operator config. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { HOME: join(dir, 'home'), NODE_NO_WARNINGS: '1' };
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('NIXFLEET_') && !(k in env)) env[k] = v;
  return env;
}

/** Runs one of package.json's binaries from the checkout. */
function bin(name: string, args: readonly string[], input?: string) {
  const file = pkg.bin[name];
  if (file === undefined) throw new Error(`${name} is not in package.json "bin"`);
  return spawnSync(process.execPath, [join(checkout, file), ...args], {
    cwd: checkout,
    env: cleanEnv(),
    encoding: 'utf8',
    timeout: 30_000,
    ...(input === undefined ? {} : { input }),
  });
}

/**
 * node_modules holding only the production tree's top-level packages (links
 * into this repository's node_modules; a link's own dependencies resolve
 * where it points, the built code's imports resolve here).
 */
function productionModules(into: string): void {
  const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  for (const [key, entry] of Object.entries(lock.packages)) {
    const name = key.replace(/^node_modules\//, '');
    if (key === '' || entry.dev === true || name.includes('node_modules/')) continue;
    mkdirSync(dirname(join(into, name)), { recursive: true });
    symlinkSync(join(repo, key), join(into, name));
  }
}

/**
 * The files of dist/ a program loads: its entry's static import graph
 * (esbuild marks each bundled source with a `// path` line), plus what it
 * may `import()` when `dynamic`.
 */
function graph(entry: string, dynamic: boolean): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(
      /^(?:import|export)\s[^;]*?from\s*"(\.\/[^"]+)"|^import\s*"(\.\/[^"]+)"/gms,
    ))
      visit(join(dirname(file), m[1] ?? m[2] ?? ''));
    if (dynamic)
      for (const m of text.matchAll(/\bimport\(\s*"(\.\/[^"]+)"\s*\)/g))
        visit(join(dirname(file), m[1]!));
  };
  visit(join(checkout, entry));
  return [...seen];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nixfleet-built-'));
  mkdirSync(join(dir, 'home'));
  checkout = join(dir, 'checkout');
  // What a clone holds: tracked files plus new ones not ignored (this tree's edits included).
  const files = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repo,
    encoding: 'utf8',
  })
    .stdout.split('\0')
    .filter((f) => f !== '');
  for (const f of files) {
    mkdirSync(dirname(join(checkout, f)), { recursive: true });
    try {
      copyFileSync(join(repo, f), join(checkout, f));
    } catch {
      // Deleted in the working tree but not yet from the index.
    }
  }
  // The build runs with the development tree (esbuild)…
  symlinkSync(join(repo, 'node_modules'), join(checkout, 'node_modules'));
  const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: checkout, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}${built.stderr}`);
  // …the programs with the production tree only.
  rmSync(join(checkout, 'node_modules'));
  productionModules(join(checkout, 'node_modules'));

  pki = await makePki(dir);
  trust = makeTrust(dir);
  host = makeHost(join(dir, 'host'), 'web-01');
  const releaseDir = join(dir, 'release');
  writeRelease(releaseDir, trust, {
    hosts: [{ name: host.name, channel: 'stable', wave: 0, pubkey: host.pubkeyLine }],
    soakMinutes: [0],
    ciCommit: 'a0b1c2d3'.repeat(5),
    signedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    nonces: [],
  });
  const port = await freePort();
  cpUrl = `https://127.0.0.1:${port}`;
  cp = spawn(
    process.execPath,
    [
      join(checkout, pkg.bin['nixfleet-control-plane'] ?? ''),
      'serve',
      `--listen=127.0.0.1:${port}`,
      `--tls-cert=${pki.serverCertFile}`,
      `--tls-key=${pki.serverKeyFile}`,
      `--fleet-ca-cert=${pki.caCertFile}`,
      `--fleet-ca-key=${pki.caKeyFile}`,
      `--trust-file=${trust.trustFile}`,
      `--db=${join(dir, 'state.db')}`,
      `--release-dir=${releaseDir}`,
      '--log-level=info',
    ],
    { cwd: checkout, env: cleanEnv() },
  );
  children.push(cp);
  cp.stdout?.on('data', (d: Buffer) => (cpOut += d.toString()));
  cp.stderr?.on('data', (d: Buffer) => (cpOut += d.toString()));
}, 120_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the built binaries on a clean checkout, production dependencies only', () => {
  it('no TypeScript loader is installed next to them', () => {
    expect(() => readFileSync(join(checkout, 'node_modules/tsx/package.json'))).toThrow();
    expect(readFileSync(join(checkout, 'node_modules/better-sqlite3/package.json'))).toBeTruthy();
  });

  it('nixfleet starts without the modules its commands load: no Ink, React, ajv, X.509 or undici', () => {
    const sources = graph(pkg.bin['nixfleet'] ?? '', false).flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/^\/\/ \S*?(node_modules\/(?:@[^/]+\/)?[^/\s]+)/gm)].map(
        (m) => m[1],
      ),
    );
    expect(new Set(sources)).toEqual(new Set(['node_modules/commander']));
  });

  it('nixfleet-agent never loads the X.509 library or ajv: not at start, not for a CSR', () => {
    // Dynamic imports included: what an agent loads once (enrollment, renewal) stays resident.
    const sources = graph(pkg.bin['nixfleet-agent'] ?? '', true).flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/^\/\/ \S*?(node_modules\/(?:@[^/]+\/)?[^/\s]+)/gm)].map(
        (m) => m[1],
      ),
    );
    expect(sources).not.toContain('node_modules/@peculiar/x509');
    expect(sources).not.toContain('node_modules/ajv');
  });

  it('validation is the generated standalone code: no program bundles ajv, only the control plane the schemas', () => {
    const validators = readdirSync(join(checkout, 'dist/validators'));
    expect(validators.length).toBeGreaterThan(0);
    for (const [name, file] of Object.entries(pkg.bin)) {
      const marks = graph(file, true).flatMap((f) =>
        [...readFileSync(f, 'utf8').matchAll(/^\/\/ (\S*?node_modules\/ajv\/|schemas\/)/gm)].map(
          (m) => (m[1]!.startsWith('schemas/') ? 'schemas' : 'ajv'),
        ),
      );
      expect([name, [...new Set(marks)]]).toEqual([
        name,
        name === 'nixfleet-control-plane' ? ['schemas'] : [],
      ]);
    }
  });

  it.each(['nixfleet', 'nixfleet-agent', 'nixfleet-control-plane', 'nixfleet-compliance-collect'])(
    '%s --version and --help',
    (name) => {
      const v = bin(name, ['--version']);
      expect(v.stderr).toBe('');
      expect(v.status).toBe(0);
      expect(v.stdout.trim()).toMatch(
        new RegExp(`^${name} ${pkg.version.replace(/\./g, '\\.')} \\(commit unknown, node v\\d+`),
      );
      const h = bin(name, ['--help']);
      expect(h.status, h.stderr).toBe(0);
      expect(h.stdout).toMatch(new RegExp(`^Usage: ${name}`));
    },
  );

  it('nixfleet canonicalize', () => {
    const r = bin('nixfleet', ['canonicalize'], '{"b": 1, "a": [true, null]}');
    expect(r.stderr).toBe('');
    expect([r.status, r.stdout]).toEqual([0, '{"a":[true,null],"b":1}']);
  });

  it('nixfleet-control-plane serves; nixfleet status --json reads it over mTLS', async () => {
    const op = await pki.client('operator:test');
    writeFileSync(join(dir, 'op.crt'), op.cert);
    writeFileSync(join(dir, 'op.key'), op.key, { mode: 0o600 });
    const status = (): ReturnType<typeof bin> =>
      bin('nixfleet', [
        'status',
        '--json',
        `--cp-url=${cpUrl}`,
        `--ca-cert=${pki.caCertFile}`,
        `--client-cert=${join(dir, 'op.crt')}`,
        `--client-key=${join(dir, 'op.key')}`,
      ]);
    let r = status();
    await until(() => {
      r = status();
      return r.stdout.includes('"hosts"') || cp?.exitCode !== null;
    }, 30_000).catch(() => undefined);
    expect(cp?.exitCode, cpOut).toBe(null);
    expect(r.stderr, cpOut).toBe('');
    const doc = JSON.parse(r.stdout) as { hosts: { hostname: string }[] };
    expect(doc.hosts.map((h) => h.hostname)).toEqual([host.name]);
    // web-01 was never seen: the verdict is "needs attention".
    expect(r.status).toBe(1);
  }, 60_000);

  it('nixfleet-agent asks the control plane for enrollment and logs its refusal', async () => {
    // Executed as a service manager would: through its `#!` line and the Node flags it carries.
    const agent = spawn(
      join(checkout, pkg.bin['nixfleet-agent'] ?? ''),
      [
        `--control-plane-url=${cpUrl}`,
        `--machine-id=${host.name}`,
        `--trust-file=${writeAgentTrust(dir, trust, 'cache-1:' + 'A'.repeat(43) + '=')}`,
        `--ca-cert=${pki.caCertFile}`,
        `--ssh-host-key-file=${host.keyFile}`,
        `--bootstrap-token-file=${writeToken(dir, trust, host, 'fedcba9876543210fedcba9876543210')}`,
        `--state-dir=${join(dir, 'agent-state')}`,
        '--activation-backend=sandbox',
        '--cache-url=http://127.0.0.1:9',
        '--log-level=info',
      ],
      { cwd: checkout, env: cleanEnv() },
    );
    children.push(agent);
    let out = '';
    agent.stdout.on('data', (d: Buffer) => (out += d.toString()));
    agent.stderr.on('data', (d: Buffer) => (out += d.toString()));
    await until(
      () => out.includes('"msg":"enrollment refused"') || agent.exitCode !== null,
      30_000,
    ).catch(() => undefined);
    expect(out).toContain('"cpCode":"CP_ERR_NONCE_NOT_ALLOWED"');
    // The shared log shape, with the package version read from the built tree.
    for (const [text, service] of [
      [out, 'nixfleet-agent'],
      [cpOut, 'nixfleet-control-plane'],
    ] as const) {
      expect(text).toContain(`"service":"${service}"`);
      expect(text).toContain(`"version":"${pkg.version}"`);
    }
    const node = readFileSync(`/proc/${agent.pid}/cmdline`, 'utf8').split('\0');
    expect(node).toEqual(
      expect.arrayContaining([
        '--max-semi-space-size=1',
        '--single-threaded',
        '--no-opt',
        '--optimize-for-size',
      ]),
    );
    const exit = new Promise<number | null>((r) => agent.on('exit', (code) => r(code)));
    agent.kill('SIGTERM');
    expect(await exit).toBe(0);
  }, 60_000);
});
