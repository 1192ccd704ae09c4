// Client identity on an mTLS connection: the verified peer certificate's CN,
// serial and notBefore, cached per TLS socket, and the revocation rule
// (RFC-0003 §2: certificates issued before the host's signed `notBefore` are
// refused). Must never trust a certificate the TLS layer did not verify, nor
// one that expired since the handshake a resumed session stands for.
import type { TLSSocket } from 'node:tls';
import type { RevocationRow } from '../storage/types.ts';

/** Who is calling, from the verified client certificate. */
export interface PeerIdentity {
  readonly cn: string;
  readonly serial: string;
  readonly notBefore: number;
  readonly notAfter: number;
  /** Whether the certificate carries the clientAuth extended key usage (required on every mTLS route). */
  readonly clientAuth: boolean;
  /** DER of the certificate (renewal compares keys). */
  readonly raw: Buffer;
}

/** id-kp-clientAuth (RFC 5280 §4.2.1.12). */
const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

const cache = new WeakMap<object, PeerIdentity | null>();

/**
 * The verified identity of the peer, or `null` when the client sent no
 * certificate or one the client CA does not vouch for.
 */
export function peerIdentity(socket: TLSSocket, cacheKey: object = socket): PeerIdentity | null {
  if (cache.has(cacheKey)) return cache.get(cacheKey) ?? null;
  let id: PeerIdentity | null = null;
  if (socket.authorized) {
    const pc = socket.getPeerCertificate();
    const cn = pc?.subject?.CN;
    // A resumed TLS session carries the certificate verified at its full
    // handshake, possibly days ago; OpenSSL does not check its dates again.
    const lapsed = socket.isSessionReused() && !(Date.parse(pc.valid_to) > Date.now());
    if (typeof cn === 'string' && cn !== '' && !lapsed) {
      id = {
        cn,
        serial: pc.serialNumber,
        notBefore: Date.parse(pc.valid_from),
        notAfter: Date.parse(pc.valid_to),
        // OpenSSL accepts a certificate without any extended key usage as a
        // client certificate; the CP does not (fail closed).
        clientAuth: Array.isArray(pc.ext_key_usage) && pc.ext_key_usage.includes(CLIENT_AUTH_OID),
        raw: pc.raw,
      };
    }
  }
  cache.set(cacheKey, id);
  return id;
}

/**
 * The revocation that refuses this certificate, or `null`.
 *
 * @example revocationOf(id, revocations) !== null // → 403 CP_ERR_CERT_REVOKED
 */
export function revocationOf(
  id: PeerIdentity,
  revocations: ReadonlyMap<string, RevocationRow>,
): RevocationRow | null {
  const r = revocations.get(id.cn);
  return r !== undefined && id.notBefore < r.notBefore ? r : null;
}
