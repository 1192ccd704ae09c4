// @peculiar/x509 bound to node's WebCrypto, plus the small conversions the CP
// needs between PEM, DER and raw ed25519 keys. Owns nothing else.
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };

/** DER prefix of an ed25519 SubjectPublicKeyInfo (RFC 8410); the raw key follows. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * The raw 32-byte ed25519 key inside an SPKI DER, or `null` when the SPKI is
 * not ed25519.
 *
 * @example rawEd25519FromSpki(csr.publicKey.rawData)?.length === 32
 */
export function rawEd25519FromSpki(spki: ArrayBuffer | Uint8Array): Uint8Array | null {
  const der = Buffer.from(spki instanceof Uint8Array ? spki : new Uint8Array(spki));
  if (der.length !== 44 || !der.subarray(0, 12).equals(ED25519_SPKI_PREFIX)) return null;
  return new Uint8Array(der.subarray(12));
}

/** SPKI DER for a raw ed25519 key. */
export function spkiFromRawEd25519(raw: Uint8Array): Uint8Array {
  return new Uint8Array(Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(raw)]));
}

/** The CN of an X.509 name string like `CN=web-01, O=x`, or `null`. */
export function commonNameOf(name: x509.Name | string): string | null {
  const n = typeof name === 'string' ? new x509.Name(name) : name;
  const values = n.getField('CN');
  return values.length === 1 ? (values[0] ?? null) : null;
}
