// The leader's side of forwarding (docs/design/replicas.md, "What a
// follower does"): a follower relays a request it verified with the
// client's certificate in `x-nixfleet-forwarded-cert`. The header counts only
// from a peer whose own verified certificate is a replica's, and the
// forwarded certificate is verified again here as the TLS layer would a
// direct one (signed by the client CA, inside its dates now, clientAuth),
// so a replica cannot make up an identity it was not shown — short of the
// CA key it holds anyway. Must never accept the header from any other peer,
// nor a replica certificate as the forwarded one (no nesting).
import { X509Certificate } from 'node:crypto';
import { CpError } from '../errors.ts';
import type { PeerIdentity } from '../pki/identity.ts';
import { REPLICA_CN_PREFIX } from '../routes/access.ts';

/** The request header carrying the client's certificate (base64 DER). */
export const FORWARDED_CERT_HEADER = 'x-nixfleet-forwarded-cert';
/** The request header carrying the client's address (for logs only). */
export const FORWARDED_FOR_HEADER = 'x-nixfleet-forwarded-for';
/** Base64 characters of the largest forwarded certificate accepted (6 KiB of DER). */
export const FORWARDED_CERT_MAX_CHARS = 8192;

/** id-kp-clientAuth (RFC 5280 §4.2.1.12). */
const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
/**
 * Forwarded certificates remembered verified (their dates are checked on
 * every use): about one per agent behind the followers, ~1.5 KB each; past
 * it the memory is emptied and each is verified again (~0.1 ms).
 */
const CACHE_MAX = 20_000;

/** Whether a verified peer is a replica (its certificate names no caller). */
export function isReplicaPeer(id: PeerIdentity | null): boolean {
  return id !== null && id.clientAuth && id.cn.startsWith(REPLICA_CN_PREFIX);
}

/** The certificates of a PEM bundle (the client CA may hold several). */
export function caBundle(pem: string | Uint8Array | null): X509Certificate[] {
  if (pem === null) return [];
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('utf8');
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

const invalid = (why: string): CpError =>
  new CpError(
    'CP_ERR_FORWARDED_CERT_INVALID',
    `the forwarded client certificate is not valid: ${why}; the client should connect to the leader directly or retry`,
    { reason: why },
  );

/** The single CN of a subject in Node's one-attribute-per-line form, or null. */
function cnOf(subject: string): string | null {
  const cns = subject.split('\n').filter((l) => l.startsWith('CN='));
  return cns.length === 1 ? (cns[0] as string).slice(3) : null;
}

/** Verifies forwarded certificates against the client CA (one per edge thread). */
export class ForwardedCerts {
  private readonly verified = new Map<string, PeerIdentity>();

  constructor(private readonly cas: readonly X509Certificate[]) {}

  /** The identity `header` stands for at `now`, or the refusal (thrown). */
  identity(header: string | string[] | undefined, now: number): PeerIdentity {
    if (typeof header !== 'string' || header === '') throw invalid('missing');
    if (header.length > FORWARDED_CERT_MAX_CHARS) throw invalid('oversized');
    let id = this.verified.get(header);
    if (id === undefined) {
      id = this.verify(header);
      if (this.verified.size >= CACHE_MAX) this.verified.clear();
      this.verified.set(header, id);
    }
    if (!(id.notBefore <= now && now < id.notAfter)) throw invalid('outside its validity dates');
    return id;
  }

  private verify(header: string): PeerIdentity {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(header)) throw invalid('malformed base64');
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(Buffer.from(header, 'base64'));
    } catch {
      throw invalid('not a DER certificate');
    }
    const issuer = this.cas.find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
    if (issuer === undefined) throw invalid('not signed by the client CA');
    if (cert.ca) throw invalid('a CA certificate');
    const cn = cnOf(cert.subject);
    if (cn === null || cn === '') throw invalid('no single subject CN');
    if (cn.startsWith(REPLICA_CN_PREFIX)) throw invalid('a replica certificate');
    const eku = cert.keyUsage;
    if (!Array.isArray(eku) || !eku.includes(CLIENT_AUTH_OID)) {
      throw invalid('without the clientAuth extended key usage');
    }
    return {
      cn,
      serial: cert.serialNumber,
      notBefore: Date.parse(cert.validFrom),
      notAfter: Date.parse(cert.validTo),
      clientAuth: true,
      raw: cert.raw,
    };
  }
}
