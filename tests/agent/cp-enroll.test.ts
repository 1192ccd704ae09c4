// Enrollment edges against the real control plane. Renewal: the CP's own
// fleet CA issues the host a one-hour certificate dated 40 minutes ago (what
// enrollment would have produced then), so it is past half its lifetime;
// the agent renews over mTLS (/v1/agent/renew), writes the new certificate
// and keeps working with it. Bootstrap report: a token naming another key
// is refused at /v1/enroll; the agent reports it once on
// /v1/agent/bootstrap-report (recorded in the CP's event_log), keeps
// retrying instead of crash-looping, and stops when asked. Lost answer: the
// CP burned the token on an enrollment whose answer never reached the host;
// the agent's retry (same key, same token) gets a re-issued certificate.
import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateInfo, isAgentError, startAgent } from '../../ts/agent/index.ts';
import { createCsr } from '../../ts/agent/enroll/csr.ts';
import { loadHostKey } from '../../ts/agent/enroll/host-key.ts';
import { mintToken } from '../cp/kit/release.ts';
import { agentConfig, makeHost } from './support/fleet.ts';
import {
  execProbe,
  healthChecks,
  NONCE,
  rfc3339,
  startWorld,
  until,
  type World,
} from './support/world.ts';

let w: World;

beforeAll(async () => {
  w = await startWorld({});
}, 240_000);

afterAll(async () => {
  await w?.close();
});

const certFile = (): string => join(w.stateDir, 'tls/client.crt');
const cert = () => certificateInfo(readFileSync(certFile(), 'utf8'));

describe('certificate renewal and bootstrap reports against the real CP', () => {
  it('renews at half the lifetime over mTLS and keeps working with the new certificate', async () => {
    const issued = await w.t.cp.runtime.ca!.issue({
      hostname: w.host.name,
      publicKeyRaw: w.host.key.publicKey.raw,
      fingerprint: w.host.key.publicKey.fingerprint,
      now: Date.now() - 40 * 60_000,
      validityMs: 3_600_000,
      via: 'enroll',
      nonce: null,
    });
    mkdirSync(join(w.stateDir, 'tls'), { recursive: true });
    writeFileSync(certFile(), issued.certPem);
    const agent = await w.start();
    const first = cert();
    const lifetime = first.notAfter - first.notBefore;
    expect(lifetime).toBe(3_600_000);
    expect(first.renewAt).toBeLessThan(Date.now());
    await until(() => cert().notBefore > Date.now() - 5 * 60_000, 30_000);
    const renewed = cert();
    expect(renewed.notAfter - renewed.notBefore).toBeGreaterThan(lifetime);
    expect(renewed.subject).toContain(`CN=${w.host.name}`);
    // The renewed certificate carries the rest of the conversation.
    const gen2 = await w.build({
      generation: '2',
      files: {
        'etc/nixfleet/agent/health-checks.json': healthChecks(w.host.name, execProbe('/bin/true')),
      },
    });
    await w.push(gen2);
    const rid = await w.publish(2, gen2);
    await until(() => w.record(rid)?.state === 'Converged');
    expect(cert().notBefore).toBe(renewed.notBefore);
    await agent.stop();
  }, 120_000);

  it('reports a refused enrollment once on bootstrap-report and keeps retrying', async () => {
    // A host the CP never heard from (it refuses reports for enrolled hosts),
    // holding a validly signed token whose nonce is not in the allowlist.
    const impostor = makeHost(join(w.work, 'impostor'), 'impostor');
    const token = mintToken(w.t.trust, {
      hostname: impostor.name,
      expectedPubkeyFingerprint: impostor.key.publicKey.fingerprint,
      issuedAt: rfc3339(Date.now() - 60_000),
      expiresAt: rfc3339(Date.now() + 3_600_000),
      nonce: NONCE.replace(/^0/, 'f'),
    });
    const tokenFile = join(w.work, 'wrong-key.token.json');
    writeFileSync(tokenFile, JSON.stringify(token));
    const stop = new AbortController();
    const started = startAgent(
      agentConfig({
        port: w.port,
        host: impostor,
        stateDir: join(w.work, 'state-refused'),
        trustFile: w.trustFile,
        caFile: w.t.pki.caCertFile,
        cacheUrl: w.cache.url,
        tokenFile,
      }),
      {},
      stop.signal,
    ).then(
      () => null,
      (e: unknown) => e,
    );
    const db = new Database(w.t.dbPath, { readonly: true, fileMustExist: true });
    const reports = (): { hostname: string; body: string }[] =>
      db
        .prepare(
          "SELECT hostname, body FROM event_log WHERE stream = 'bootstrap' AND kind = 'BootstrapReport'",
        )
        .all() as { hostname: string; body: string }[];
    try {
      await until(() => reports().length > 0, 30_000);
      // Several more refused attempts (backoff 50..500 ms): still one report.
      await new Promise((r) => setTimeout(r, 2_500));
      const rows = reports();
      expect(rows).toHaveLength(1);
      expect(rows[0]?.hostname).toBe(impostor.name);
      const body = JSON.parse(rows[0]!.body) as { event: Record<string, unknown> };
      expect(body.event).toMatchObject({ kind: 'EnrollmentFailed', code: 'AGENT_ERR_CP_STATUS' });
      expect(String(body.event['message'])).toMatch(/\/v1\/enroll: HTTP 4\d\d/);
    } finally {
      stop.abort();
      db.close();
    }
    expect(isAgentError(await started, 'AGENT_ERR_ENROLL')).toBe(true);
  }, 60_000);

  it('enrolls although the CP burned its token on an answer the agent never got', async () => {
    // The first answer is lost (the CP committed and issued; the host never
    // saw the certificate): the token is burned.
    const token = JSON.parse(readFileSync(w.tokenFile, 'utf8')) as Record<string, unknown>;
    const c = await w.t.anonymous();
    const lost = await c.request('/v1/enroll', {
      body: { token, csrPem: await createCsr(loadHostKey(w.host.keyFile).key, w.host.name) },
    });
    c.close();
    expect(lost.status).toBe(200);
    const lostAt = Date.now();
    // The agent, starting without a certificate, retries with the same key and token.
    const stateDir = join(w.work, 'state-lost-answer');
    const agent = await startAgent(
      agentConfig({
        port: w.port,
        host: w.host,
        stateDir,
        trustFile: w.trustFile,
        caFile: w.t.pki.caCertFile,
        cacheUrl: w.cache.url,
        tokenFile: w.tokenFile,
      }),
      {},
    );
    try {
      const got = certificateInfo(readFileSync(join(stateDir, 'tls/client.crt'), 'utf8'));
      expect(got.subject).toContain(`CN=${w.host.name}`);
      const log = readFileSync(join(w.t.dir, 'state', 'issuance.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((e) => e['nonce'] === NONCE);
      expect(log.map((e) => e['via'])).toEqual(['enroll', 'enroll-reissue']);
      // The re-issued certificate works: the CP hears the host's heartbeats.
      await until(
        () => (w.t.cp.runtime.state.liveness.get(w.host.name)?.lastHeartbeatAt ?? 0) > lostAt,
        30_000,
      );
    } finally {
      await agent.stop();
    }
  }, 60_000);
});
