// Trust-core benchmark: a signed fleet.resolved of 10,000 hosts through the
// full verifier (parse + canonicalise + signature + schema), canonicalisation
// throughput as a ratio to JSON.stringify on the same value, and raw
// verifies/s for ed25519 and P-256 with node:crypto (the path the control
// plane uses) next to @noble/curves. Every figure is measured in this run.
//
// Run: npx tsx bench/trust.bench.ts [hosts=10000]
import { performance } from 'node:perf_hooks';
import canonicalizePackage from 'canonicalize';
import {
  canonicalize,
  encodeUtf8,
  mustCanonicalize,
  parseJsonBytes,
  parseTrustConfig,
  sha256Hex,
  signBytes,
  verifyArtifact,
  verifyBytes,
  verifyBytesNoble,
  type PrivateKey,
  type TrustConfig,
} from '../ts/trust/index.ts';
import { validateContract } from '../ts/contracts/index.ts';
import { fixtureKey } from '../tests/fixtures/trust/make-fixtures.ts';
import { makeFleetResolved } from '../tests/fixtures/trust/synthetic.ts';

const HOSTS = Number(process.argv[2] ?? 10_000);
const reference = canonicalizePackage as unknown as (v: unknown) => string;

/** Median wall time (ms) of `fn` over `runs` runs after `warmup` runs. */
function time(fn: () => unknown, runs = 15, warmup = 3): number {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

/** Operations per second of `fn`, run for about `ms` milliseconds. */
function rate(fn: () => unknown, ms = 1000): number {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

function shuffleKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shuffleKeys);
  if (v === null || typeof v !== 'object') return v;
  const entries = Object.entries(v as Record<string, unknown>).reverse();
  return Object.fromEntries(entries.map(([k, x]) => [k, shuffleKeys(x)]));
}

