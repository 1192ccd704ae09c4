import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../errors.ts';
import { defaultConfigPath, parseConfigToml, writeConfigFile } from './config-file.ts';
import { checkCpUrl, resolveClientConfig } from './resolve.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'nixfleet-cfg-'));

function thrown(fn: () => unknown): CliError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CliError) return e;
    throw e;
  }
  throw new Error('expected a CliError');
}

describe('config.toml', () => {
  it('parses the four keys and resolves relative paths against the file', () => {
    const cfg = parseConfigToml(
      'cp_url = "https://cp:8443"\nca_cert = "ca.pem"\nclient_cert = "/abs/op.pem"\nclient_key = "~/op.key"\n',
      '/etc/nixfleet/config.toml',
      { home: '/home/op' },
    );
    expect(cfg).toEqual({
      cpUrl: 'https://cp:8443',
      caCert: '/etc/nixfleet/ca.pem',
      clientCert: '/abs/op.pem',
      clientKey: '/home/op/op.key',
    });
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('refuses malformed TOML with the line, unknown keys and non-strings', () => {
    const bad = thrown(() => parseConfigToml('cp_url = "https://cp\n', '/c.toml'));
    expect(bad.code).toBe('CLI_ERR_CONFIG_MALFORMED');
    expect(bad.message).toMatch(/^\/c\.toml: not valid TOML \(line 1, column \d+\)/);
    const typo = thrown(() => parseConfigToml('cp_ur1 = "https://cp"\n', '/c.toml'));
    expect(typo.message).toBe('/c.toml: unknown key "cp_ur1"');
    expect(typo.hint).toContain('cp_url, ca_cert, client_cert, client_key');
    expect(thrown(() => parseConfigToml('cp_url = 8443\n', '/c.toml')).message).toBe(
      '/c.toml: cp_url must be a non-empty string, got a number',
    );
    expect(thrown(() => parseConfigToml('ca_cert = ""\n', '/c.toml')).message).toContain(
      'an empty string',
    );
  });

  it('writes mode 0600 in a 0700 directory, and reads back', () => {
    const dir = tmp();
    const path = join(dir, 'sub', 'config.toml');
    writeConfigFile(path, {
      cpUrl: 'https://cp:8443',
      caCert: '/a',
      clientCert: '/b',
      clientKey: '/c',
    });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'sub')).mode & 0o777).toBe(0o700);
    expect(parseConfigToml(readFileSync(path, 'utf8'), path)).toEqual({
      cpUrl: 'https://cp:8443',
      caCert: '/a',
      clientCert: '/b',
      clientKey: '/c',
    });
  });

  it('default path honours XDG_CONFIG_HOME', () => {
    expect(defaultConfigPath({ HOME: '/home/op' })).toBe('/home/op/.config/nixfleet/config.toml');
    expect(defaultConfigPath({ HOME: '/home/op', XDG_CONFIG_HOME: '/x' })).toBe(
      '/x/nixfleet/config.toml',
    );
    expect(defaultConfigPath({ HOME: '/home/op', XDG_CONFIG_HOME: 'rel' })).toBe(
      '/home/op/.config/nixfleet/config.toml',
    );
  });
});

describe('resolution: flag > env > file', () => {
  const file = (dir: string): string => {
    const p = join(dir, 'config.toml');
    writeFileSync(
      p,
      'cp_url = "https://file:1"\nca_cert = "/file/ca"\nclient_cert = "/file/cert"\nclient_key = "/file/key"\n',
    );
    return p;
  };

  it('takes each setting from the highest layer that has it', () => {
    const dir = tmp();
    const cfg = resolveClientConfig({
      flags: { cpUrl: 'https://flag:3', clientKey: 'rel.key' },
      env: {
        HOME: dir,
        NIXFLEET_CONFIG: file(dir),
        NIXFLEET_CP_URL: 'https://env:2',
        NIXFLEET_CA_CERT: '/env/ca',
      },
      cwd: '/work',
    });
    expect(cfg).toMatchObject({
      cpUrl: 'https://flag:3',
      caCert: '/env/ca',
      clientCert: '/file/cert',
      clientKey: '/work/rel.key',
      sources: { cpUrl: 'flag', caCert: 'env', clientCert: 'file', clientKey: 'flag' },
      configPath: join(dir, 'config.toml'),
    });
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('flags and env alone suffice when the default file is absent', () => {
    const cfg = resolveClientConfig({
      flags: {},
      env: {
        HOME: tmp(),
        NIXFLEET_CP_URL: 'https://env:2/',
        NIXFLEET_CA_CERT: '/ca',
        NIXFLEET_CLIENT_CERT: '/c',
        NIXFLEET_CLIENT_KEY: '/k',
      },
      cwd: '/',
    });
    expect(cfg.cpUrl).toBe('https://env:2');
    expect(cfg.configPath).toBeNull();
  });

  it('fails closed naming every missing setting, with the config init hint', () => {
    const e = thrown(() =>
      resolveClientConfig({ flags: { cpUrl: 'https://cp:1' }, env: { HOME: tmp() }, cwd: '/' }),
    );
    expect(e.code).toBe('CLI_ERR_CONFIG_MISSING');
    expect(e.message).toContain('ca_cert (--ca-cert or NIXFLEET_CA_CERT)');
    expect(e.message).toContain('client_key (--client-key or NIXFLEET_CLIENT_KEY)');
    expect(e.message).toContain('no config file at');
    expect(e.hint).toContain('nixfleet config init');
  });

  it('an explicitly named config file must exist', () => {
    const e = thrown(() =>
      resolveClientConfig({
        flags: {},
        configFlag: '/nope/config.toml',
        env: { HOME: '/h' },
        cwd: '/',
      }),
    );
    expect(e.code).toBe('CLI_ERR_CONFIG_IO');
    expect(e.message).toBe('config file /nope/config.toml does not exist');
  });

  it('cp_url must be https without path or credentials', () => {
    expect(checkCpUrl('https://cp.example.com:8443/', 'flag')).toBe('https://cp.example.com:8443');
    expect(thrown(() => checkCpUrl('http://cp:80', 'flag')).message).toContain('HTTPS (mTLS) only');
    expect(thrown(() => checkCpUrl('https://cp/v1', 'env')).message).toMatch(
      /^NIXFLEET_CP_URL: .*no path/,
    );
    expect(thrown(() => checkCpUrl('https://u:p@cp', 'file')).message).toMatch(
      /^cp_url in the config file/,
    );
    expect(thrown(() => checkCpUrl('cp:8443', 'flag')).code).toBe('CLI_ERR_CONFIG_MALFORMED');
  });
});
