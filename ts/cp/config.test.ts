// The control plane's flag parser against malformed values: every numeric
// flag refuses text, emptiness, negatives and absurd magnitudes with a
// typed CP_ERR_CONFIG naming the flag; every flag has its env mirror.
import { describe, expect, it } from 'vitest';
import { FLAGS, parseConfig } from './config.ts';
import { coreTimingsOf } from './runtime/deps.ts';

const numeric = FLAGS.filter((f) => f.default !== undefined && Number.isFinite(Number(f.default)));
const kebab = (flag: string): string => (/^--([a-z0-9-]+)/.exec(flag)?.[1] ?? flag) as string;

describe('CP flags', () => {
  it('defaults parse', () => {
    const c = parseConfig({ db: ':memory:' });
    expect(c.dispatchMaxIngestMs).toBe(25);
    expect(c.dispatchMaxLagMs).toBe(20);
    expect(c.dispatchRatePerSec).toBe(300);
  });

  it('resolves every relative path flag against the working directory', () => {
    const c = parseConfig(
      {
        db: 'state/cp.db',
        tlsCert: 'pki/cp-server.pem',
        tlsKey: './pki/cp-server.key',
        fleetCaCert: 'pki/fleet-ca.pem',
        fleetCaKey: 'pki/fleet-ca.key',
        trustFile: 'trust.json',
        releaseDir: 'releases',
        artifactTokenFile: '../token',
      },
      { cwd: '/srv/acme' },
    );
    expect(c.dbPath).toBe('/srv/acme/state/cp.db');
    expect(c.issuanceLog).toBe('/srv/acme/state/issuance.log');
    expect(c.releaseCacheDir).toBe('/srv/acme/state/last-release');
    expect(c.tlsCert).toBe('/srv/acme/pki/cp-server.pem');
    expect(c.tlsKey).toBe('/srv/acme/pki/cp-server.key');
    expect(c.fleetCaCert).toBe('/srv/acme/pki/fleet-ca.pem');
    expect(c.clientCa).toBe('/srv/acme/pki/fleet-ca.pem');
    expect(c.fleetCaKey).toBe('/srv/acme/pki/fleet-ca.key');
    expect(c.trustFile).toBe('/srv/acme/trust.json');
    expect(c.releaseDir).toBe('/srv/acme/releases');
    expect(c.artifactTokenFile).toBe('/srv/token');
    const d = parseConfig({ db: ':memory:', issuanceLog: 'log/issuance' }, { cwd: '/srv' });
    expect(d.dbPath).toBe(':memory:');
    expect(d.issuanceLog).toBe('/srv/log/issuance');
  });

  it('has numeric flags to check (the table is read, not empty)', () => {
    expect(numeric.length).toBeGreaterThan(15);
  });

  for (const spec of numeric) {
    const isDuration = spec.flag.includes('<duration>');
    const bads = ['abc', '', '  ', '-1', '1e12', 'NaN', 'Infinity', '1,5'];
    for (const bad of isDuration ? [...bads, '30m1h', '1h 30m', '99999999d'] : [...bads, '12ms']) {
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

  it('duration flags read the shared grammar; a bare number keeps the unit of the name', () => {
    const c = parseConfig({
      db: ':memory:',
      longPollSecs: '1m30s',
      reconcileIntervalSecs: '1.5s',
      reconcileDebounceMs: '0.25s',
      confirmWindowSecs: '360',
      dispatchMaxLagMs: '20',
      artifactFreshnessMinutes: '2h',
      certValidityDays: '12h',
    });
    expect(c.timings.longPollMs).toBe(90_000);
    expect(c.timings.reconcileIntervalMs).toBe(1_500);
    expect(c.timings.reconcileDebounceMs).toBe(250);
    expect(c.timings.confirmWindowMs).toBe(360_000);
    expect(c.dispatchMaxLagMs).toBe(20);
    expect(c.artifactFreshnessMs).toBe(7_200_000);
    expect(c.certValidityMs).toBe(43_200_000);
  });

  it.each([
    ['longPollSecs', '2h', 'above-maximum'],
    ['confirmWindowSecs', '500ms', 'below-minimum'],
    ['longPollSecs', '-30s', 'negative'],
    ['longPollSecs', '', 'empty'],
    ['longPollSecs', '30m1h', 'malformed'],
    ['longPollSecs', '1e400', 'malformed'],
    ['longPollSecs', '9'.repeat(400), 'overflow'],
  ])('refuses %s %j as %s', (key, text, reason) => {
    expect(() => parseConfig({ db: ':memory:', [key]: text })).toThrow(
      expect.objectContaining({
        code: 'CP_ERR_CONFIG',
        details: expect.objectContaining({ reason }),
      }),
    );
  });

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

  it('--missed-heartbeats-offline sets the offline rule (default 3)', () => {
    expect(coreTimingsOf(parseConfig({ db: ':memory:' }).timings).missedHeartbeatsOffline).toBe(3);
    const c = parseConfig({ db: ':memory:', missedHeartbeatsOffline: '5' });
    expect(coreTimingsOf(c.timings).missedHeartbeatsOffline).toBe(5);
  });

  it.each(['0', '-3', '2.5', '0.9', '1e3x', 'three', ''])(
    '--missed-heartbeats-offline refuses %j (a positive integer)',
    (bad) => {
      expect(() => parseConfig({ db: ':memory:', missedHeartbeatsOffline: bad })).toThrow(
        expect.objectContaining({
          code: 'CP_ERR_CONFIG',
          details: { flag: 'missed-heartbeats-offline' },
        }),
      );
    },
  );

  // A count is a whole number: `--dispatch-chunk 2.5` is a typo, not 2.
  it.each([
    ['dispatch-chunk', 'dispatchChunk'],
    ['listen-backlog', 'listenBacklog'],
    ['json-max-depth', 'jsonMaxDepth'],
    ['max-conns-per-identity', 'maxConnsPerIdentity'],
    ['max-conns-per-address', 'maxConnsPerAddress'],
    ['max-streams-per-identity', 'maxStreamsPerIdentity'],
  ])('--%s refuses a fraction instead of rounding it down', (flag, key) => {
    expect(() => parseConfig({ db: ':memory:', [key]: '2.5' })).toThrow(
      expect.objectContaining({ code: 'CP_ERR_CONFIG', details: { flag } }),
    );
    expect(() => parseConfig({ db: ':memory:', [key]: '4' })).not.toThrow();
  });
});
