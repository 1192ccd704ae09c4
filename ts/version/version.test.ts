import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatVersion, versionInfo, wantsVersion } from './version.ts';

const tmp = mkdtempSync(join(tmpdir(), 'nixfleet-version-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function root(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

describe('versionInfo fails soft', () => {
  it('reads "unknown" without package.json, COMMIT or .git', () => {
    expect(versionInfo({}, root('bare', {}))).toEqual({
      version: 'unknown',
      commit: 'unknown',
      node: process.version,
    });
  });

  it('reads a packaged COMMIT file, and NIXFLEET_COMMIT before it', () => {
    const dir = root('packaged', {
      'package.json': '{"version":"1.2.3"}',
      COMMIT: 'abcdef012345\n',
    });
    expect(versionInfo({}, dir)).toMatchObject({ version: '1.2.3', commit: 'abcdef012345' });
    expect(versionInfo({ NIXFLEET_COMMIT: '1234567-dirty' }, dir).commit).toBe('1234567-dirty');
  });

  it('ignores a commit that is not a revision and a package.json that does not parse', () => {
    const dir = root('garbage', { 'package.json': '{', COMMIT: '$(reboot)' });
    expect(versionInfo({ NIXFLEET_COMMIT: 'main' }, dir)).toMatchObject({
      version: 'unknown',
      commit: 'unknown',
    });
  });
});

describe('the version line', () => {
  it('is one line naming the program', () => {
    expect(
      formatVersion('nixfleet', { version: '0.2.0', commit: 'abc1234', node: 'v20.1.0' }),
    ).toBe('nixfleet 0.2.0 (commit abc1234, node v20.1.0)');
  });
  it('is asked for by the first argument only', () => {
    expect(wantsVersion(['--version'])).toBe(true);
    expect(wantsVersion(['-V'])).toBe(true);
    expect(wantsVersion(['status', '--version'])).toBe(false);
    expect(wantsVersion([])).toBe(false);
  });
});
