import { describe, expect, it } from 'vitest';
import { closureProbeGap, diffProbeSets, judgeProbeSet } from './probe-declaration.ts';

const fails = {
  kind: 'exec',
  command: '/bin/false',
  expectExitCode: 0,
  timeoutSecs: 10,
  intervalSeconds: 30,
  mode: 'enforce',
};
const web = {
  kind: 'http',
  url: 'http://127.0.0.1/',
  expectStatus: 200,
  bodyContains: null,
  timeoutSecs: 3,
  intervalSeconds: 30,
  mode: 'observe',
};
const where = { path: '/etc/nixfleet/agent/health-checks.json', rolloutId: 'stable@abc1234' };

describe('diffProbeSets', () => {
  it('key order does not matter; values do', () => {
    const reordered = Object.fromEntries(Object.entries(fails).reverse());
    expect(diffProbeSets({ fails }, { fails: reordered })).toEqual({
      missing: [],
      different: [],
      extra: [],
    });
    expect(diffProbeSets({ fails }, { fails: { ...fails, command: '/bin/true' } })).toEqual({
      missing: [],
      different: ['fails'],
      extra: [],
    });
  });
  it('no file: every declared probe is missing', () => {
    expect(diffProbeSets({ fails, web }, null).missing).toEqual(['fails', 'web']);
  });
});

describe('closureProbeGap (release)', () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown> | null, unknown][] = [
    ['declared and rendered', { fails }, { fails }, null],
    ['host-local extra on top', { fails }, { fails, web }, null],
    ['nothing declared, no file', {}, null, null],
    ['declared, no file', { fails }, null, { missing: ['fails'], different: [], extra: [] }],
    [
      'declared, file without it',
      { fails, web },
      { web },
      { missing: ['fails'], different: [], extra: [] },
    ],
    [
      'declared, rendered weaker',
      { fails },
      { fails: { ...fails, mode: 'observe' } },
      { missing: [], different: ['fails'], extra: [] },
    ],
  ];
  for (const [name, declared, rendered, want] of cases) {
    it(name, () => expect(closureProbeGap(declared, rendered)).toEqual(want));
  }
});

describe('judgeProbeSet (agent)', () => {
  it('runs a file equal to the signed set, and an absent file when nothing is signed', () => {
    expect(judgeProbeSet({ fails }, { fails }, where)).toBeNull();
    expect(judgeProbeSet({}, null, where)).toBeNull();
    expect(judgeProbeSet({}, {}, where)).toBeNull();
  });
  it('refuses a missing file when probes are signed, naming them', () => {
    const r = judgeProbeSet({ fails, web }, null, where);
    expect(r?.kind).toBe('Mismatch');
    expect(r?.probes).toEqual(['fails', 'web']);
    expect(r?.detail).toMatch(/does not exist .*stable@abc1234.*missing: fails, web/);
  });
  it('refuses a different, a partial or a larger file', () => {
    expect(judgeProbeSet({ fails }, { fails: { ...fails, command: '/bin/true' } }, where)).toEqual(
      expect.objectContaining({ kind: 'Mismatch', probes: ['fails'] }),
    );
    expect(judgeProbeSet({ fails, web }, { web }, where)?.probes).toEqual(['fails']);
    expect(judgeProbeSet({}, { web }, where)?.detail).toMatch(/not declared: web/);
  });
  it('refuses when the manifest signs no probe set at all', () => {
    expect(judgeProbeSet(null, null, where)?.kind).toBe('Unsigned');
    expect(judgeProbeSet(null, { fails }, where)?.kind).toBe('Unsigned');
  });
});
