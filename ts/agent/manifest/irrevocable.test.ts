// The agent as the last line of defence for irrevocable values: a dispatch
// whose signed target changes or removes a value signed with the generation
// the host runs is refused (AGENT_ERR_IRREVOCABLE_CHANGE) unless the signed
// manifest records the acceptance for this host and name. Real signed
// manifests, a real state directory: the host's current generation is the
// target of a manifest it verified (and cached) earlier.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Dispatch, RolloutManifest } from '../../contracts/index.ts';
import {
  canonicalBytes,
  generatePrivateKey,
  parseTrustConfig,
  sha256Hex,
  signCanonical,
  type TrustConfig,
} from '../../trust/index.ts';
import type { ManifestFetch } from '../http/cp-api.ts';
import { StateStore } from '../state/store.ts';
import { verifyDispatchManifest } from './verify-dispatch.ts';

const dir = mkdtempSync(join(tmpdir(), 'nixfleet-irrevocable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ci = generatePrivateKey('ed25519');
const OLD = '0000000000000000000000000000000a-nixos-system-hive-01-1';
const NEW = '0000000000000000000000000000000b-nixos-system-hive-01-2';
const NOW = Date.parse('2026-06-01T12:00:00Z');
const ts = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const trust: TrustConfig = (() => {
  const slot = {
    current: { algorithm: 'ed25519', public: ci.publicKey.base64 },
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
})();

const digest = (v: unknown): string => {
  const b = canonicalBytes(v);
  if (!b.ok) throw new Error(b.error.message);
  return sha256Hex(b.value);
};
const plain = (v: string) => ({ sha256: digest(v), value: v, sensitive: false });
const secret = (v: string) => ({ sha256: digest(v), value: null, sensitive: true });

type Entry = RolloutManifest['hostSet'][number];

function signedManifest(
  ref: string,
  target: string,
  extra: Partial<Entry>,
  signedAt: number,
): ManifestFetch {
  const m: RolloutManifest = {
    schemaVersion: 1,
    displayName: `stable@${ref.slice(0, 7)}`,
    channel: 'stable',
    channelRef: ref,
    fleetResolvedHash: 'a'.repeat(64),
    hostSet: [{ hostname: 'hive-01', waveIndex: 0, targetClosure: target, ...extra }],
    healthGate: {},
    complianceFrameworks: [],
    disruptionBudgets: [],
    freshnessWindow: 60,
    onHealthFailure: 'rollback-and-halt',
    waves: [{ soakMinutes: 0 }],
    meta: { schemaVersion: 1, signedAt: ts(signedAt), ciCommit: ref },
  };
  const s = signCanonical(m, ci);
  if (!s.ok) throw new Error(s.error.message);
  return { kind: 'ok', bytes: s.value.canonical, signature: s.value.signature };
}

const dispatch = (ref: string, target: string): Dispatch => ({
  kind: 'Dispatch',
  rollout_id: `stable@${ref}`,
  target_closure: target,
  channel: 'stable',
  wave: 0,
  soak_due_at: ts(NOW),
  confirm_deadline: ts(NOW + 360_000),
  issued_at: ts(NOW),
  seq: 1,
});

const GEN1 = 'aaa1000000000000000000000000000000000000';
const GEN2 = 'bbb2000000000000000000000000000000000000';
let n = 0;

/**
 * A host that verified GEN1 (target OLD, `current` values) and runs OLD,
 * then receives GEN2 (target NEW) signed with `target`.
 */
async function judge(current: Partial<Entry>, target: Partial<Entry>, runs: string | null = OLD) {
  const store = new StateStore(join(dir, `s${n++}`));
  const verify = (
    ref: string,
    closure: string,
    fetched: ManifestFetch,
    currentClosure: string | null,
  ) =>
    verifyDispatchManifest({
      dispatch: dispatch(ref, closure),
      hostname: 'hive-01',
      trust,
      now: NOW,
      clockSkewSlackMs: 60_000,
      store,
      fetch: async () => fetched,
      currentClosure,
    });
  const first = await verify(GEN1, OLD, signedManifest(GEN1, OLD, current, NOW - 120_000), null);
  if (!first.ok) throw new Error(first.detail);
  return verify(GEN2, NEW, signedManifest(GEN2, NEW, target, NOW - 60_000), runs);
}

const acceptance = (name: string, from: string, to: string | null, host = 'hive-01') => ({
  host,
  name,
  oldSha256: digest(from),
  newSha256: to === null ? null : digest(to),
  oldValue: from,
  newValue: to,
  acceptedBy: 'ci@example',
  ciCommit: GEN2,
  acceptedAt: ts(NOW - 60_000),
});

describe('agent: irrevocable values of the running generation', () => {
  it('refuses a target that changes serverName without a signed acceptance', async () => {
    const v = await judge(
      { irrevocable: { serverName: plain('matrix.example.com') } },
      { irrevocable: { serverName: plain('example.com') } },
    );
    expect(v).toMatchObject({
      ok: false,
      reason: 'ManifestInvalid',
      code: 'AGENT_ERR_IRREVOCABLE_CHANGE',
    });
    if (!v.ok) {
      expect(v.detail).toContain('serverName: "matrix.example.com" -> "example.com"');
      expect(v.detail).toContain(`stable@${GEN1}`);
      expect(v.detail).toContain('--accept-irrevocable-change hive-01:serverName');
      expect(v.transient).toBe(false);
    }
  });

  it('accepts the same change when the signed manifest records its acceptance for this host', async () => {
    const v = await judge(
      { irrevocable: { serverName: plain('matrix.example.com') } },
      {
        irrevocable: { serverName: plain('example.com') },
        irrevocableAcceptances: [acceptance('serverName', 'matrix.example.com', 'example.com')],
      },
    );
    expect(v).toMatchObject({ ok: true, manifestTarget: NEW });
  });

  it('refuses when the acceptance is for another host, or for another value', async () => {
    const other = await judge(
      { irrevocable: { serverName: plain('matrix.example.com') } },
      {
        irrevocable: { serverName: plain('example.com') },
        irrevocableAcceptances: [
          acceptance('serverName', 'matrix.example.com', 'example.com', 'hive-02'),
        ],
      },
    );
    expect(other).toMatchObject({ ok: false, code: 'AGENT_ERR_IRREVOCABLE_CHANGE' });
    const elsewhere = await judge(
      { irrevocable: { serverName: plain('matrix.example.com') } },
      {
        irrevocable: { serverName: plain('example.com') },
        irrevocableAcceptances: [
          acceptance('serverName', 'matrix.example.com', 'hive.example.com'),
        ],
      },
    );
    expect(elsewhere).toMatchObject({ ok: false, code: 'AGENT_ERR_IRREVOCABLE_CHANGE' });
  });

  it('refuses a removal, and a changed sensitive value without printing it', async () => {
    const removed = await judge({ irrevocable: { serverName: plain('matrix.example.com') } }, {});
    expect(removed).toMatchObject({ ok: false, code: 'AGENT_ERR_IRREVOCABLE_CHANGE' });
    if (!removed.ok)
      expect(removed.detail).toContain('serverName: "matrix.example.com" -> (removed)');
    const hidden = await judge(
      { irrevocable: { clusterId: secret('s3cr3t-1') } },
      { irrevocable: { clusterId: secret('s3cr3t-2') } },
    );
    expect(hidden).toMatchObject({ ok: false, code: 'AGENT_ERR_IRREVOCABLE_CHANGE' });
    if (!hidden.ok) {
      expect(hidden.detail).toMatch(/clusterId: <sensitive sha256:[0-9a-f]{12}…> -> <sensitive/);
      expect(hidden.detail).not.toContain('s3cr3t');
    }
  });

  it('accepts unchanged values and additions; with no signed generation to compare, the release check stands alone', async () => {
    const same = await judge(
      { irrevocable: { serverName: plain('example.com') } },
      { irrevocable: { serverName: plain('example.com'), region: plain('eu') } },
    );
    expect(same).toMatchObject({ ok: true, manifestTarget: NEW });
    // The host runs a closure no cached manifest targets (installed by hand).
    const unknown = await judge(
      { irrevocable: { serverName: plain('matrix.example.com') } },
      { irrevocable: { serverName: plain('example.com') } },
      '0000000000000000000000000000000c-nixos-system-hive-01-0',
    );
    expect(unknown).toMatchObject({ ok: true, manifestTarget: NEW });
  });
});
