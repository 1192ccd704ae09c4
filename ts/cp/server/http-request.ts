// The main thread's part of one request besides running its handler: the
// caller re-checked against live state (the edge's copy of the revocations
// may be one adoption behind), a thrown error mapped to its reply, and the
// reply put in the form posted back to the edge.
import { CpError, isCpError } from '../errors.ts';
import { revocationOf, type PeerIdentity } from '../pki/identity.ts';
import { authorize } from '../routes/access.ts';
import type { RevocationRow } from '../storage/types.ts';
import type { RouteMeta } from './edge-protocol.ts';
import type { Reply } from './types.ts';

/**
 * The refusal for `identity` on an mTLS route, or null when it may call it.
 * The edge decided already; deciding again here keeps a handler unreachable
 * for a denied caller whatever the edge did, and applies a revocation
 * adopted after the edge's check.
 */
export function recheckCaller(
  route: RouteMeta,
  identity: PeerIdentity | null,
  revocations: ReadonlyMap<string, RevocationRow>,
): CpError | null {
  const verdict = authorize(route.access, identity);
  if (verdict instanceof CpError) return verdict;
  if (identity === null) {
    return new CpError(
      'CP_ERR_CLIENT_CERT_REQUIRED',
      'a client certificate issued by the fleet CA is required',
    );
  }
  const revoked = revocationOf(identity, revocations);
  if (revoked === null) return null;
  return new CpError('CP_ERR_CERT_REVOKED', `certificate for ${identity.cn} is revoked`, {
    cn: identity.cn,
    revokedBefore: new Date(revoked.notBefore).toISOString(),
  });
}

/** The reply to a handler that threw: its CpError's status and body, else a 500. */
export function errorReply(e: unknown): Reply {
  if (!isCpError(e)) {
    return { status: 500, json: new CpError('CP_ERR_INTERNAL', 'internal error').toBody() };
  }
  const retry = e.details['retryAfterSecs'];
  return {
    status: e.status,
    json: e.toBody(),
    ...(typeof retry === 'number' ? { headers: { 'retry-after': String(retry) } } : {}),
  };
}

/** A reply as posted to the edge: headers with its content type, and the body. */
export function serialise(reply: Reply): {
  headers: Record<string, string>;
  body?: string | Uint8Array;
} {
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.json !== undefined) {
    headers['content-type'] = 'application/json';
    return { headers, body: JSON.stringify(reply.json) };
  }
  if (reply.raw !== undefined) {
    headers['content-type'] = reply.contentType ?? 'application/octet-stream';
    return { headers, body: reply.raw };
  }
  return { headers };
}

/** A structured-cloned identity carries its DER as a Uint8Array; handlers expect a Buffer. */
export function revive(id: PeerIdentity | null): PeerIdentity | null {
  if (id === null || Buffer.isBuffer(id.raw)) return id;
  const raw = id.raw as Uint8Array;
  return { ...id, raw: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength) };
}
