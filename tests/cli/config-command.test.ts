import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runOp } from './support/run.ts';

function files(): { home: string; ca: string; cert: string; key: string } {
  const home = mkdtempSync(join(tmpdir(), 'nixfleet-init-'));
  for (const f of ['ca.pem', 'op.pem', 'op.key']) writeFileSync(join(home, f), 'PEM');
  return { home, ca: join(home, 'ca.pem'), cert: join(home, 'op.pem'), key: join(home, 'op.key') };
}

const init = (f: ReturnType<typeof files>, extra: string[] = []): string[] => [
  'config',
  'init',
  '--cp-url',
  'https://cp.example.com:8443',
  '--ca-cert',
  'ca.pem',
  '--client-cert',
  f.cert,
  '--client-key',
  f.key,
  ...extra,
];

describe('nixfleet config init / show', () => {
  it('writes ~/.config/nixfleet/config.toml with mode 0600 and absolute paths', async () => {
    const f = files();
    const r = await runOp(init(f), { env: { HOME: f.home }, cwd: f.home });
    expect(r.code).toBe(0);
    const path = join(f.home, '.config', 'nixfleet', 'config.toml');
    expect(r.stderr).toBe(`nixfleet config init: wrote ${path} (mode 0600)\n`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toContain(`ca_cert = "${f.ca}"`);
    const show = await runOp(['config', 'show'], {
      env: { HOME: f.home, NIXFLEET_CP_URL: 'https://env:1' },
    });
    expect(show.code).toBe(0);
    expect(show.stdout).toBe(
      [
        `# config file: ${path}`,
        'cp_url      = https://env:1  (env)',
        `ca_cert     = ${f.ca}  (file)`,
        `client_cert = ${f.cert}  (file)`,
        `client_key  = ${f.key}  (file)`,
        '',
      ].join('\n'),
    );
  });

  it('refuses to overwrite without --force, and --path writes elsewhere', async () => {
    const f = files();
    expect((await runOp(init(f), { env: { HOME: f.home }, cwd: f.home })).code).toBe(0);
    const again = await runOp(init(f), { env: { HOME: f.home }, cwd: f.home });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists; not overwriting it');
    expect(again.stderr).toContain('hint: pass --force');
    expect((await runOp(init(f, ['--force']), { env: { HOME: f.home }, cwd: f.home })).code).toBe(
      0,
    );
    const other = join(f.home, 'other.toml');
    expect(
      (await runOp(init(f, ['--path', other]), { env: { HOME: f.home }, cwd: f.home })).code,
    ).toBe(0);
    expect(statSync(other).mode & 0o777).toBe(0o600);
  });

  it('refuses a missing file, a non-https URL, and missing flags (exit 2)', async () => {
    const f = files();
    const missing = await runOp(init({ ...f, key: join(f.home, 'nope.key') }), {
      env: { HOME: f.home },
      cwd: f.home,
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--client-key');
    expect(missing.stderr).toContain('ENOENT');
    const args = init(f);
    args[3] = 'http://cp:80';
    const http = await runOp(args, { env: { HOME: f.home }, cwd: f.home });
    expect(http.code).toBe(2);
    expect(http.stderr).toContain('HTTPS (mTLS) only');
    const partial = await runOp(['config', 'init', '--cp-url', 'https://cp:1'], {
      env: { HOME: f.home },
    });
    expect(partial.code).toBe(2);
    expect(partial.stderr).toContain("required option '--ca-cert <path>' not specified");
  });

  it('config show fails closed without settings', async () => {
    const home = mkdtempSync(join(tmpdir(), 'nixfleet-init-'));
    const r = await runOp(['config', 'show', '--json'], { env: { HOME: home } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CLI_ERR_CONFIG_MISSING');
  });
});
