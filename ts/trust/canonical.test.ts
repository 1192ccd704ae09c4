import { readFileSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import canonicalizePackage from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalize,
  canonicalizeText,
  MAX_JSON_DEPTH,
  mustCanonicalize,
  parseJsonBytes,
  sha256Hex,
} from './canonical.ts';
import { encodeHex } from './encoding.ts';

const reference = canonicalizePackage as unknown as (v: unknown) => string;

const fromBits = (hex: string): number => {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
};

const canon = (v: unknown): string => {
  const r = canonicalize(v);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

describe('RFC 8785 number serialisation (Appendix B)', () => {
  // IEEE 754 bit patterns and the exact text RFC 8785 Appendix B requires.
  const vectors: [string, string][] = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'], // -0
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];
  it.each(vectors)('%s → %s', (bits, text) => {
    expect(canon(fromBits(bits))).toBe(text);
    expect(canon([fromBits(bits)])).toBe(`[${text}]`);
  });

  it('refuses NaN and ±Infinity (RFC 8785 §3.2.2.3)', () => {
    for (const bits of ['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000']) {
      const r = canonicalize({ n: fromBits(bits) });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatchObject({ kind: 'NotIJson', path: '/n' });
    }
  });

  it('formats parsed numeric text the ECMAScript way', () => {
    expect(canonicalizeText('[1E2, -0, 0.0, 1e21, 1e-7, 1e-6, 123e-20, 4.50, 2e-3]')).toEqual({
      ok: true,
      value: '[100,0,0,1e+21,1e-7,0.000001,1.23e-18,4.5,0.002]',
    });
    // Beyond double precision the value is the nearest double (RFC 8785 §3.2.2.3).
    expect(canonicalizeText('[12345678901234567890, 1e400]')).toMatchObject({ ok: false });
    expect(canonicalizeText('[12345678901234567890]')).toEqual({
      ok: true,
      value: '[12345678901234567000]',
    });
  });
});

describe('RFC 8785 strings and ordering', () => {
  it('reproduces the RFC §3.2.2 example', () => {
    const input =
      '{\n  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n' +
      '  "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n  "literals": [null, true, false]\n}';
    expect(canonicalizeText(input)).toEqual({
      ok: true,
      value:
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    });
  });

  it('sorts keys by UTF-16 code units, surrogate pairs included (RFC §3.2.3)', () => {
    const value = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Compare text: JSON.parse would hoist the integer-like key "1" again.
    expect(canon(value)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
    // U+1F600 (D83D DE00) sorts before U+FB33 in UTF-16 although it is after it in code points.
    expect(canon(value).indexOf('\ud83d')).toBeLessThan(canon(value).indexOf('\ufb33'));
  });

  it('orders integer-like keys as strings, not numerically', () => {
    expect(canon({ '10': 0, '9': 1, '1': 2, b: 3, '': 4 })).toBe('{"":4,"1":2,"10":0,"9":1,"b":3}');
    expect(canonicalizeText('{"9":1,"10":0}')).toEqual({ ok: true, value: '{"10":0,"9":1}' });
  });

  it('escapes exactly the control characters, quote and backslash', () => {
    const named: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };
    for (let c = 0; c < 0x20; c++) {
      const want = named[c] ?? `\\u${c.toString(16).padStart(4, '0')}`;
      expect(canon(String.fromCharCode(c))).toBe(`"${want}"`);
    }
    expect(canon('"\\/')).toBe('"\\"\\\\/"');
    // DEL, U+2028/2029, non-ASCII and astral characters are emitted as is.
    expect(canon('\u007f\u2028\u2029é😀')).toBe('"\u007f\u2028\u2029é😀"');
  });

  it('refuses lone surrogates in values and in keys (I-JSON)', () => {
    for (const bad of ['\ud800', 'a\udc00', '\ude00\ud83d']) {
      expect(canonicalize(bad).ok).toBe(false);
      expect(canonicalize({ [bad]: 1 }).ok).toBe(false);
    }
    // The package the spec suggests would have signed these as escapes.
    expect(reference('\ud800')).toBe('"\\ud800"');
  });

  it('refuses values that are not JSON', () => {
    const bad: unknown[] = [
      undefined,
      () => 1,
      1n,
      Symbol('s'),
      new Date(0),
      new Map(),
      [1, undefined],
      { a: undefined },
    ];
    for (const v of bad) expect(canonicalize(v).ok).toBe(false);
    expect(canonicalize({ a: [{ b: new Date(0) }] })).toMatchObject({
      ok: false,
      error: { path: '/a/0/b' },
    });
    const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
    expect(canonicalize(sparse).ok).toBe(false);
  });

  it('refuses nesting deeper than the limit and accepts it at the limit', () => {
    const nest = (n: number): unknown => (n === 0 ? 0 : [nest(n - 1)]);
    expect(canonicalize(nest(MAX_JSON_DEPTH - 1)).ok).toBe(true);
    expect(canonicalize(nest(MAX_JSON_DEPTH + 1)).ok).toBe(false);
  });

  it('accepts a null-prototype object and a __proto__ member', () => {
    const o = Object.create(null) as Record<string, number>;
    o['b'] = 1;
    o['a'] = 2;
    expect(canon(o)).toBe('{"a":2,"b":1}');
    expect(canonicalizeText('{"__proto__":{"x":1},"a":0}')).toEqual({
      ok: true,
      value: '{"__proto__":{"x":1},"a":0}',
    });
  });
});

describe('fast path and reference agree', () => {
  it('matches the canonicalize package on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canon(v)).toBe(reference(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('is idempotent: canonical text re-canonicalises to itself', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const once = canon(v);
        expect(canonicalizeText(once)).toEqual({ ok: true, value: once });
      }),
      { numRuns: 1000 },
    );
  });

  it('matches the committed JCS golden pair', () => {
    const dir = new URL('../../tests/fixtures/trust/jcs/', import.meta.url);
    const input = readFileSync(new URL('golden.input.json', dir), 'utf8');
    const golden = readFileSync(new URL('golden.canonical', dir), 'utf8');
    expect(canonicalizeText(input)).toEqual({ ok: true, value: golden });
    expect(mustCanonicalize(JSON.parse(golden))).toBe(golden);
  });
});

describe('bytes and hashes', () => {
  it('sha256Hex is lowercase hex SHA-256 of the UTF-8 bytes', () => {
    expect(sha256Hex('{}')).toBe(
      '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    );
    const text = mustCanonicalize({ é: '😀' });
    expect(sha256Hex(text)).toBe(encodeHex(sha256(new TextEncoder().encode(text))));
    expect(sha256Hex(new TextEncoder().encode(text))).toBe(sha256Hex(text));
  });

  it('parseJsonBytes refuses invalid UTF-8 and keeps a BOM (so it is not canonical)', () => {
    expect(parseJsonBytes(new Uint8Array([0x22, 0xc3, 0x28, 0x22])).ok).toBe(false);
    expect(parseJsonBytes(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])).ok).toBe(false);
    expect(parseJsonBytes(new TextEncoder().encode('{"a":1}'))).toEqual({
      ok: true,
      value: { text: '{"a":1}', value: { a: 1 } },
    });
  });

  it('mustCanonicalize throws on programming errors', () => {
    expect(() => mustCanonicalize({ a: NaN })).toThrow(/not representable/);
  });
});
