// The control plane's flag parser against malformed values: every numeric
// flag refuses text, emptiness, negatives and absurd magnitudes with a
// typed CP_ERR_CONFIG naming the flag; every flag has its env mirror.
import { describe, expect, it } from 'vitest';
import { FLAGS, parseConfig } from './config.ts';

const numeric = FLAGS.filter((f) => f.default !== undefined && Number.isFinite(Number(f.default)));
const kebab = (flag: string): string => (/^--([a-z0-9-]+)/.exec(flag)?.[1] ?? flag) as string;

describe('CP flags', () => {
  it('defaults parse', () => {
    const c = parseConfig({ db: ':memory:' });
    expect(c.dispatchMaxIngestMs).toBe(25);
    expect(c.dispatchMaxLagMs).toBe(20);
    expect(c.dispatchRatePerSec).toBe(300);
  });

  it('has numeric flags to check (the table is read, not empty)', () => {
    expect(numeric.length).toBeGreaterThan(15);
  });

  for (const spec of numeric) {
    for (const bad of ['abc', '', '  ', '-1', '1e12', 'NaN', 'Infinity', '12ms']) {
      it(`${spec.flag.split(' ')[0]} refuses ${JSON.stringify(bad)}`, () => {
        let err: unknown = null;
        try {
          parseConfig({ db: ':memory:', [spec.key]: bad });
        } catch (e) {
          err = e;
        }
        expect(err).toMatchObject({ code: 'CP_ERR_CONFIG', details: { flag: kebab(spec.flag) } });
      });
    }
  }

  it('every flag has a NIXFLEET_CP_* env mirror derived from its name', () => {
    for (const spec of FLAGS) {
      expect(spec.env).toBe(`NIXFLEET_CP_${kebab(spec.flag).replace(/-/g, '_').toUpperCase()}`);
    }
  });

  it('refuses a malformed --listen and an on/off flag that is neither', () => {
    expect(() => parseConfig({ db: ':memory:', listen: 'nohost' })).toThrow(/--listen/);
    expect(() => parseConfig({ db: ':memory:', listen: '127.0.0.1:70000' })).toThrow(/--listen/);
    expect(() => parseConfig({ db: ':memory:', commitThread: 'maybe' })).toThrow(/--commit-thread/);
  });
});
