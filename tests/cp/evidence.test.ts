// Auditable evidence from CP storage alone: a ProbeResult signed by the host
// key (the agent's own signing code) is ingested by the real CP; the auditor
// takes what the CP kept — `/v1/rollouts/{id}/events` and, independently,
// the event_log row in the SQLite file — and verifies it with the trust core
// and with the real CLI (`nixfleet verify probe`) against the host's
// OpenSSH public key. One flipped bit in the stored payload or signature
// makes both refuse.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signProbeResult } from '../../ts/agent/probes/evidence.ts';
import type { ProbeSpec } from '../../ts/agent/probes/config.ts';
import { validateContract, type ApiRolloutEvents } from '../../ts/contracts/index.ts';
import {
  decodeBase64Strict,
  encodeBase64,
  encodeUtf8,
  formatOpenSshPublicKey,
  generatePrivateKey,
  verifySignedPayload,
  type PrivateKey,
} from '../../ts/trust/index.ts';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';

const CLI = join(import.meta.dirname, '../../bin/nixfleet.mjs');
const COMMIT = 'e1e2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const RID = `stable@${COMMIT}`;
const HOST = 'h-000';
let t: TestCp;
let key: PrivateKey;

beforeAll(async () => {
  t = await startTestCp({
    release: { hosts: hostsIn([1]), soakMinutes: [0], ciCommit: COMMIT, signedAt: rfc3339() },
  });
  key = generatePrivateKey('ed25519');
});
afterAll(async () => {
  await t.close();
});

function cliVerify(payload: Uint8Array, signatureB64: string): number {
  const dir = t.dir;
  const tag = Math.random().toString(16).slice(2);
  const files = {
    payload: join(dir, `payload-${tag}.json`),
    signature: join(dir, `sig-${tag}.b64`),
    pubkey: join(dir, `host-${tag}.pub`),
  };
  writeFileSync(files.payload, payload);
  writeFileSync(files.signature, `${signatureB64}\n`);
  writeFileSync(files.pubkey, `${formatOpenSshPublicKey(key.publicKey.raw, HOST)}\n`);
  const r = spawnSync(
    process.execPath,
    [CLI, 'verify', 'probe', '--payload', files.payload, '--signature', files.signature].concat([
      '--pubkey',
      files.pubkey,
      '--hostname',
      HOST,
    ]),
    { encoding: 'utf8', timeout: 60_000 },
  );
  return r.status ?? -1;
}

function coreVerify(payload: Uint8Array, signatureB64: string): boolean {
  const sig = decodeBase64Strict(signatureB64);
  if (sig === null) return false;
  return verifySignedPayload(payload, sig, {
    publicKey: key.publicKey,
    expectedHostname: HOST,
    contract: 'probe-payload',
  }).ok;
}

function flipBit(bytes: Uint8Array, index: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[index] = (out[index] as number) ^ 0x01;
  return out;
}

describe('probe evidence kept by the CP', () => {
  it('stores payload and signature so an auditor verifies them from CP data; a flipped bit fails', async () => {
    const a = new SimAgent(HOST, await t.client(HOST));
    expect((await a.heartbeat()).status).toBe(200);
    await t.cp.tick('test');
    const d = await a.poll(5);
    if (d === null) throw new Error('no dispatch');
    const now = rfc3339();
    const send = async (k: Parameters<SimAgent['send']>[0], body: Record<string, unknown>) =>
      (await a.send(k, RID, body as never)).status;
    expect(await send('DispatchAck', { received_at: now, current_closure_at_dispatch: null })).toBe(
      204,
    );
    expect(await send('ActivationStarted', { started_at: now, switch_method: 'sandbox' })).toBe(
      204,
    );
    expect(
      await send('ActivationComplete', {
        completed_at: now,
        observed_current_closure: d.target_closure,
        switch_exit_code: 0,
      }),
    ).toBe(204);
    expect(
      await send('ProbeTopologyDeclared', {
        declared_at: now,
        probes: [{ name: 'alive', kind: 'exec', mode: 'enforce' }],
      }),
    ).toBe(204);
    const signed = signProbeResult({
      spec: { name: 'alive', kind: 'exec', mode: 'enforce' } as unknown as ProbeSpec,
      outcome: { status: 'Pass', failureReason: null, subResults: null, output: { exitCode: 0 } },
      at: Date.now(),
      hostname: HOST,
      bootId: '0f4c7c1e-7d0a-4a53-9b1b-5e2d8c3f6a10',
      generation: d.target_closure,
      rolloutId: RID,
      key,
    });
    // The agent sends the payload object (key order as built, not canonical).
    expect(
      await send('ProbeResult', {
        probe_name: 'alive',
        status: 'Pass',
        observed_at: rfc3339(),
        failure_reason: null,
        mode: 'enforce',
        sub_results: null,
        signature: signed.signatureBase64,
        payload: signed.payload,
      }),
    ).toBe(204);

    // 1. The operator API (contract api-rollout-events).
    const r = await (await t.client('operator:test')).request(`/v1/rollouts/${RID}/events`);
    expect(r.status).toBe(200);
    const view = r.json<ApiRolloutEvents>();
    expect(validateContract('api-rollout-events', view).ok).toBe(true);
    const withEvidence = view.events.filter((e) => e.evidence != null);
    expect(withEvidence).toHaveLength(1);
    const ev = withEvidence[0]?.evidence as { payloadJcs: string; signature: string };
    expect(withEvidence[0]?.hostname).toBe(HOST);
    const apiBytes = encodeUtf8(ev.payloadJcs);
    expect(Buffer.from(apiBytes).equals(Buffer.from(signed.bytes))).toBe(true);
    expect(ev.signature).toBe(signed.signatureBase64);
    expect(coreVerify(apiBytes, ev.signature)).toBe(true);
    expect(cliVerify(apiBytes, ev.signature)).toBe(0);

    // 2. The SQLite file itself (what survives if the CP is gone).
    const db = new Database(t.dbPath, { readonly: true });
    const rows = db
      .prepare('SELECT body FROM event_log WHERE hostname = ? AND body LIKE \'%"evidence"%\'')
      .all(HOST) as { body: string }[];
    db.close();
    expect(rows).toHaveLength(1);
    const stored = (JSON.parse((rows[0] as { body: string }).body) as { evidence: typeof ev })
      .evidence;
    const dbBytes = encodeUtf8(stored.payloadJcs);
    expect(coreVerify(dbBytes, stored.signature)).toBe(true);
    expect(cliVerify(dbBytes, stored.signature)).toBe(0);

    // 3. One flipped bit, in the payload or in the signature, is refused.
    const badPayload = flipBit(dbBytes, dbBytes.indexOf(0x50 /* 'P' of Pass */));
    expect(coreVerify(badPayload, stored.signature)).toBe(false);
    expect(cliVerify(badPayload, stored.signature)).toBe(1);
    const sig = decodeBase64Strict(stored.signature) as Uint8Array;
    const badSig = encodeBase64(flipBit(sig, 7));
    expect(coreVerify(dbBytes, badSig)).toBe(false);
    expect(cliVerify(dbBytes, badSig)).toBe(1);
  }, 120_000);
});
