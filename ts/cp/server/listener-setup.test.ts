import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCpError } from '../errors.ts';
import { readTicketKeys } from './listener-setup.ts';

const dir = mkdtempSync(join(tmpdir(), 'ticket-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refusal = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return isCpError(e) ? { code: e.code, message: e.message } : e;
  }
  return null;
};

describe('readTicketKeys', () => {
  it('creates 48 random bytes 0600 once, then reads the same keys', () => {
    const path = join(dir, 'keys');
    const first = readTicketKeys(path);
    expect(first.length).toBe(48);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readTicketKeys(path).equals(first)).toBe(true);
    expect(readFileSync(path).equals(first)).toBe(true);
  });

  it('refuses a file of another size, naming the fix', () => {
    const path = join(dir, 'short');
    writeFileSync(path, Buffer.alloc(47), { mode: 0o600 });
    expect(refusal(() => readTicketKeys(path))).toMatchObject({
      code: 'CP_ERR_CONFIG',
      message: expect.stringMatching(/47 bytes, not 48.*head -c 48/),
    });
  });

  it('refuses keys every user can read', () => {
    const path = join(dir, 'open');
    writeFileSync(path, Buffer.alloc(48));
    chmodSync(path, 0o644);
    expect(refusal(() => readTicketKeys(path))).toMatchObject({
      code: 'CP_ERR_CONFIG',
      message: expect.stringMatching(/accessible to every user/),
    });
  });

  it('a directory it cannot create the file in is a start failure', () => {
    expect(refusal(() => readTicketKeys(join(dir, 'missing', 'keys')))).toMatchObject({
      code: 'CP_ERR_START_FAILED',
    });
  });
});
