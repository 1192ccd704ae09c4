// Bad input from a (possibly compromised) control plane: each case is
// refused with a typed reason and nothing in the dispatch is acted on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Dispatch, RolloutManifest } from '../../contracts/index.ts';
import {
  generatePrivateKey,
  parseTrustConfig,
  signCanonical,
  type PrivateKey,
  type TrustConfig,
} from '../../trust/index.ts';
import type { ManifestFetch } from '../http/cp-api.ts';
import { StateStore } from '../state/store.ts';
import { verifyDispatchManifest } from './verify-dispatch.ts';

const dir = mkdtempSync(join(tmpdir(), 'nixfleet-manifest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ci = generatePrivateKey('ed25519');
const TARGET = '0000000000000000000000000000000b-nixos-system-web-01-2';
const REF = 'abc1230000000000000000000000000000000000';
const RID = `stable@${REF}`;
const NOW = Date.parse('2026-06-01T12:00:00Z');
const ts = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function trust(key: PrivateKey): TrustConfig {
  const slot = {
    current: { algorithm: 'ed25519', public: key.publicKey.base64 },
    previous: null,
    rejectBefore: null,
    retireAt: null,
    successor: null,
  };
  const t = parseTrustConfig({
    schemaVersion: 1,
    ciReleaseKey: slot,
    cacheKeys: [],
    orgRootKey: null,
  });
  if (!t.ok) throw new Error(t.error.message);
  return t.value;
}

function manifest(o: { signedAt?: number; channelRef?: string } = {}): RolloutManifest {
  return {
    schemaVersion: 1,
    displayName: 'stable@abc1230',
    channel: 'stable',
    channelRef: o.channelRef ?? REF,
    fleetResolvedHash: 'a'.repeat(64),
    hostSet: [{ hostname: 'web-01', waveIndex: 0, targetClosure: TARGET }],
    healthGate: {},
    complianceFrameworks: [],
    disruptionBudgets: [],
    freshnessWindow: 60,
    onHealthFailure: 'rollback-and-halt',
    waves: [{ soakMinutes: 0 }],
    meta: { schemaVersion: 1, signedAt: ts(o.signedAt ?? NOW - 60_000), ciCommit: REF },
  };
}

function signed(m: RolloutManifest, key = ci): ManifestFetch {
  const s = signCanonical(m, key);
  if (!s.ok) throw new Error(s.error.message);
  return { kind: 'ok', bytes: s.value.canonical, signature: s.value.signature };
}

const dispatch = (o: Partial<Dispatch> = {}): Dispatch => ({
  kind: 'Dispatch',
  rollout_id: RID,
  target_closure: TARGET,
  channel: 'stable',
  wave: 0,
  soak_due_at: ts(NOW),
  confirm_deadline: ts(NOW + 360_000),
  issued_at: ts(NOW),
  seq: 1,
  ...o,
});

let n = 0;
function check(
  fetched: ManifestFetch,
  o: { d?: Partial<Dispatch>; now?: number; store?: StateStore } = {},
) {
  return verifyDispatchManifest({
    dispatch: dispatch(o.d),
    hostname: 'web-01',
    trust: trust(ci),
    now: o.now ?? NOW,
    clockSkewSlackMs: 60_000,
    store: o.store ?? new StateStore(join(dir, `s${n++}`)),
    fetch: async () => fetched,
  });
}

describe('dispatch ↔ signed manifest', () => {
  it('accepts a fresh, correctly signed manifest naming the dispatched target', async () => {
    const v = await check(signed(manifest()));
    expect(v).toMatchObject({ ok: true, manifestTarget: TARGET, fromCache: false });
  });

  it('refuses a manifest with a bad signature (ManifestInvalid)', async () => {
    const v = await check(signed(manifest(), generatePrivateKey('ed25519')));
    expect(v).toMatchObject({ ok: false, reason: 'ManifestInvalid' });
    if (!v.ok) expect(v.verifyError?.code).toBe('TRUST_ERR_BAD_SIGNATURE');
  });

  it('refuses a manifest signed for another rollout id', async () => {
    const v = await check(
      signed(manifest({ channelRef: 'def4560000000000000000000000000000000000' })),
    );
    expect(v).toMatchObject({ ok: false, reason: 'ManifestInvalid' });
    if (!v.ok) expect(v.verifyError?.code).toBe('TRUST_ERR_ROLLOUT_ID_MISMATCH');
  });

  it('refuses a stale manifest and a future-dated one (Stale)', async () => {
    const stale = await check(signed(manifest({ signedAt: NOW - 2 * 3_600_000 })));
    expect(stale).toMatchObject({ ok: false, reason: 'Stale' });
    const future = await check(signed(manifest({ signedAt: NOW + 10 * 60_000 })));
    expect(future).toMatchObject({ ok: false, reason: 'Stale' });
    if (!future.ok) expect(future.verifyError?.code).toBe('TRUST_ERR_FUTURE_DATED');
  });

  it('tolerates clock skew within the slack', async () => {
    const v = await check(signed(manifest({ signedAt: NOW + 30_000 })));
    expect(v.ok).toBe(true);
  });

  it('resolves a target not in the manifest or another wave to null (core refuses)', async () => {
    const other = await check(signed(manifest()), { d: { wave: 1 } });
    expect(other).toMatchObject({ ok: true, manifestTarget: null });
    const m = manifest();
    const absent = await check(
      signed({ ...m, hostSet: [{ ...m.hostSet[0]!, hostname: 'db-01' }] }),
    );
    expect(absent).toMatchObject({ ok: true, manifestTarget: null });
  });

  it('reports an unavailable manifest as transient, an unknown one as final', async () => {
    expect(await check({ kind: 'unavailable', detail: 'HTTP 503' })).toMatchObject({
      ok: false,
      reason: 'ManifestUnavailable',
      transient: true,
    });
    expect(await check({ kind: 'not-found' })).toMatchObject({ ok: false, transient: false });
  });

  it('refuses garbage bytes', async () => {
    const v = await check({
      kind: 'ok',
      bytes: new TextEncoder().encode('<html>hi</html>'),
      signature: new Uint8Array(64),
    });
    expect(v).toMatchObject({ ok: false, reason: 'ManifestInvalid' });
  });

  it('refuses a manifest signed before the newest adopted on its channel (rollback)', async () => {
    const REF2 = 'abc4560000000000000000000000000000000000';
    const stateDir = join(dir, 'marks');
    const adopted = await check(signed(manifest({ channelRef: REF2, signedAt: NOW - 60_000 })), {
      d: { rollout_id: `stable@${REF2}` },
      store: new StateStore(stateDir),
    });
    if (!adopted.ok) throw new Error(adopted.detail);
    new StateStore(stateDir).raiseHighWater([adopted.mark], NOW);
    // A fresh store on the same directory: the mark is durable (an agent restart).
    const cases: { name: string; signedAt: number; channel: string; refused: boolean }[] = [
      { name: '50 min older', signedAt: NOW - 50 * 60_000, channel: 'stable', refused: true },
      { name: 'one second older', signedAt: NOW - 61_000, channel: 'stable', refused: true },
      { name: 'same instant', signedAt: NOW - 60_000, channel: 'stable', refused: false },
      { name: 'newer', signedAt: NOW - 1_000, channel: 'stable', refused: false },
      {
        name: 'older, other channel',
        signedAt: NOW - 50 * 60_000,
        channel: 'edge',
        refused: false,
      },
    ];
    for (const [i, k] of cases.entries()) {
      // One rollout id per case: manifests are immutable by id (and cached by it).
      const ref = `abc${i}`.padEnd(40, '0');
      const m = { ...manifest({ signedAt: k.signedAt, channelRef: ref }), channel: k.channel };
      const v = await check(signed(m), {
        d: { rollout_id: `${k.channel}@${ref}`, channel: k.channel },
        store: new StateStore(stateDir),
      });
      expect(v.ok, k.name).toBe(!k.refused);
      if (!v.ok) {
        expect(v).toMatchObject({ reason: 'ManifestInvalid', code: 'AGENT_ERR_MANIFEST_ROLLBACK' });
        expect(v.detail).toContain(ts(NOW - 60_000));
        expect(v.detail).toContain(`stable@${REF2}`);
      }
    }
  });
});
