import { describe, expect, it } from 'vitest';
import type { ComplianceControl } from '../../contracts/index.ts';
import { judgeControl, normaliseOutput } from './judge.ts';

const probe = (p: Partial<ComplianceControl['probe']>): ComplianceControl['probe'] => ({
  command: ['x'],
  output: 'key-value',
  expectedShape: {},
  expect: { exitCode: [0] },
  schemaVersion: 1,
  ...p,
});
const ok = (stdout: string, exitCode = 0) => ({ stdout, exitCode, error: null });

describe('compliance probe judge', () => {
  it('normalises each output format', () => {
    expect(normaliseOutput('key-value', 'PermitRootLogin no\nport 22\n', 0)).toEqual({
      permitrootlogin: 'no',
      port: '22',
      exitCode: 0,
    });
    expect(normaliseOutput('properties', 'NTPSynchronized=yes\n', 0)).toEqual({
      NTPSynchronized: 'yes',
      exitCode: 0,
    });
    expect(normaliseOutput('sysctl', 'kernel.kptr_restrict = 2\n', 0)).toEqual({
      'kernel.kptr_restrict': '2',
      exitCode: 0,
    });
    expect(normaliseOutput('lines', '/srv/drop\n/etc/x\n', 0)).toEqual({
      lines: ['/srv/drop', '/etc/x'],
      count: 2,
      exitCode: 0,
    });
    expect(normaliseOutput('exit-code', 'anything', 3)).toEqual({ exitCode: 3 });
    expect(normaliseOutput('json', '{"a":1}', 0)).toEqual({ a: 1, exitCode: 0 });
    expect(normaliseOutput('json', '[1]', 0)).toBe('output is not a JSON object');
  });

  it('passes only when every expected field holds an accepted value', () => {
    const p = probe({
      expectedShape: { permitrootlogin: 'string' },
      expect: { permitrootlogin: ['no'], exitCode: [0] },
    });
    expect(judgeControl(p, ok('permitrootlogin no')).status).toBe('Pass');
    expect(judgeControl(p, ok('permitrootlogin yes')).failure).toBe(
      'permitrootlogin is "yes", expected one of ["no"]',
    );
    expect(judgeControl(p, ok('permitrootlogin no', 1)).failure).toBe(
      'exitCode is 1, expected one of [0]',
    );
  });

  it('a missing field, a probe that did not run or an empty expectation fails (closed)', () => {
    const p = probe({
      expectedShape: { permitrootlogin: 'string' },
      expect: { permitrootlogin: ['no'] },
    });
    expect(judgeControl(p, ok('port 22')).failure).toBe(
      'permitrootlogin is missing, expected string',
    );
    expect(
      judgeControl(p, { stdout: '', exitCode: null, error: 'spawn sshd ENOENT' }).failure,
    ).toBe('probe did not run: spawn sshd ENOENT');
    expect(judgeControl(probe({ expect: {} }), ok('')).failure).toBe(
      'the descriptor expects nothing: nothing was checked',
    );
  });
});
