// Body bounds of the edge: the depth scan agrees with the structure (strings
// and escapes skipped) and stops early; unknown properties of stored bodies
// are dropped at every declared level, free-form values kept; the event
// budget answers a typed 429 with a wait.
import { describe, expect, it } from 'vitest';
import { isCpError } from '../errors.ts';
import { bodyLimitFor, dropUnknown, eventBudgets, jsonDepth, parseJson } from './body-guard.ts';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('jsonDepth', () => {
  it('counts nesting outside strings', () => {
    expect(jsonDepth(b('1'), 8)).toBe(0);
    expect(jsonDepth(b('[[1],{"a":[]}]'), 8)).toBe(3);
    expect(jsonDepth(b('{"a":"[[[[\\"[[[["}'), 8)).toBe(1);
    expect(jsonDepth(b('{"a\\\\":[[]]}'), 8)).toBe(3);
  });

  it('stops at the first level past the bound', () => {
    const deep = b('['.repeat(100_000) + ']'.repeat(100_000));
    expect(jsonDepth(deep, 32)).toBe(33);
  });

  it('refuses a too-deep body before parsing, typed', () => {
    let err: unknown;
    try {
      parseJson(b(`{"x":${'['.repeat(5000)}${']'.repeat(5000)}}`), 32);
    } catch (e) {
      err = e;
    }
    expect(isCpError(err) && err.code).toBe('CP_ERR_JSON_TOO_DEEP');
    expect(parseJson(b('{"a":[1]}'), 32)).toEqual({ a: [1] });
  });
});

describe('dropUnknown', () => {
  it('keeps declared properties of the event kind, drops the rest, keeps free-form payloads', () => {
    const payload = { bootId: 'x', anything: { deep: [1] } };
    const ev = {
      kind: 'ProbeResult',
      rollout_id: 'stable@abc',
      hostname: 'web-01',
      seq: 3,
      probe_name: 'p',
      status: 'Pass',
      observed_at: '2026-01-01T00:00:00Z',
      failure_reason: null,
      mode: 'enforce',
      sub_results: [{ control_id: 'c', framework: 'f', status: 'Pass', article: null, junk: 1 }],
      payload,
      signature: null,
      junk: 'x'.repeat(100),
    };
    const out = dropUnknown('agent-event', ev) as Record<string, unknown>;
    expect(out['junk']).toBeUndefined();
    expect(out['payload']).toEqual(payload);
    expect((out['sub_results'] as Record<string, unknown>[])[0]?.['junk']).toBeUndefined();
    expect(out['probe_name']).toBe('p');
  });

  it('drops unknown fields of a bootstrap report and of its event', () => {
    const r = {
      token: { t: 1 },
      agentVersion: '0.2.0',
      occurredAt: '2026-01-01T00:00:00Z',
      event: { kind: 'TrustError', code: 'X', message: 'm', extra: 1 },
      big: 'y',
    };
    const out = dropUnknown('bootstrap-report', r) as Record<string, unknown>;
    expect(out['big']).toBeUndefined();
    expect(out['event']).toEqual({ kind: 'TrustError', code: 'X', message: 'm' });
  });
});

describe('limits', () => {
  it('sizes body limits per contract under the global one', () => {
    expect(bodyLimitFor('bootstrap-report', 262_144)).toBe(8 * 1024);
    expect(bodyLimitFor('agent-event', 4096)).toBe(4096);
    expect(bodyLimitFor(undefined, 4096)).toBe(4096);
  });

  it('charges events per host and refuses with a wait', () => {
    let now = 0;
    const charge = eventBudgets(
      { eventRate: { perSec: 1, burst: 2 }, eventBytes: { perSec: 100, burst: 1000 } },
      () => now,
    );
    charge('a', 10);
    charge('a', 10);
    charge('b', 10);
    let err: unknown;
    try {
      charge('a', 10);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'CP_ERR_RATE_LIMITED', details: { retryAfterSecs: 1 } });
    now = 1000;
    charge('a', 10);
    charge('b', 990);
    expect(() => charge('b', 100)).toThrow(/budget/);
  });
});
