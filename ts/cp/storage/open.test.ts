// Backend choice from the configuration, and the URL file's refusals (its
// content is a secret: never echoed).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config.ts';
import { openConfiguredStorage, readDatabaseUrl } from './open.ts';

const dir = mkdtempSync(join(tmpdir(), 'cp-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text, { mode: 0o600 });
  return p;
}

describe('storage backend choice', () => {
  it('is SQLite at --db by default, PostgreSQL with --database-url-file', async () => {
    const lite = openConfiguredStorage(parseConfig({ db: join(dir, 'state.db') }));
    expect(lite.backend).toBe('sqlite');
    await lite.storage.close();
    const urlFile = file('url', 'postgres://cp:pw@db.internal:5433/fleet\n');
    const config = parseConfig({ db: join(dir, 'state.db'), databaseUrlFile: urlFile });
    expect(config.databaseUrlFile).toBe(urlFile);
    const pg = openConfiguredStorage(config);
    expect(pg.backend).toBe('postgres');
    await pg.storage.close();
  });

  it('reads the URL trimmed', () => {
    expect(readDatabaseUrl(file('ok', '  postgresql://cp@db/fleet\n'))).toBe(
      'postgresql://cp@db/fleet',
    );
  });

  it('refuses a missing file with CP_ERR_CONFIG naming the flag', () => {
    expect(() => readDatabaseUrl(join(dir, 'absent'))).toThrow(
      expect.objectContaining({
        code: 'CP_ERR_CONFIG',
        message: expect.stringContaining('--database-url-file') as unknown,
      }),
    );
  });

  it.each([
    ['not a URL', 'secret-password-123'],
    ['another scheme', 'mysql://cp:secret-password-123@db/fleet'],
    ['two URLs', 'postgres://a@db/x postgres://cp:secret-password-123@db/fleet'],
    ['empty', ''],
  ])('refuses %s without echoing the content', (_name, text) => {
    const p = file('bad', text);
    let err: { code?: string; message?: string } = {};
    try {
      readDatabaseUrl(p);
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.code).toBe('CP_ERR_CONFIG');
    expect(err.message).not.toContain('secret-password-123');
  });
});
