// TLS session resumption at the real CP: a client offering the ticket of an
// earlier connection resumes (no certificate exchange) and is still the
// host of that connection's certificate; once that certificate has expired
// a resumed session is no identity (401), though OpenSSL resumes it without
// looking at the certificate's dates again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TLSSocket } from 'node:tls';
import { connect } from './kit/client.ts';
import { startTestCp, type TestCp } from './kit/harness.ts';

let t: TestCp;
beforeAll(async () => {
  t = await startTestCp({ release: undefined });
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const reused = (c: Awaited<ReturnType<typeof connect>>): boolean =>
  (c.session.socket as unknown as TLSSocket).isSessionReused();

describe('a resumed TLS session', () => {
  it('speaks for its certificate while it is valid, and not after it expired', async () => {
    const now = Date.now();
    const { cert, key } = await t.pki.client('web-01', {
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 3_000),
    });
    let ticket: Buffer | undefined;
    const keep = (b: Buffer): void => {
      ticket = b;
    };
    const first = await connect(t.port, { ca: t.pki.caPem, cert, key, onSession: keep });
    expect((await first.request('/v1/whoami')).status).toBe(200);
    expect(reused(first)).toBe(false);
    first.close();
    expect(ticket).toBeDefined();

    const again = await connect(t.port, { ca: t.pki.caPem, cert, key, session: ticket });
    expect(reused(again)).toBe(true);
    const who = await again.request('/v1/whoami');
    expect(who.status).toBe(200);
    expect(JSON.stringify(who.json())).toContain('web-01');
    again.close();

    await new Promise((r) => setTimeout(r, Math.max(0, now + 3_500 - Date.now())));
    const lapsed = await connect(t.port, { ca: t.pki.caPem, cert, key, session: ticket });
    expect(reused(lapsed)).toBe(true);
    expect((await lapsed.request('/v1/whoami')).status).toBe(401);
    lapsed.close();
  }, 30_000);
});
