// The enrollRefused condition judges from the replay's answer and the CP's
// issuance log; it must never pass without a recorded replay, on a replay
// that got a certificate, or on a log with a second certificate.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkEnrollRefused, type ReplayOutcome } from './enroll-replay.ts';

const T0 = Date.parse('2026-11-22T06:00:00Z');
const line = (at: number, serial: string, via = 'enroll', nonce: string | null = 'n1') =>
  JSON.stringify({ at: new Date(at).toISOString(), via, hostname: 'web-01', serial, nonce });

function logWith(...lines: string[]): string {
  const f = join(mkdtempSync(join(tmpdir(), 'nf-issuance-')), 'issuance.log');
  writeFileSync(f, lines.map((l) => `${l}\n`).join(''));
  return f;
}

const refused: ReplayOutcome = {
  host: 'web-01',
  at: T0 + 60_000,
  status: 409,
  code: 'CP_ERR_TOKEN_REPLAYED',
  issuedCertificate: false,
  detail: '',
};

const check = (outcomes: Map<string, ReplayOutcome>, log: string) =>
  checkEnrollRefused({ hosts: ['web-01'], outcomes, issuanceLog: log, nonceOf: () => 'n1' });

describe('checkEnrollRefused', () => {
  it('holds for a 409 replay and one enrollment certificate issued before it', () => {
    const log = logWith(line(T0, 'aa'), line(T0 + 30_000, 'bb', 'renew', null));
    expect(check(new Map([['web-01', refused]]), log)).toMatchObject({ ok: true });
  });

  it('fails without a recorded replay', () => {
    const r = check(new Map(), logWith(line(T0, 'aa')));
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/no replayed enrollment recorded/);
  });

  it('fails when the replay was answered with a certificate', () => {
    const issued = { ...refused, status: 200, code: null, issuedCertificate: true };
    const r = check(new Map([['web-01', issued]]), logWith(line(T0, 'aa')));
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/WITH A CERTIFICATE/);
  });

  it('fails when the log holds a second enrollment certificate, even with a 409 answer', () => {
    const log = logWith(line(T0, 'aa'), line(T0 + 60_500, 'cc'));
    const r = check(new Map([['web-01', refused]]), log);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/2 enrollment certificate\(s\)/);
  });

  it('fails when a certificate was re-issued for the token at or after the replay', () => {
    const log = logWith(line(T0, 'aa'), line(T0 + 60_000, 'dd', 'enroll-reissue'));
    const r = check(new Map([['web-01', refused]]), log);
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/1 at or after the replay/);
  });

  it('fails when the only certificate is not the token nonce', () => {
    const r = check(new Map([['web-01', refused]]), logWith(line(T0, 'aa', 'enroll', 'other')));
    expect(r.ok).toBe(false);
  });
});
