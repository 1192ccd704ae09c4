// The leader's side of forwarding (docs/design/replicas.md): a real CP over
// real mTLS takes `x-nixfleet-forwarded-cert` only from a peer holding a
// `replica:` certificate of the fleet CA, verifies the forwarded
// certificate itself, and acts for it; every way to misuse the header is
// refused with a typed code. The fleet CA issues `replica:` names to
// replicas only.
import { mkdtempSync, rmSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFleetCa } from '../../ts/cp/pki/ca.ts';
import { rfc3339 } from './kit/agent-sim.ts';
import { connect, type H2Client } from './kit/client.ts';
import { startTestCp, type TestCp } from './kit/harness.ts';
import { makePki } from './kit/pki.ts';

const COMMIT = 'c1c2c3c4c5c6c7c8c9c0c1c2c3c4c5c6c7c8c9c0';
const HEADER = 'x-nixfleet-forwarded-cert';

let t: TestCp;
let dir: string;
let replica: H2Client;
const der = (pem: string): string => new X509Certificate(pem).raw.toString('base64');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nixfleet-fwd-id-'));
  t = await startTestCp({
    release: {
      hosts: [
        { name: 'h-000', channel: 'stable', wave: 0 },
        { name: 'h-rev', channel: 'stable', wave: 0 },
      ],
      soakMinutes: [0],
      ciCommit: COMMIT,
      signedAt: rfc3339(),
      revocations: [
        {
          hostname: 'h-rev',
          notBefore: rfc3339(Date.now() + 86_400_000),
          reason: 'lost',
          revokedBy: 'ops',
        },
      ],
    },
  });
  const r = await t.pki.client('replica:cp-b:8443');
  replica = await connect(t.port, { ca: t.pki.caPem, cert: r.cert, key: r.key });
});
afterAll(async () => {
  replica?.close();
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

const codeOf = (r: { json<T>(): T }): string => r.json<{ error: { code: string } }>().error.code;
const whoami = (c: H2Client, forwarded?: string) =>
  c.request('/v1/whoami', forwarded === undefined ? {} : { headers: { [HEADER]: forwarded } });

describe('forwarded client certificates', () => {
  it('from a replica peer, the forwarded certificate is the caller (GET and POST)', async () => {
    const agent = await t.pki.client('h-000');
    const who = await whoami(replica, der(agent.cert));
    expect(who.status).toBe(200);
    expect(who.json<{ cn: string }>().cn).toBe('h-000');
    const op = await t.pki.client('operator:alice');
    const opWho = await whoami(replica, der(op.cert));
    expect(opWho.json<{ cn: string; role: string }>()).toMatchObject({
      cn: 'operator:alice',
      role: 'operator',
    });
    const hb = await replica.request('/v1/agent/heartbeat', {
      headers: { [HEADER]: der(agent.cert) },
      body: {
        hostname: 'h-000',
        agent_version: '0.2.0',
        current_closure: null,
        uptime_secs: 1,
        last_event_seq_by_rollout: {},
        at: rfc3339(),
      },
    });
    expect(hb.status).toBe(200);
    // The forwarded agent is held to its own host, as a direct one.
    const other = await replica.request('/v1/agent/dispatch?wait=0&hostname=h-rev', {
      headers: { [HEADER]: der(agent.cert) },
    });
    expect(other.status).toBe(403);
  });

  it('refuses the header from an agent or an operator (CP_ERR_FORWARD_FORBIDDEN)', async () => {
    const victim = await t.pki.client('operator:root');
    for (const cn of ['h-000', 'operator:alice']) {
      const c = await t.pki.client(cn);
      const client = await connect(t.port, { ca: t.pki.caPem, cert: c.cert, key: c.key });
      const r = await whoami(client, der(victim.cert));
      client.close();
      expect(r.status, cn).toBe(403);
      expect(codeOf(r), cn).toBe('CP_ERR_FORWARD_FORBIDDEN');
    }
    // The client address header is a replica's to send too.
    const c = await t.pki.client('h-000');
    const agentClient = await connect(t.port, { ca: t.pki.caPem, cert: c.cert, key: c.key });
    const spoofFor = await agentClient.request('/v1/whoami', {
      headers: { 'x-nixfleet-forwarded-for': '10.0.0.1:1234' },
    });
    agentClient.close();
    expect(spoofFor.status).toBe(403);
    expect(codeOf(spoofFor)).toBe('CP_ERR_FORWARD_FORBIDDEN');
    const viaReplica = await replica.request('/v1/whoami', {
      headers: { [HEADER]: der(c.cert), 'x-nixfleet-forwarded-for': '10.0.0.1:1234' },
    });
    expect(viaReplica.status).toBe(200);
    // Without any certificate too, on a route that needs none.
    const anon = await t.anonymous();
    const h = await anon.request('/healthz', { noProtocol: true, headers: { [HEADER]: 'AAAA' } });
    anon.close();
    expect(h.status).toBe(403);
  });

  it('refuses a replica certificate as the caller itself (CP_ERR_FORWARD_FORBIDDEN)', async () => {
    const r = await whoami(replica);
    expect(r.status).toBe(403);
    expect(codeOf(r)).toBe('CP_ERR_FORWARD_FORBIDDEN');
  });

  it('refuses a forwarded certificate the client CA does not vouch for now (401 CP_ERR_FORWARDED_CERT_INVALID)', async () => {
    const foreign = await makePki(dir);
    const cases: [string, string][] = [
      ['another CA', der((await foreign.client('h-000')).cert)],
      [
        'expired',
        der(
          (
            await t.pki.client('h-000', {
              notBefore: new Date(Date.now() - 7_200_000),
              notAfter: new Date(Date.now() - 3_600_000),
            })
          ).cert,
        ),
      ],
      [
        'not yet valid',
        der((await t.pki.client('h-000', { notBefore: new Date(Date.now() + 3_600_000) })).cert),
      ],
      ['no clientAuth', der((await t.pki.client('h-000', { eku: 'none' })).cert)],
      ['a replica (no nesting)', der((await t.pki.client('replica:cp-c:8443')).cert)],
      ['the CA itself', der(t.pki.caPem)],
      ['malformed base64', '!!notbase64!!'],
      ['not DER', Buffer.from('hello world').toString('base64')],
      ['oversized', 'A'.repeat(9000)],
    ];
    for (const [name, value] of cases) {
      const r = await whoami(replica, value);
      expect(r.status, name).toBe(401);
      expect(codeOf(r), name).toBe('CP_ERR_FORWARDED_CERT_INVALID');
    }
  });

  it('refuses a revoked forwarded certificate as a direct one (403 CP_ERR_CERT_REVOKED)', async () => {
    const revoked = await t.pki.client('h-rev');
    const r = await whoami(replica, der(revoked.cert));
    expect(r.status).toBe(403);
    expect(codeOf(r)).toBe('CP_ERR_CERT_REVOKED');
  });

  it('the fleet CA issues replica: names to replicas only', async () => {
    const ca = await loadFleetCa({
      certFile: t.pki.caCertFile,
      keyFile: t.pki.caKeyFile,
      issuanceLog: join(dir, 'issuance.log'),
    });
    const base = {
      publicKeyRaw: new Uint8Array(32).fill(7),
      fingerprint: 'x',
      now: Date.now(),
      validityMs: 60_000,
      nonce: null,
    };
    for (const via of ['enroll', 'enroll-reissue', 'renew'] as const) {
      await expect(ca.issue({ ...base, hostname: 'replica:x', via })).rejects.toMatchObject({
        code: 'CP_ERR_FORBIDDEN',
      });
    }
    await expect(ca.issue({ ...base, hostname: 'h-000', via: 'replica' })).rejects.toMatchObject({
      code: 'CP_ERR_FORBIDDEN',
    });
    const ok = await ca.issue({ ...base, hostname: 'replica:cp-b:8443', via: 'replica' });
    expect(new X509Certificate(ok.certPem).subject).toBe('CN=replica:cp-b:8443');
  });
});