function trustFor(key: PrivateKey): TrustConfig {
  const slot = {
    current: { algorithm: key.algorithm, public: key.publicKey.base64 },
    previous: null,
    rejectBefore: null,
    retireAt: null,
    successor: null,
  };
  const r = parseTrustConfig({
    cacheKeys: [],
    ciReleaseKey: slot,
    orgRootKey: null,
    schemaVersion: 1,
  });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const fmt = (ms: number): string => `${ms.toFixed(2).padStart(8)} ms`;
const row = (label: string, value: string): void =>
  void process.stdout.write(`  ${label.padEnd(46)} ${value}\n`);

const signedAt = '2026-01-15T12:00:00Z';
const now = new Date('2026-01-15T13:00:00Z');
const ed = fixtureKey('ci-ed25519');
const p256 = fixtureKey('ci-p256', 'ecdsa-p256');

process.stdout.write(`nixfleet trust benchmark — node ${process.version}, ${HOSTS} hosts\n\n`);

// --- 1. The signed fleet.resolved -----------------------------------------
const fleet = makeFleetResolved({ hosts: HOSTS, signedAt, ciCommit: 'a'.repeat(40) });
const fleetP256 = makeFleetResolved({
  hosts: HOSTS,
  signedAt,
  ciCommit: 'a'.repeat(40),
  signatureAlgorithm: 'ecdsa-p256',
});
const bytes = encodeUtf8(mustCanonicalize(fleet));
const bytesP256 = encodeUtf8(mustCanonicalize(fleetP256));
const sigEd = signBytes(bytes, ed);
const sigP256 = signBytes(bytesP256, p256);
const opts = { now, freshnessWindowSecs: 86_400 };
const trustEd = trustFor(ed);
const trustP256 = trustFor(p256);
for (const [b, s, t] of [
  [bytes, sigEd, trustEd],
  [bytesP256, sigP256, trustP256],
] as const) {
  const r = verifyArtifact(b, s, { ...opts, trust: t });
  if (!r.ok) throw new Error(`benchmark artifact does not verify: ${r.error.message}`);
}

process.stdout.write(`fleet.resolved: ${(bytes.length / 1024 / 1024).toFixed(2)} MiB canonical\n`);
const parsed = parseJsonBytes(bytes);
if (!parsed.ok) throw new Error('parse');
const value = parsed.value.value;
const tParse = time(() => parseJsonBytes(bytes));
const tCanon = time(() => canonicalize(value));
const tSig = time(() => verifyBytes(bytes, sigEd, ed.publicKey));
const tSchema = time(() => validateContract('fleet-resolved', value));
const tHash = time(() => sha256Hex(bytes));
const tVerifyEd = time(() => verifyArtifact(bytes, sigEd, { ...opts, trust: trustEd }));
const tVerifyP256 = time(() => verifyArtifact(bytesP256, sigP256, { ...opts, trust: trustP256 }));
row('verifyArtifact, ed25519 (end to end)', `${fmt(tVerifyEd)}   target < 150 ms`);
row('verifyArtifact, ecdsa-p256 (end to end)', fmt(tVerifyP256));
row('  of which: strict UTF-8 decode + JSON.parse', fmt(tParse));
row('  of which: re-canonicalise (byte equality)', fmt(tCanon));
row('  of which: ed25519 signature (node:crypto)', fmt(tSig));
row('  of which: sha256 of the bytes', fmt(tHash));
row('  of which: schema validation (ajv)', fmt(tSchema));

// --- 2. Canonicalisation throughput vs JSON.stringify --------------------
process.stdout.write(
  '\ncanonicalisation of the same value (time, throughput, time ÷ JSON.stringify time):\n',
);
const shuffled = shuffleKeys(value);
const tStringify = time(() => JSON.stringify(value));
const tCanonShuffled = time(() => canonicalize(shuffled));
const tReference = time(() => reference(value));
const mbps = (ms: number): string =>
  `${(bytes.length / 1024 / 1024 / (ms / 1000)).toFixed(0).padStart(5)} MiB/s`;
row('JSON.stringify', `${fmt(tStringify)}  ${mbps(tStringify)}  1.00×`);
row(
  'canonicalize, keys already sorted (verify path)',
  `${fmt(tCanon)}  ${mbps(tCanon)}  ${(tCanon / tStringify).toFixed(2)}×`,
);
row(
  'canonicalize, keys unsorted (signing path)',
  `${fmt(tCanonShuffled)}  ${mbps(tCanonShuffled)}  ${(tCanonShuffled / tStringify).toFixed(2)}×`,
);
row(
  'canonicalize package alone (reference)',
  `${fmt(tReference)}  ${mbps(tReference)}  ${(tReference / tStringify).toFixed(2)}×`,
);

// --- 3. Verifies per second, one core ------------------------------------
process.stdout.write(
  '\nsignature verifies/s on one core (a 512-byte canonical payload, cached keys):\n',
);
const small = encodeUtf8(mustCanonicalize({ payload: 'x'.repeat(490) }));
const smallEd = signBytes(small, ed);
const smallP256 = signBytes(small, p256);
const rates = {
  edNode: rate(() => verifyBytes(small, smallEd, ed.publicKey)),
  edNoble: rate(() => verifyBytesNoble(small, smallEd, ed.publicKey), 1500),
  pNode: rate(() => verifyBytes(small, smallP256, p256.publicKey)),
  pNoble: rate(() => verifyBytesNoble(small, smallP256, p256.publicKey), 1500),
};
const r0 = (n: number): string => `${Math.round(n).toLocaleString('en-US').padStart(7)}/s`;
row('', '   node:crypto    @noble/curves   ratio');
row(
  'ed25519',
  `${r0(rates.edNode)}     ${r0(rates.edNoble)}   ${(rates.edNode / rates.edNoble).toFixed(1)}×`,
);
row(
  'ecdsa-p256',
  `${r0(rates.pNode)}     ${r0(rates.pNoble)}   ${(rates.pNode / rates.pNoble).toFixed(1)}×`,
);
row('ed25519 on the control-plane path (node:crypto)', `${r0(rates.edNode)}   target ≥ 8,000/s`);

const pass = tVerifyEd < 150 && rates.edNode >= 8000;
process.stdout.write(`\n${pass ? 'targets met' : 'TARGETS MISSED'}\n`);
