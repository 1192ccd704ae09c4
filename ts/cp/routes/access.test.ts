// The authorization table's own consistency: a route that needs no
// certificate treats every caller alike, only agents get `own`, nothing
// unlisted is served, and certificates map to the caller kinds.
import { describe, expect, it } from 'vitest';
import type { PeerIdentity } from '../pki/identity.ts';
import { ACCESS_TABLE, CP_ACCESS, accessRow, authorize, callerOf, routeAuth } from './access.ts';

const id = (cn: string, clientAuth = true): PeerIdentity => ({
  cn,
  serial: '01',
  notBefore: 0,
  notAfter: 1,
  clientAuth,
  raw: Buffer.alloc(0),
});

describe('authorization table', () => {
  it('lists each route once', () => {
    expect(CP_ACCESS.size).toBe(ACCESS_TABLE.length);
  });

  it('treats every caller alike on routes that need no certificate', () => {
    for (const r of ACCESS_TABLE) {
      if (r.none === 'deny') continue;
      expect([r.agent, r.operator], r.route).toEqual([r.none, r.none]);
    }
  });

  it('gives `own` to agents only and `token` to whole rows only', () => {
    for (const r of ACCESS_TABLE) {
      expect(r.operator, r.route).not.toBe('own');
      expect(r.none, r.route).not.toBe('own');
      if (r.none !== 'token') expect([r.agent, r.operator], r.route).not.toContain('token');
    }
  });

  it('refuses to serve a route without a row', () => {
    expect(() => accessRow(CP_ACCESS, 'POST /v1/admin')).toThrow(/no row/);
  });

  it('derives the certificate requirement from the row', () => {
    expect(routeAuth(accessRow(CP_ACCESS, 'GET /healthz'))).toBe('none');
    expect(routeAuth(accessRow(CP_ACCESS, 'POST /v1/enroll'))).toBe('bootstrap');
    expect(routeAuth(accessRow(CP_ACCESS, 'GET /v1/hosts'))).toBe('mtls');
  });

  it('maps certificates to caller kinds', () => {
    expect(callerOf(null)).toEqual({ kind: 'none' });
    expect(callerOf(id('web-01'))).toEqual({ kind: 'agent', host: 'web-01' });
    expect(callerOf(id('operator:alice'))).toEqual({
      kind: 'operator',
      name: 'alice',
      role: 'operator',
    });
    expect(callerOf(id('operator:'))).toEqual({ kind: 'none' });
    expect(callerOf(id('operator:alice', false))).toEqual({ kind: 'none' });
  });

  it('names the refusal', () => {
    const hosts = accessRow(CP_ACCESS, 'GET /v1/hosts');
    const code = (v: ReturnType<typeof authorize>): string | null =>
      v instanceof Error ? v.code : null;
    expect(code(authorize(hosts, null))).toBe('CP_ERR_CLIENT_CERT_REQUIRED');
    expect(code(authorize(hosts, id('web-01', false)))).toBe('CP_ERR_CLIENT_CERT_USAGE');
    expect(code(authorize(hosts, id('web-01')))).toBe('CP_ERR_FORBIDDEN');
    expect(code(authorize(hosts, id('operator:alice')))).toBeNull();
    const dispatch = accessRow(CP_ACCESS, 'GET /v1/agent/dispatch');
    expect(code(authorize(dispatch, id('operator:alice')))).toBe('CP_ERR_FORBIDDEN');
    expect(authorize(dispatch, id('web-01'))).toMatchObject({ cell: 'own' });
  });
});
